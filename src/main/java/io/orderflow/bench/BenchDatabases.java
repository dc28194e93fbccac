package io.orderflow.bench;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A fresh database for each phase of the benchmark, so that one phase's rows do not slow the
 * next: the embedded PostgreSQL or an H2 file under the phase's data dir, or a database of its own
 * (orderflow_bench_*) on a PostgreSQL server, dropped at the end.
 */
final class BenchDatabases implements AutoCloseable {

    private final String kind;
    private final String server;
    private final String user;
    private final String password;
    private final List<String> created = new ArrayList<>();

    BenchDatabases(String kind, String server, String user, String password) {
        this.kind = kind;
        this.server = server.endsWith("/") ? server : server + "/";
        this.user = user;
        this.password = password;
    }

    /** Settings for a fresh database: the data dir alone for the embedded ones (they live in it). */
    Map<String, String> fresh(Path dataDir) throws SQLException {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("orderflow.data-dir", dataDir.toString());
        if (kind.equals("h2")) {
            settings.put("orderflow.db.embedded", "h2");
        }
        if (kind.equals("postgres")) {
            String name = "orderflow_bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
            try (Connection c = DriverManager.getConnection(server + "postgres", user, password);
                 Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE " + name);
            }
            created.add(name);
            settings.put("orderflow.db.url", server + name);
            settings.put("orderflow.db.user", user);
            settings.put("orderflow.db.password", password);
        }
        return settings;
    }

    String describe() {
        return switch (kind) {
            case "postgres" -> "PostgreSQL at " + server;
            case "h2" -> "H2 (embedded, file)";
            default -> "the embedded PostgreSQL (the default)";
        };
    }

    @Override
    public void close() {
        for (String name : created) {
            try (Connection c = DriverManager.getConnection(server + "postgres", user, password);
                 Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            } catch (SQLException e) {
                System.err.println("could not drop " + name + ": " + e.getMessage());
            }
        }
    }
}
