package io.orderflow.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;

/**
 * An Artemis primary/backup pair (a shared store, or replicated) from the Artemis distribution,
 * made and run by {@code examples/ha/broker-pair.sh} with {@code examples/ha/broker-*.xml}.
 */
public final class ArtemisPair extends ScriptedPair {

    public static final String PRIMARY = "primary";
    public static final String BACKUP = "backup";
    /** The distribution's log lines that say what a broker has become. */
    public static final String ACTIVE = "AMQ221007";
    private static final String SHARED_STORE_BACKUP_ACTIVE = "AMQ221010";
    public static final String WAITING_AS_BACKUP = "AMQ221109";
    /** A primary that obtained the journal's lock, then loads the journal before it is active. */
    public static final String OBTAINED_LOCK = "AMQ221035";
    /** A broker stopped (the backup handing the journal back, before it waits again). */
    public static final String STOPPED = "AMQ221002";
    private static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss,SSS");

    private final String mode;
    private final Map<String, Integer> starts = new HashMap<>();
    public final String user = "orderflow";
    public final String password = "orderflow-secret";

    private ArtemisPair(Path dir, String mode) throws IOException {
        super("broker-pair.sh", "BACKUP_PORT", dir);
        this.mode = mode;
    }

    /** The distribution unpacked by the build (maven-dependency-plugin), or null if it is missing. */
    public static Path distribution() {
        String home = System.getProperty("artemis.home");
        return home != null && Files.isRegularFile(Path.of(home, "bin", "artemis")) ? Path.of(home) : null;
    }

    /** Creates both brokers of a shared-store pair in dir with the example script; starts neither. */
    public static ArtemisPair create(Path dir) throws IOException, InterruptedException {
        return create(dir, "shared-store");
    }

    /** The same for mode shared-store or replicated. */
    public static ArtemisPair create(Path dir, String mode) throws IOException, InterruptedException {
        ArtemisPair pair = new ArtemisPair(dir, mode);
        Path home = distribution();
        if (home == null) {
            throw new IllegalStateException("no Artemis distribution at " + System.getProperty("artemis.home")
                    + ": the build unpacks it in pre-integration-test (mvn verify)");
        }
        pair.runToEnd(dir.resolve("create.log"), "create", home.toString(), dir.toString());
        return pair;
    }

    @Override
    protected void environment(Map<String, String> env) {
        env.put("BROKER_USER", user);
        env.put("BROKER_PASSWORD", password);
        env.put("HA_MODE", mode);
        env.put("JAVA_HOME", System.getProperty("java.home"));
    }

    /** The line a backup logs when it takes over: a replicated backup logs what a primary does. */
    public String backupActive() {
        return mode.equals("replicated") ? ACTIVE : SHARED_STORE_BACKUP_ACTIVE;
    }

    /**
     * The URL orderflow and clients use: both brokers, and a client that tries its last broker a few
     * times and then every server of the URL in turn, for ever, whose blocking calls wait 3 s (the
     * policy orderflow applies itself, broker/Reconnection; a client with reconnectAttempts=-1 would
     * keep trying a dead broker, and one with the default 30 s call timeout stalls that long when a
     * reconnect lands on a dying broker: the test's own sender would then hold the flow's input back).
     */
    public String url() {
        return "(tcp://127.0.0.1:" + primaryPort + ",tcp://127.0.0.1:" + secondPort
                + ")?ha=true&reconnectAttempts=4&failoverAttempts=-1&useTopologyForLoadBalancing=false"
                + "&retryInterval=250&retryIntervalMultiplier=1.5&maxRetryInterval=2000&callTimeout=3000";
    }

    /** Starts one side (its JVM: the script execs it), logging to a file of its own per start; does not wait. */
    public void start(String side) throws IOException {
        int n = starts.merge(side, 1, Integer::sum);
        run(side, ProcessBuilder.Redirect.to(log(side, n).toFile()), "run", dir.toString(), side);
    }

    /** Starts the primary, then the backup, and waits until one is active and the other waits. */
    public void startBoth() throws IOException {
        start(PRIMARY);
        awaitLog(PRIMARY, ACTIVE, 1);
        start(BACKUP);
        awaitLog(BACKUP, WAITING_AS_BACKUP, 1);
    }

    /** How often the side's current log has the line (a backup that fails back restarts in the same process). */
    public int count(String side, String code) {
        try {
            Path log = log(side, starts.getOrDefault(side, 0));
            if (!Files.exists(log)) {
                return 0;
            }
            return (int) Files.readAllLines(log).stream().filter(l -> l.contains(code)).count();
        } catch (IOException e) {
            return 0;
        }
    }

    public void awaitLog(String side, String code, int times) {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100)).until(() -> {
            if (exited(side)) {
                throw new IllegalStateException("the " + side + " broker exited: " + Files.readString(log(side, starts.get(side))));
            }
            return count(side, code) >= times;
        });
    }

    /**
     * When the side's current log wrote its n-th line with the code, by the broker's own clock
     * (the same machine's): for the phases of a failback, which the test only sees by polling.
     */
    public Instant loggedAt(String side, String code, int n) {
        try {
            List<String> lines = Files.readAllLines(log(side, starts.getOrDefault(side, 0))).stream().filter(l -> l.contains(code)).toList();
            LocalDateTime at = LocalDateTime.parse(lines.get(n - 1).substring(0, 23), LOG_TIME);
            return at.atZone(ZoneId.systemDefault()).toInstant();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("no line " + n + " with " + code + " in the " + side + "'s log", e);
        }
    }

    public Path log(String side, int n) {
        return dir.resolve(side + "-" + n + ".log");
    }
}
