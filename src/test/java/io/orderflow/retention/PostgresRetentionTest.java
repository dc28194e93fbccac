package io.orderflow.retention;

import io.orderflow.support.TestPostgres;
import org.junit.jupiter.api.AfterAll;

import java.util.Map;

/** Retention on a PostgreSQL server. */
class PostgresRetentionTest extends RetentionContract {

    private TestPostgres postgres;

    @Override
    protected Map<String, String> databaseSettings() {
        postgres = TestPostgres.create();
        return Map.of("orderflow.db.url", postgres.url(), "orderflow.db.user", postgres.user());
    }

    @AfterAll
    void dropDatabase() throws Exception {
        context.stop();
        postgres.close();
    }
}
