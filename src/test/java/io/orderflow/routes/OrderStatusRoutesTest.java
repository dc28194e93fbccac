package io.orderflow.routes;

import io.orderflow.outbox.Event;
import io.orderflow.support.FlowTestSupport;
import org.apache.camel.builder.NotifyBuilder;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** routes/40-order-status.yaml: decisions and notifications applied to recorded orders, with the order service alone. */
class OrderStatusRoutesTest extends FlowTestSupport {

    @Override
    protected Map<String, String> settingsOverrides() {
        return Map.of("orderflow.services", "order");
    }

    @Test
    void should_reject_an_order_out_of_stock_then_note_its_notification() throws Exception {
        String id = unique("OS");
        drop("orders", id + ".json", order(id, "os@example.com", "MUG-9", "3"));
        awaitStatus(id, "PLACED");

        NotifyBuilder applied = new NotifyBuilder(context).fromRoute("order-status").whenCompleted(2).create();
        String out = event(Event.OUT_OF_STOCK, id, "2026-01-01T00:00:00Z",
                "{\"customer\":{\"email\":\"os@example.com\"},\"missing\":[{\"sku\":\"MUG-9\",\"requested\":3,\"available\":1}]}");
        String notified = event(Event.CUSTOMER_NOTIFIED, id, "2026-01-01T00:00:01Z",
                "{\"kind\":\"out-of-stock\",\"messageId\":\"<" + id + ".out-of-stock@orderflow>\",\"recipient\":\"os@example.com\"}");
        template.sendBodyAndHeader("jms:topic:orderflow.events::orderflow.events.order", out, "eventType", Event.OUT_OF_STOCK);
        template.sendBodyAndHeader("jms:topic:orderflow.events::orderflow.events.order", notified, "eventType", Event.CUSTOMER_NOTIFIED);
        assertThat(applied.matches(30, TimeUnit.SECONDS)).isTrue();

        awaitStatus(id, "REJECTED");
        awaitNotified(id);
        assertThat(jdbc().queryForObject("SELECT rejection_reason FROM orders WHERE order_id = ?", String.class, id))
                .isEqualTo("out of stock: MUG-9 (ordered 3, available 1)");
    }
}
