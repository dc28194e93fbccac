package io.orderflow.support;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A PostgreSQL database of the test's own: on the local server (127.0.0.1:5432) where one listens,
 * else on an embedded PostgreSQL started for the test. Only "nothing listens" falls back: a server
 * that answers and refuses (a password, a permission) fails the test, or the server tests would
 * quietly run on the embedded one. Under CI ({@link MachinePart#ci()}) the server is required.
 * Databases are named orderflow_test_*; those left by killed runs are dropped first.
 */
public final class TestPostgres implements AutoCloseable {

    private static final String SERVER_HOST = "127.0.0.1";
    private static final int SERVER_PORT = 5432;
    private static final String LOCAL = "jdbc:postgresql://" + SERVER_HOST + ":" + SERVER_PORT + "/";
    public static final String PREFIX = "orderflow_test_";

    private final EmbeddedPostgres embedded;
    private final String server;
    private final String user;
    private final String database;

    private TestPostgres(EmbeddedPostgres embedded, String server, String user, String database) {
        this.embedded = embedded;
        this.server = server;
        this.user = user;
        this.database = database;
    }

    public static TestPostgres create() {
        String name = PREFIX + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        if (!listening()) {
            MachinePart.require(!MachinePart.ci(), "no PostgreSQL server listens on " + SERVER_HOST + ":" + SERVER_PORT);
            System.out.println("TestPostgres: no server listens on " + SERVER_HOST + ":" + SERVER_PORT + "; " + name
                    + " is on an embedded PostgreSQL");
            return embedded(name);
        }
        try (Connection c = DriverManager.getConnection(LOCAL + "postgres?connectTimeout=3", "postgres", "")) {
            dropStale(c);
            try (Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE " + name);
            }
            System.out.println("TestPostgres: " + name + " is on the server at " + SERVER_HOST + ":" + SERVER_PORT);
            return new TestPostgres(null, LOCAL, "postgres", name);
        } catch (SQLException e) {
            throw new IllegalStateException("the PostgreSQL server on " + SERVER_HOST + ":" + SERVER_PORT
                    + " answers but refused the test's database (as user postgres, trust auth): " + e.getMessage(), e);
        }
    }

    /** Whether anything accepts a TCP connection on the server's port. */
    private static boolean listening() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(SERVER_HOST, SERVER_PORT), 3000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Always an embedded server, for tests that stop the database. */
    public static TestPostgres embedded(String name) {
        try {
            EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
            String server = "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/";
            try (Connection c = DriverManager.getConnection(server + "postgres", "postgres", "");
                 Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE " + name);
            }
            return new TestPostgres(pg, server, "postgres", name);
        } catch (IOException | SQLException e) {
            throw new IllegalStateException("cannot start an embedded PostgreSQL", e);
        }
    }

    private static void dropStale(Connection c) throws SQLException {
        List<String> stale = new ArrayList<>();
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT datname FROM pg_database WHERE datname LIKE '" + PREFIX + "%' "
                     + "AND datname NOT IN (SELECT datname FROM pg_stat_activity WHERE datname IS NOT NULL)")) {
            while (rs.next()) {
                stale.add(rs.getString(1));
            }
        }
        for (String name : stale) {
            try (Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + name);
            } catch (SQLException ignored) {
                // in use after all; a later run drops it
            }
        }
    }

    public String url() {
        return server + database;
    }

    public String user() {
        return user;
    }

    public String database() {
        return database;
    }

    /** Runs statements as the server's admin, from its maintenance database (e.g. to alter this test's database). */
    public void admin(String... statements) {
        try (Connection c = DriverManager.getConnection(server + "postgres", user, "");
             Statement s = c.createStatement()) {
            for (String sql : statements) {
                s.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot run " + String.join("; ", statements), e);
        }
    }

    public boolean isEmbedded() {
        return embedded != null;
    }

    @Override
    public void close() throws Exception {
        if (embedded != null) {
            embedded.close();
            return;
        }
        try (Connection c = DriverManager.getConnection(server + "postgres", user, "");
             Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        }
    }
}
