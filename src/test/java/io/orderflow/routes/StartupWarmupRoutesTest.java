package io.orderflow.routes;

import io.orderflow.config.Warmup;
import io.orderflow.support.FlowTestSupport;
import org.apache.camel.Route;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The start-up warm-ups run before any route takes input, store nothing, and the flow works after them. */
class StartupWarmupRoutesTest extends FlowTestSupport {

    @Override
    protected Map<String, String> settingsOverrides() {
        return Map.of("orderflow.startup.warmup-ms", "1500", "orderflow.startup.connected-warmup-ms", "1000");
    }

    @Test
    void should_start_the_routes_only_after_the_warm_up_has_ended() throws Exception {
        Warmup.Result warmup = configuration.warmup();
        assertThat(warmup.failure()).isNull();
        assertThat(warmup.orders()).isPositive();
        Warmup.Result connected = configuration.connectedWarmup();
        assertThat(connected.failure()).isNull();
        assertThat(connected.orders()).as("made-up events through the broker").isPositive();
        assertThat(connected.endedAt()).isAfterOrEqualTo(warmup.endedAt());
        Instant now = Instant.now();
        for (Route route : context.getRoutes()) {
            Instant started = now.minusMillis(route.getUptimeMillis());
            // uptime is counted in whole milliseconds
            assertThat(started.plusMillis(1)).as(route.getRouteId()).isAfterOrEqualTo(connected.endedAt());
        }

        assertThat(count("SELECT COUNT(*) FROM orders")).as("the warm-ups store no order").isZero();
        assertThat(count("SELECT COUNT(*) FROM order_outbox")).as("nor any event").isZero();

        String id = unique("WU");
        drop("orders", id + ".json", order(id, "wu@example.com", "MUG-9", "1"));
        awaitStatus(id, "PLACED");
    }
}
