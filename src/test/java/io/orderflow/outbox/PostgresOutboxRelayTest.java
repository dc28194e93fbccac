package io.orderflow.outbox;

import io.orderflow.support.TestPostgres;
import org.junit.jupiter.api.AfterEach;

import java.util.Map;

class PostgresOutboxRelayTest extends OutboxRelayContract {

    private TestPostgres postgres;

    @Override
    protected Map<String, String> databaseSettings() {
        postgres = TestPostgres.create();
        return Map.of("orderflow.db.url", postgres.url(), "orderflow.db.user", postgres.user());
    }

    @AfterEach
    void dropDatabase() throws Exception {
        postgres.close();
    }
}
