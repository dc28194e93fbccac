package io.orderflow.routes;

import io.orderflow.outbox.Event;
import io.orderflow.support.FlowTestSupport;
import org.apache.camel.Exchange;
import org.apache.camel.builder.AdviceWith;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.jdbc.CannotGetJdbcConnectionException;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * routes/01-errors.yaml: an outage is held in place, whatever the route; the input's own fault
 * uses up its attempts and is parked with its reason.
 */
class ErrorRoutesTest extends FlowTestSupport {

    @Test
    void should_hold_an_order_message_in_place_while_the_database_is_away_and_record_it_once() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        AdviceWith.adviceWith(context, "order-messages", a -> a.weaveAddFirst().process(e -> {
            if (attempts.incrementAndGet() <= 4) {
                throw new CannotGetJdbcConnectionException("test: database away");
            }
        }));
        String id = unique("EO");
        template.sendBody("jms:queue:orders.in", order(id, "eo@example.com", "SKU-1", "1"));
        // recorded, then decided by the stock service (SKU-1 has no stock here)
        awaitStatus(id, "REJECTED");
        assertThat(attempts.get()).isGreaterThanOrEqualTo(5);
        assertThat(retriedInPlace("order-messages")).isGreaterThanOrEqualTo(4);
        assertThat(consumer.receiveNoWait("jms:queue:orders.in.rejected")).isNull();
        assertThat(count("SELECT COUNT(*) FROM orders WHERE order_id = ?", id)).isEqualTo(1);
    }

    @Test
    void should_park_an_event_the_database_keeps_refusing_after_its_attempts_with_the_reason() throws Exception {
        AdviceWith.adviceWith(context, "order-status", a -> a.weaveAddFirst().process(e -> {
            if (e.getMessage().getBody(String.class).contains("PARK-ME")) {
                throw new DataIntegrityViolationException("test: constraint refused PARK-ME");
            }
        }));
        String notified = event(Event.CUSTOMER_NOTIFIED, unique("PARK-ME"), "2026-01-01T00:00:01Z",
                "{\"kind\":\"confirmation\",\"messageId\":\"<x@orderflow>\",\"recipient\":\"p@example.com\"}");
        template.sendBodyAndHeader("jms:topic:orderflow.events::orderflow.events.order", notified, "eventType", Event.CUSTOMER_NOTIFIED);
        Exchange parked = consumer.receive("jms:queue:orderflow.dead-letter", 30_000);
        assertThat(parked).isNotNull();
        assertThat(parked.getMessage().getHeader("failureReason", String.class)).contains("constraint refused PARK-ME");
        assertThat(parked.getMessage().getHeader("failedRoute")).isEqualTo("order-status");
        assertThat(parked.getMessage().getHeader("deliveryAttempts", Integer.class)).isEqualTo(4);
    }
}
