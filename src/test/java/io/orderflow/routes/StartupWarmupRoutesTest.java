package io.orderflow.routes;

import io.orderflow.config.Warmup;
import io.orderflow.support.FlowTestSupport;
import org.apache.camel.Route;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The start-up warm-up runs before any route takes input, and the flow works after it. */
class StartupWarmupRoutesTest extends FlowTestSupport {

    @Override
    protected Map<String, String> settingsOverrides() {
        return Map.of("orderflow.startup.warmup-ms", "1500");
    }

    @Test
    void should_start_the_routes_only_after_the_warm_up_has_ended() throws Exception {
        Warmup.Result warmup = configuration.warmup();
        assertThat(warmup.failure()).isNull();
        assertThat(warmup.orders()).isPositive();
        Instant now = Instant.now();
        for (Route route : context.getRoutes()) {
            Instant started = now.minusMillis(route.getUptimeMillis());
            // uptime is counted in whole milliseconds
            assertThat(started.plusMillis(1)).as(route.getRouteId()).isAfterOrEqualTo(warmup.endedAt());
        }

        String id = unique("WU");
        drop("orders", id + ".json", order(id, "wu@example.com", "MUG-9", "1"));
        awaitStatus(id, "PLACED");
    }
}
