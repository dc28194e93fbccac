package io.orderflow.support;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A database a crash test kills the jar on: the embedded PostgreSQL (the default users start with,
 * "embedded"), the embedded H2 file ("h2") or a PostgreSQL server ("postgres"). The crash tests
 * run on the default and on a server; -Dorderflow.test.crash-db=embedded, =h2 or =postgres runs
 * one, and =all runs the three (the H2 file is an option now, and three take the suite past the
 * half hour it has).
 */
public final class CrashDatabase implements AutoCloseable {

    private final String kind;
    private TestPostgres postgres;

    public CrashDatabase(String kind) {
        if (!kind.equals("embedded") && !kind.equals("h2") && !kind.equals("postgres")) {
            throw new IllegalArgumentException("crash database must be embedded, h2 or postgres, not " + kind);
        }
        this.kind = kind;
    }

    /** The databases to run a crash test on: see the class comment. */
    public static List<String> kinds() {
        String only = System.getProperty("orderflow.test.crash-db", "");
        if (only.equals("all")) {
            return List.of("embedded", "h2", "postgres");
        }
        return only.isBlank() ? List.of("embedded", "postgres") : List.of(only);
    }

    public String kind() {
        return kind;
    }

    /** Settings that point orderflow at this database (none for the default: it lives in the data dir). */
    public Map<String, String> settings() {
        if (kind.equals("embedded")) {
            return Map.of();
        }
        if (kind.equals("h2")) {
            return Map.of("orderflow.db.embedded", "h2");
        }
        if (postgres == null) {
            postgres = TestPostgres.create();
        }
        return Map.of("orderflow.db.url", postgres.url(), "orderflow.db.user", postgres.user());
    }

    /** The settings plus a data dir, for opening the database from the test after the run. */
    public Map<String, String> settings(Path dataDir) {
        Map<String, String> m = new HashMap<>(settings());
        m.put("orderflow.data-dir", dataDir.toString());
        return m;
    }

    @Override
    public void close() throws Exception {
        if (postgres != null) {
            postgres.close();
            postgres = null;
        }
    }
}
