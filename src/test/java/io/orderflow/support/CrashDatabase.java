package io.orderflow.support;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The database a crash test kills the jar on: PostgreSQL by default, the database the guarantees
 * are claimed for; -Dorderflow.test.crash-db=h2 runs the same test on the embedded H2, which can
 * lose acknowledged commits after a SIGKILL (see README).
 */
public final class CrashDatabase implements AutoCloseable {

    public static final String KIND = System.getProperty("orderflow.test.crash-db", "postgres");

    private TestPostgres postgres;

    /** Settings that point orderflow at this database (none for H2: it lives in the data dir). */
    public Map<String, String> settings() {
        if (!KIND.equals("postgres")) {
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
