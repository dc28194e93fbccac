package io.orderflow.flow;

import io.orderflow.support.TestPostgres;
import org.junit.jupiter.api.AfterAll;

import java.util.Map;

/**
 * PostgreSQL turns read-only under the running flow, as an operator or a failover tool does it:
 * default_transaction_read_only set on the database and the live sessions reconnected, so every
 * write fails with "cannot execute INSERT in a read-only transaction" (SQL state 25006).
 */
class PostgresReadOnlyTest extends DatabaseFailureContract {

    private TestPostgres postgres;

    @Override
    protected Map<String, String> settingsOverrides() {
        postgres = TestPostgres.create();
        return Map.of("orderflow.db.url", postgres.url(), "orderflow.db.user", postgres.user());
    }

    @AfterAll
    void stopServer() throws Exception {
        context.stop();
        postgres.close();
    }

    @Override
    protected void breakDatabase() {
        readOnly(true);
    }

    @Override
    protected void repairDatabase() {
        readOnly(false);
    }

    private void readOnly(boolean on) {
        postgres.admin("ALTER DATABASE " + postgres.database() + (on ? " SET default_transaction_read_only = on"
                : " RESET default_transaction_read_only"),
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + postgres.database() + "'");
    }
}
