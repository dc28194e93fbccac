package io.orderflow.flow;

import io.orderflow.db.EmbeddedPostgresServer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The flow on the embedded defaults: the embedded PostgreSQL under the data dir. */
class EmbeddedPostgresFlowTest extends EmbeddedFlowContract {

    @Override
    protected Map<String, String> settingsOverrides() {
        return Map.of("orderflow.db.embedded", "postgres");
    }

    @Test
    void should_start_the_embedded_postgresql_again_when_its_server_dies() throws Exception {
        long first = EmbeddedPostgresServer.postmasterPid(dataDir).orElseThrow();
        ProcessHandle postmaster = ProcessHandle.of(first).orElseThrow();
        postmaster.destroyForcibly();
        postmaster.onExit().join();

        // an order sent while the server is down waits for it, and goes through once it is back
        String sku = unique("PG");
        stock("sku,quantity\n" + sku + ",3\n");
        String id = unique("PG");
        drop("orders", id + ".json", order(id, "pg@example.com", sku, "1"));

        await().atMost(Duration.ofSeconds(60)).until(() -> EmbeddedPostgresServer.postmasterPid(dataDir)
                .filter(pid -> pid != first).isPresent());
        awaitStatus(id, "CONFIRMED");
        awaitNotified(id);
        assertThat(awaitEmail(id, "confirmation")).contains("To: pg@example.com");
        assertThat(count("SELECT COUNT(*) FROM orders WHERE order_id = ?", id)).isEqualTo(1);
    }
}
