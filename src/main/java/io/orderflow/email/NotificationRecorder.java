package io.orderflow.email;

import io.orderflow.db.Transactions;
import io.orderflow.infra.FaultPoint;
import io.orderflow.observe.ConsumerMetrics;
import io.orderflow.outbox.Event;
import io.orderflow.outbox.EventJson;
import io.orderflow.outbox.UnreadableEventException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.jdbc.core.JdbcTemplate;

import java.sql.Timestamp;
import java.time.Instant;

/**
 * The email service's consumer of StockReserved and OutOfStock. It only records the notification
 * (with the processed event, in one transaction); the {@link NotificationSender} sends it. So an
 * unavailable mail server never rolls back or dead-letters an event: the notification waits.
 */
public final class NotificationRecorder {

    private static final Logger LOG = LoggerFactory.getLogger(NotificationRecorder.class);

    private final JdbcTemplate jdbc;
    private final Transactions transactions;
    private final ConsumerMetrics metrics;
    private final Runnable wakeSender;

    public NotificationRecorder(JdbcTemplate jdbc, Transactions transactions, ConsumerMetrics metrics, Runnable wakeSender) {
        this.jdbc = jdbc;
        this.transactions = transactions;
        this.metrics = metrics;
        this.wakeSender = wakeSender;
    }

    /** Route entry: the JSON body of a StockReserved or OutOfStock event. */
    public void onStockDecision(String body) {
        Event event = EventJson.read(body);
        if (!Event.STOCK_RESERVED.equals(event.type()) && !Event.OUT_OF_STOCK.equals(event.type())) {
            throw new UnreadableEventException("email service received a " + event.type()
                    + " event; it handles StockReserved and OutOfStock only");
        }
        if (!event.data().path("customer").path("email").isTextual()) {
            throw new UnreadableEventException(event.type() + " " + event.eventId() + " has no customer email");
        }
        MDC.put("orderId", event.orderId());
        try {
            boolean applied = transactions.inTransaction(() -> record(event));
            FaultPoint.CONSUMER_AFTER_COMMIT.reach();
            metrics.consumed("email", applied, event);
        } finally {
            MDC.remove("orderId");
        }
    }

    private boolean record(Event event) {
        Timestamp now = Timestamp.from(Instant.now());
        if (jdbc.update("INSERT INTO email_processed_event (event_id, order_id, processed_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                event.eventId(), event.orderId(), now) == 0) {
            return false;
        }
        Notification n = Notification.of(event);
        int inserted = jdbc.update("INSERT INTO email_notification (order_id, kind, recipient, message_id, subject, body, status, "
                        + "attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 'PENDING', 0, ?, ?) ON CONFLICT DO NOTHING",
                n.orderId(), n.kind(), n.recipient(), n.messageId(), n.subject(), n.body(), now, now);
        if (inserted == 0) {
            LOG.warn("Order {} already has a notification; {} {} adds none", event.orderId(), event.type(), event.eventId());
        } else {
            LOG.info("Recorded {} notification for order {} to {}", n.kind(), n.orderId(), n.recipient());
            Transactions.afterCommit(wakeSender);
        }
        return true;
    }
}
