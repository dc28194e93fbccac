package io.orderflow.outbox;

import java.util.Map;

/** The relay on the embedded PostgreSQL (the default database), started under the test's data dir. */
class EmbeddedPostgresOutboxRelayTest extends OutboxRelayContract {
    @Override
    protected Map<String, String> databaseSettings() {
        return Map.of("orderflow.db.embedded", "postgres");
    }
}
