package io.orderflow.order;

import io.orderflow.outbox.Event;
import io.orderflow.outbox.ProcessedEvents;
import org.springframework.jdbc.core.JdbcTemplate;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * The events of an order as the order service saw them. Its primary key on the event id is also
 * the order service's record of processed events: recording an event twice inserts nothing.
 */
final class OrderTimeline {

    private OrderTimeline() {
    }

    /** Records the events in one JDBC batch; returns the ids of those recorded before (duplicates). */
    static Set<String> record(JdbcTemplate jdbc, List<Event> events) {
        Timestamp now = Timestamp.from(Instant.now());
        int[][] counts = jdbc.batchUpdate("INSERT INTO order_event (event_id, order_id, event_type, occurred_at, recorded_at, trace_id) "
                + "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", events, events.size(), (ps, e) -> {
                    ps.setString(1, e.eventId());
                    ps.setString(2, e.orderId());
                    ps.setString(3, e.type());
                    ps.setTimestamp(4, Timestamp.from(Instant.parse(e.occurredAt())));
                    ps.setTimestamp(5, now);
                    ps.setString(6, e.traceId());
                });
        Set<String> skipped = ProcessedEvents.skipped(events, counts[0]);
        ProcessedEvents.countDuplicates(jdbc, "order_event", skipped, now);
        return skipped;
    }
}
