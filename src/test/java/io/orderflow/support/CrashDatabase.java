package io.orderflow.support;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A database a crash test kills the jar on. The crash tests run on both: the embedded H2 (the
 * default users start with) and PostgreSQL; -Dorderflow.test.crash-db=h2 or =postgres runs one.
 */
public final class CrashDatabase implements AutoCloseable {

    private final String kind;
    private TestPostgres postgres;

    public CrashDatabase(String kind) {
        if (!kind.equals("h2") && !kind.equals("postgres")) {
            throw new IllegalArgumentException("crash database must be h2 or postgres, not " + kind);
        }
        this.kind = kind;
    }

    /** The databases to run a crash test on: both, unless -Dorderflow.test.crash-db names one. */
    public static List<String> kinds() {
        String only = System.getProperty("orderflow.test.crash-db", "");
        return only.isBlank() ? List.of("h2", "postgres") : List.of(only);
    }

    /** Settings that point orderflow at this database (none for H2: it lives in the data dir). */
    public Map<String, String> settings() {
        if (!kind.equals("postgres")) {
            return Map.of();
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
