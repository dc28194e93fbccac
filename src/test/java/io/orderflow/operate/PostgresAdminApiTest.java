package io.orderflow.operate;

import io.orderflow.support.TestPostgres;
import org.junit.jupiter.api.AfterAll;

import java.util.Map;

/** The admin API on a PostgreSQL server. */
class PostgresAdminApiTest extends AdminApiContract {

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
