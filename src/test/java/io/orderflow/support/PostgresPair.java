package io.orderflow.support;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;

/**
 * A PostgreSQL primary with a synchronous standby, made, run and promoted by
 * {@code examples/ha/database-pair.sh} with the embedded PostgreSQL's binaries. Killing the
 * primary's postmaster ends its backends too: they notice and exit.
 */
public final class PostgresPair extends ScriptedPair {

    public static final String PRIMARY = "primary";
    public static final String STANDBY = "standby";

    private final Path bin;

    private PostgresPair(Path dir, Path bin) throws IOException {
        super("database-pair.sh", "STANDBY_PORT", dir);
        this.bin = bin;
    }

    public static PostgresPair create(Path dir) throws IOException, InterruptedException {
        PostgresPair pair = new PostgresPair(dir, binaries());
        pair.runToEnd(dir.resolve("create.log"), "create", pair.bin.toString(), dir.toString());
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
        run(side, ProcessBuilder.Redirect.appendTo(log(side).toFile()), "run", bin.toString(), dir.toString(), side);
    }

    public boolean logHas(String side, String text) throws IOException {
        Path log = log(side);
        return Files.exists(log) && Files.readString(log).contains(text);
    }

    public Path log(String side) {
        return dir.resolve(side + ".log");
    }

    public void promoteStandby() throws IOException, InterruptedException {
        runToEnd(dir.resolve("promote.log"), "promote", bin.toString(), dir.toString());
    }

    /** The URL orderflow uses: both servers, whichever takes writes. */
    public String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + primaryPort + ",127.0.0.1:" + secondPort + "/" + database + "?targetServerType=primary";
    }
}
