package io.orderflow.config;

import io.orderflow.order.OrderFormat;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The start-up warm-up: made-up orders through the in-memory path for its budget, nothing stored or sent. */
class WarmupTest {

    @TempDir
    Path dir;

    private Settings settings(Map<String, String> extra) {
        Map<String, String> o = new HashMap<>(extra);
        o.put("orderflow.data-dir", dir.resolve("data").toString());
        return Settings.load(Map.of(), new Properties(), o);
    }

    @Test
    void should_rehearse_made_up_orders_for_its_budget_and_write_nothing() throws Exception {
        for (String mode : new String[] {"file", "smtp"}) {
            // smtp towards a port nobody listens on: a connection attempt would fail the warm-up
            Warmup.Result result = Warmup.run(300, new OrderFormat(), settings(Map.of("orderflow.mail.mode", mode,
                    "orderflow.mail.smtp.host", "127.0.0.1", "orderflow.mail.smtp.port", "9")));

            assertThat(result.failure()).as(mode).isNull();
            assertThat(result.orders()).as(mode).isPositive();
            assertThat(result.elapsedMs()).as("it runs until its budget is spent").isGreaterThanOrEqualTo(300);
        }
        assertThat(Files.exists(dir.resolve("data"))).as("no data folder, mail folder or file made").isFalse();
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void should_end_the_warm_up_with_the_broker_with_the_reason_when_the_broker_cannot_be_reached() {
        // nobody listens on port 9: the start goes on, with the reason in the result (and a WARN line)
        try (ActiveMQConnectionFactory unreachable = new ActiveMQConnectionFactory("tcp://127.0.0.1:9?reconnectAttempts=0")) {
            Warmup.Result result = Warmup.connected(5_000, new OrderFormat(), unreachable, "", "", null);

            assertThat(result.failure()).isNotNull();
            assertThat(result.orders()).isZero();
            assertThat(result.elapsedMs()).isLessThan(5_000);
        }
    }

    @Test
    void should_run_nothing_with_a_budget_of_zero() throws Exception {
        Warmup.Result result = Warmup.run(0, new OrderFormat(), settings(Map.of()));

        assertThat(result.orders()).isZero();
        assertThat(result.elapsedMs()).isZero();
        assertThat(result.failure()).isNull();
    }

    @Test
    void should_stop_with_the_reason_when_a_template_fails_on_a_made_up_order_and_let_the_start_go_on() throws Exception {
        Path templates = Files.createDirectories(dir.resolve("templates"));
        // parses, but fails when rendered: the warm-up stops, it does not stop the service
        Files.writeString(templates.resolve("confirmation.vm"), "Subject: Order $orderId\n\n$orderId.substring(9999)\n");

        Warmup.Result result = Warmup.run(5_000, new OrderFormat(),
                settings(Map.of("orderflow.mail.templates-dir", templates.toString())));

        assertThat(result.failure()).contains("substring");
        assertThat(result.orders()).as("it stopped at the first order that was confirmed").isZero();
        assertThat(result.elapsedMs()).isLessThan(5_000);
    }
}
