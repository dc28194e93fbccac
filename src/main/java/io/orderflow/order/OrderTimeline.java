package io.orderflow.order;

import io.orderflow.outbox.Event;
import org.springframework.jdbc.core.JdbcTemplate;

import java.sql.Timestamp;
import java.time.Instant;

/**
 * The events of an order as the order service saw them. Its primary key on the event id is also
 * the order service's record of processed events: recording an event twice inserts nothing.
 */
final class OrderTimeline {

    private OrderTimeline() {
    }

    /** @return false if the event was recorded before (a duplicate) */
    static boolean record(JdbcTemplate jdbc, Event event) {
        return jdbc.update("INSERT INTO order_event (event_id, order_id, event_type, occurred_at, recorded_at) "
                        + "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                event.eventId(), event.orderId(), event.type(), Timestamp.from(Instant.parse(event.occurredAt())),
                Timestamp.from(Instant.now())) == 1;
    }
}
