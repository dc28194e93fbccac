package io.orderflow.routes;

import io.orderflow.outbox.Event;
import io.orderflow.outbox.EventJson;
import io.orderflow.support.FlowTestSupport;
import jakarta.jms.JMSException;
import org.apache.camel.Exchange;
import org.apache.camel.builder.AdviceWith;
import org.junit.jupiter.api.Test;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** routes/60-relays.yaml: the order service's relay routes, with the order service alone. */
class RelayRoutesTest extends FlowTestSupport {

    @Override
    protected Map<String, String> settingsOverrides() {
        return Map.of("orderflow.services", "order");
    }

    @Test
    void should_publish_an_event_handed_over_at_its_commit_and_mark_it_published() throws Exception {
        String id = unique("RH");
        drop("orders", id + ".json", order(id, "rh@example.com", "SKU-1", "1"));
        Exchange placed = awaitEvent("stock", id);
        assertThat(placed.getMessage().getHeader("eventType")).isEqualTo(Event.ORDER_PLACED);
        assertThat(placed.getMessage().getBody(String.class)).contains(id);
        await().atMost(TIMEOUT).until(() -> count("SELECT COUNT(*) FROM order_outbox WHERE order_id = ? AND published_at IS NOT NULL", id) == 1);
    }

    @Test
    void should_publish_through_the_scan_a_row_another_process_committed() {
        // a row no hand-over announces: as if another process had committed it a minute ago
        String id = unique("RS");
        Event event = Event.create(Event.ORDER_PLACED, id, EventJson.MAPPER.createObjectNode().put("test", true));
        String eventId = event.eventId();
        jdbc().update("INSERT INTO order_outbox (event_id, event_type, order_id, payload, created_at) VALUES (?, ?, ?, ?, ?)",
                eventId, Event.ORDER_PLACED, id, EventJson.write(event), Timestamp.from(Instant.now().minusSeconds(60)));
        Exchange scanned = awaitEvent("stock", id);
        assertThat(scanned.getMessage().getHeader("eventId")).isEqualTo(eventId);
        await().atMost(TIMEOUT).until(() -> count("SELECT COUNT(*) FROM order_outbox WHERE event_id = ? AND published_at IS NOT NULL", eventId) == 1);
    }

    @Test
    void should_hold_the_scan_in_place_while_the_broker_fails_and_publish_once_it_is_back() throws Exception {
        AtomicInteger failures = new AtomicInteger();
        AdviceWith.adviceWith(context, "order-relay-scan", a -> a.weaveAddFirst().process(e -> {
            if (failures.incrementAndGet() <= 3) {
                throw new JMSException("test: broker away");
            }
        }));
        double before = retriedInPlace("order-relay-scan");
        String id = unique("RB");
        String eventId = UUID.randomUUID().toString();
        jdbc().update("INSERT INTO order_outbox (event_id, event_type, order_id, payload, created_at) VALUES (?, ?, ?, ?, ?)",
                eventId, Event.ORDER_PLACED, id, "{}", Timestamp.from(Instant.now().minusSeconds(60)));
        assertThat(awaitEvent("stock", id).getMessage().getHeader("eventId")).isEqualTo(eventId);
        assertThat(retriedInPlace("order-relay-scan") - before).isGreaterThanOrEqualTo(3);
        await().atMost(TIMEOUT).until(() -> count("SELECT COUNT(*) FROM order_outbox WHERE event_id = ? AND published_at IS NOT NULL", eventId) == 1);
    }
}
