package io.orderflow.routes;

import io.orderflow.outbox.Event;
import io.orderflow.support.FlowTestSupport;
import org.apache.camel.builder.NotifyBuilder;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.apache.camel.builder.Builder.header;
import static org.assertj.core.api.Assertions.assertThat;

/** routes/40-order-status.yaml: decisions and notifications applied to recorded orders, with the order service alone. */
class OrderStatusRoutesTest extends FlowTestSupport {

    @Override
    protected Map<String, String> settingsOverrides() {
        // longer than the test's gap between an order's two events, on a busy machine
        return Map.of("orderflow.services", "order", "orderflow.events.status-gather-ms", "2000");
    }

    @Test
    void should_reject_an_order_out_of_stock_and_note_its_notification_in_one_batch_when_it_follows_within_the_gather() throws Exception {
        String id = unique("OS");
        drop("orders", id + ".json", order(id, "os@example.com", "MUG-9", "3"));
        awaitStatus(id, "PLACED");

        // both in one batch: the second arrives while the consumer gathers after the first
        NotifyBuilder applied = new NotifyBuilder(context).fromRoute("order-status")
                .filter(header("batchSize").isEqualTo(2)).whenCompleted(1).create();
        String out = event(Event.OUT_OF_STOCK, id, "2026-01-01T00:00:00Z",
                "{\"customer\":{\"email\":\"os@example.com\"},\"missing\":[{\"sku\":\"MUG-9\",\"requested\":3,\"available\":1}]}");
        String notified = event(Event.CUSTOMER_NOTIFIED, id, "2026-01-01T00:00:01Z",
                "{\"kind\":\"out-of-stock\",\"messageId\":\"<" + id + ".out-of-stock@orderflow>\",\"recipient\":\"os@example.com\"}");
        // with the order's message group, as the relays send them: one consumer thread has both
        template.sendBodyAndHeaders("jms:topic:orderflow.events::orderflow.events.order", out,
                Map.of("eventType", Event.OUT_OF_STOCK, "JMSXGroupID", id));
        Thread.sleep(200); // not a wait for anything: the notification comes a little after the decision, as in the flow
        template.sendBodyAndHeaders("jms:topic:orderflow.events::orderflow.events.order", notified,
                Map.of("eventType", Event.CUSTOMER_NOTIFIED, "JMSXGroupID", id));
        assertThat(applied.matches(30, TimeUnit.SECONDS)).isTrue();

        awaitStatus(id, "REJECTED");
        awaitNotified(id);
        assertThat(jdbc().queryForObject("SELECT rejection_reason FROM orders WHERE order_id = ?", String.class, id))
                .isEqualTo("out of stock: MUG-9 (ordered 3, available 1)");
    }
}
