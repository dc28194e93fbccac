package io.orderflow.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * One PostgreSQL server of the test's own, from the embedded PostgreSQL's binaries, that the test
 * stops and starts again on the same port and data: a fast shutdown (what an operator's restart
 * does: every session is ended, 57P01) or an immediate one (a crash: no checkpoint, WAL recovery
 * at the next start). As root it runs in a user namespace, as examples/ha/database-pair.sh does.
 */
public final class RestartablePostgres implements AutoCloseable {

    /** How the server goes down: the postmaster's signals for a fast and an immediate shutdown. */
    public enum Shutdown {
        FAST("INT"), IMMEDIATE("QUIT");

        final String signal;

        Shutdown(String signal) {
            this.signal = signal;
        }
    }

    private final Path bin;
    private final Path data;
    private final Path log;
    private final int port;
    private Process server;

    private RestartablePostgres(Path bin, Path dir, int port) {
        this.bin = bin;
        this.data = dir.resolve("data");
        this.log = dir.resolve("postgresql.log");
        this.port = port;
    }

    /** initdb in dir, started, with the database created. */
    public static RestartablePostgres create(Path dir, String database) throws IOException, InterruptedException, SQLException {
        RestartablePostgres pg = new RestartablePostgres(PostgresPair.binaries(), dir, OrderflowProcess.freePort());
        Process initdb = pg.command(pg.bin.resolve("initdb").toString(), "-D", pg.data.toString(), "-U", "postgres", "-A", "trust",
                "-E", "UTF-8").redirectErrorStream(true).redirectOutput(dir.resolve("initdb.log").toFile()).start();
        if (!initdb.waitFor(120, TimeUnit.SECONDS) || initdb.exitValue() != 0) {
            throw new IllegalStateException("initdb failed: " + Files.readString(dir.resolve("initdb.log")));
        }
        pg.start();
        try (Connection c = DriverManager.getConnection(pg.url("postgres"), "postgres", "");
             Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + database);
        }
        return pg;
    }

    public String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** Starts the server and waits until it takes connections. */
    public void start() throws IOException {
        server = command(bin.resolve("postgres").toString(), "-D", data.toString(), "-p", String.valueOf(port),
                "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=100")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).ignoreExceptions().until(() -> {
            if (!server.isAlive()) {
                throw new IllegalStateException("PostgreSQL exited: " + Files.readString(log));
            }
            try (Connection c = DriverManager.getConnection(url("postgres") + "?connectTimeout=2", "postgres", "")) {
                return c.isValid(2);
            }
        });
    }

    /** Shuts the server down the given way and waits until it has exited. */
    public void stop(Shutdown how) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + how.signal, String.valueOf(server.pid())).start();
        kill.waitFor(10, TimeUnit.SECONDS);
        if (!server.waitFor(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("PostgreSQL did not stop within 60 s of SIG" + how.signal);
        }
    }

    private ProcessBuilder command(String... args) {
        List<String> command = new ArrayList<>();
        // PostgreSQL refuses to run as root: there, it runs in a user namespace where it is not
        if ("root".equals(System.getProperty("user.name"))) {
            command.add("unshare");
            command.add("-U");
        }
        command.addAll(List.of(args));
        return new ProcessBuilder(command);
    }

    @Override
    public void close() throws InterruptedException {
        if (server != null && server.isAlive()) {
            // the server's children write their files as they exit: they are killed and waited for
            // too, or the data folder may not be empty yet when the test's temporary folder is deleted
            java.util.List<ProcessHandle> children = server.descendants().toList();
            server.destroyForcibly();
            server.waitFor(30, TimeUnit.SECONDS);
            for (ProcessHandle child : children) {
                child.destroyForcibly();
                try {
                    child.onExit().get(30, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    throw new IllegalStateException("a PostgreSQL process did not exit: " + child.pid(), e);
                }
            }
        }
    }
}
