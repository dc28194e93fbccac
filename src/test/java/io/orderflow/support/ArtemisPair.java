package io.orderflow.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * An Artemis primary/backup pair (a shared store, or replicated) from the Artemis distribution, made and run by the example users
 * deploy, {@code examples/ha/broker-pair.sh}, with {@code examples/ha/broker-*.xml}: what is tested
 * is what is shipped. Each broker is a process of its own, killed with SIGKILL.
 */
public final class ArtemisPair implements AutoCloseable {

    public static final String PRIMARY = "primary";
    public static final String BACKUP = "backup";
    /** The distribution's log lines that say what a broker has become. */
    public static final String ACTIVE = "AMQ221007";
    private static final String SHARED_STORE_BACKUP_ACTIVE = "AMQ221010";
    public static final String WAITING_AS_BACKUP = "AMQ221109";

    private static final Path SCRIPT = Path.of("examples/ha/broker-pair.sh").toAbsolutePath();

    private final Path dir;
    private final String mode;
    private final int primaryPort;
    private final int backupPort;
    private final Map<String, Process> running = new HashMap<>();
    private final Map<String, Integer> starts = new HashMap<>();
    public final String user = "orderflow";
    public final String password = "orderflow-secret";

    private ArtemisPair(Path dir, String mode) throws IOException {
        this.dir = dir;
        this.mode = mode;
        this.primaryPort = freePort();
        this.backupPort = freePort();
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
        Process p = pair.script("create", home.toString(), dir.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("create.log").toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("broker-pair.sh create failed: " + Files.readString(dir.resolve("create.log")));
        }
        return pair;
    }

    private ProcessBuilder script(String... args) {
        ProcessBuilder pb = new ProcessBuilder();
        pb.command().add("bash");
        pb.command().add(SCRIPT.toString());
        pb.command().addAll(List.of(args));
        pb.environment().put("PRIMARY_PORT", String.valueOf(primaryPort));
        pb.environment().put("BACKUP_PORT", String.valueOf(backupPort));
        pb.environment().put("BROKER_USER", user);
        pb.environment().put("BROKER_PASSWORD", password);
        pb.environment().put("BROKER_HEAP", "256m");
        pb.environment().put("HA_MODE", mode);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        return pb;
    }

    /** The line a backup logs when it takes over: a replicated backup logs what a primary does. */
    public String backupActive() {
        return mode.equals("replicated") ? ACTIVE : SHARED_STORE_BACKUP_ACTIVE;
    }

    /** The URL orderflow and clients use: both brokers, failing over between them, forever. */
    public String url() {
        return "(tcp://127.0.0.1:" + primaryPort + ",tcp://127.0.0.1:" + backupPort + ")?ha=true&reconnectAttempts=-1&retryInterval=250&retryIntervalMultiplier=1.5&maxRetryInterval=2000";
    }

    /** Starts one side (its JVM: the script execs it); does not wait. */
    public void start(String side) throws IOException {
        int n = starts.merge(side, 1, Integer::sum);
        Process p = script("run", dir.toString(), side).redirectErrorStream(true)
                .redirectOutput(log(side, n).toFile()).start();
        running.put(side, p);
    }

    /** Starts the primary, then the backup, and waits until one is active and the other waits. */
    public void startBoth() throws IOException {
        start(PRIMARY);
        awaitLog(PRIMARY, ACTIVE, 1);
        start(BACKUP);
        awaitLog(BACKUP, WAITING_AS_BACKUP, 1);
    }

    public void kill(String side) throws InterruptedException {
        Process p = running.remove(side);
        if (p != null) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
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
            Process p = running.get(side);
            if (p != null && !p.isAlive()) {
                throw new IllegalStateException("the " + side + " broker exited: " + Files.readString(log(side, starts.get(side))));
            }
            return count(side, code) >= times;
        });
    }

    public Path log(String side, int n) {
        return dir.resolve(side + "-" + n + ".log");
    }

    @Override
    public void close() throws InterruptedException {
        for (String side : List.copyOf(running.keySet())) {
            kill(side);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
