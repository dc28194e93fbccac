package io.orderflow.support;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;

/**
 * A PostgreSQL primary with a synchronous standby, made, run and promoted by the example users
 * deploy, {@code examples/ha/database-pair.sh}, with the embedded PostgreSQL's binaries. Each
 * server is a process of its own (the script execs the postmaster), killed with SIGKILL.
 */
public final class PostgresPair implements AutoCloseable {

    public static final String PRIMARY = "primary";
    public static final String STANDBY = "standby";
    private static final Path SCRIPT = Path.of("examples/ha/database-pair.sh").toAbsolutePath();

    private final Path dir;
    private final Path bin;
    private final int primaryPort;
    private final int standbyPort;
    private final Map<String, Process> running = new HashMap<>();

    private PostgresPair(Path dir, Path bin) throws IOException {
        this.dir = dir;
        this.bin = bin;
        this.primaryPort = freePort();
        this.standbyPort = freePort();
    }

    public static PostgresPair create(Path dir) throws IOException, InterruptedException {
        PostgresPair pair = new PostgresPair(dir, binaries());
        pair.script(dir.resolve("create.log"), "create", pair.bin.toString(), dir.toString());
        return pair;
    }

    /** The embedded PostgreSQL's binaries, unpacked by its library on first use. */
    static Path binaries() throws IOException {
        Optional<Path> found = unpacked();
        if (found.isEmpty()) {
            EmbeddedPostgres.builder().start().close();
            found = unpacked();
        }
        return found.orElseThrow(() -> new IllegalStateException("the embedded PostgreSQL's binaries were not found"));
    }

    private static Optional<Path> unpacked() throws IOException {
        Path root = Path.of(System.getProperty("ot.epg.working-dir", Path.of(System.getProperty("java.io.tmpdir"), "embedded-pg").toString()));
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.map(d -> d.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb"))
                    && Files.isExecutable(b.resolve("pg_ctl"))).findFirst();
        }
    }

    private ProcessBuilder builder(String... args) {
        ProcessBuilder pb = new ProcessBuilder();
        pb.command().add("bash");
        pb.command().add(SCRIPT.toString());
        pb.command().addAll(List.of(args));
        pb.environment().put("PRIMARY_PORT", String.valueOf(primaryPort));
        pb.environment().put("STANDBY_PORT", String.valueOf(standbyPort));
        return pb;
    }

    private void script(Path log, String... args) throws IOException, InterruptedException {
        Process p = builder(args).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("database-pair.sh " + args[0] + " failed: " + Files.readString(log));
        }
    }

    /** Starts both and creates the database on the primary once the standby streams synchronously. */
    public void startBoth(String database) throws IOException, SQLException {
        start(PRIMARY);
        await().atMost(Duration.ofSeconds(60)).until(() -> logHas(PRIMARY, "ready to accept connections"));
        start(STANDBY);
        await().atMost(Duration.ofSeconds(60)).until(() -> logHas(PRIMARY, "is now a synchronous standby"));
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + primaryPort + "/postgres", "postgres", "");
             Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + database);
        }
    }

    private void start(String side) throws IOException {
        Process p = builder("run", bin.toString(), dir.toString(), side).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log(side).toFile())).start();
        running.put(side, p);
    }

    public boolean logHas(String side, String text) throws IOException {
        Path log = log(side);
        return Files.exists(log) && Files.readString(log).contains(text);
    }

    public Path log(String side) {
        return dir.resolve(side + ".log");
    }

    /** SIGKILL to the postmaster: its backends notice and end. */
    public void kill(String side) throws InterruptedException {
        Process p = running.remove(side);
        if (p != null) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    public void promoteStandby() throws IOException, InterruptedException {
        script(dir.resolve("promote.log"), "promote", bin.toString(), dir.toString());
    }

    /** The URL orderflow uses: both servers, whichever takes writes. */
    public String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + primaryPort + ",127.0.0.1:" + standbyPort + "/" + database + "?targetServerType=primary";
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
