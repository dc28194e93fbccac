package io.orderflow.outbox;

import java.util.Map;

class H2OutboxRelayTest extends OutboxRelayContract {
    @Override
    protected Map<String, String> databaseSettings() {
        return Map.of("orderflow.db.embedded", "h2");
    }
}
