package io.orderflow.email;

import io.orderflow.db.Transactions;
import io.orderflow.outbox.Event;
import io.orderflow.trace.OrderTraces;
import io.orderflow.outbox.EventConsumer;
import io.orderflow.outbox.ProcessedEvents;
import io.orderflow.outbox.UnreadableEventException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The email service's handler of StockReserved and OutOfStock. It only records the notification
 * (with the processed event, in one transaction); the {@link NotificationSender} sends it. So an
 * unavailable mail server never rolls back or dead-letters an event: the notification waits.
 */
public final class NotificationRecorder implements EventConsumer.Handler {

    private static final Logger LOG = LoggerFactory.getLogger(NotificationRecorder.class);

    private final JdbcTemplate jdbc;
    private final ProcessedEvents processed;
    private final Runnable wakeSender;
    private final NotificationTemplates templates;

    public NotificationRecorder(JdbcTemplate jdbc, NotificationTemplates templates, Runnable wakeSender) {
        this.jdbc = jdbc;
        this.templates = templates;
        this.processed = new ProcessedEvents(jdbc, "email_processed_event");
        this.wakeSender = wakeSender;
    }

    @Override
    public void check(Event event) {
        if (!Event.STOCK_RESERVED.equals(event.type()) && !Event.OUT_OF_STOCK.equals(event.type())) {
            throw new UnreadableEventException("email service received a " + event.type()
                    + " event; it handles StockReserved and OutOfStock only");
        }
        if (!event.data().path("customer").path("email").isTextual()) {
            throw new UnreadableEventException(event.type() + " " + event.eventId() + " has no customer email");
        }
    }

    @Override
    public Set<String> apply(List<Event> events) {
        Set<String> duplicates = processed.record(events);
        List<Notification> notifications = events.stream().filter(e -> !duplicates.contains(e.eventId())).map(e -> Notification.of(e, templates)).toList();
        if (notifications.isEmpty()) {
            return duplicates;
        }
        Timestamp now = Timestamp.from(Instant.now());
        int[][] inserted = jdbc.batchUpdate("INSERT INTO email_notification (order_id, kind, recipient, message_id, subject, body, html_body, trace_id, "
                        + "status, attempts, next_attempt_at, created_at, traceparent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', 0, ?, ?, ?) "
                        + "ON CONFLICT DO NOTHING",
                notifications, notifications.size(), (ps, n) -> {
                    ps.setString(1, n.orderId());
                    ps.setString(2, n.kind());
                    ps.setString(3, n.recipient());
                    ps.setString(4, n.messageId());
                    ps.setString(5, n.subject());
                    ps.setString(6, n.body());
                    ps.setString(7, n.html());
                    ps.setString(8, n.traceId());
                    ps.setTimestamp(9, now);
                    ps.setTimestamp(10, now);
                    // the email service's span for the decision: the send's span becomes its child
                    ps.setString(11, OrderTraces.traceparentFor(n.orderId()));
                });
        for (int i = 0; i < notifications.size(); i++) {
            Notification n = notifications.get(i);
            if (inserted[0][i] == 0) {
                LOG.warn("Order {} already has a notification; this decision adds none", n.orderId());
            } else {
                LOG.debug("Recorded {} notification for order {} to {}", n.kind(), n.orderId(), n.recipient());
            }
        }
        Transactions.afterCommit(wakeSender);
        return duplicates;
    }

    @Override
    public void recordDeliveries(Map<String, Integer> deliveries) {
        processed.recordDeliveries(deliveries);
    }
}
