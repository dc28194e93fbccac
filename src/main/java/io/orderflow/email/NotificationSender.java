package io.orderflow.email;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.orderflow.db.Dialect;
import io.orderflow.db.Transactions;
import io.orderflow.infra.FaultPoint;
import io.orderflow.infra.OutageLog;
import io.orderflow.infra.Worker;
import io.orderflow.outbox.Event;
import io.orderflow.outbox.EventJson;
import io.orderflow.outbox.Outbox;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Sends recorded notifications, one per transaction: lock a due notification, send it, mark it
 * sent and emit CustomerNotified, commit. A send that fails is retried later with a growing,
 * capped delay; the notification waits in the database meanwhile and nothing is rolled back.
 *
 * <p>Guarantee: every notification is sent at least once. If the process dies after the mail
 * server accepted it and before the commit, it is sent again, with the same Message-ID.
 */
public final class NotificationSender extends Worker {

    private static final Logger LOG = LoggerFactory.getLogger(NotificationSender.class);

    private final JdbcTemplate jdbc;
    private final Transactions transactions;
    private final Dialect dialect;
    private final Outbox outbox;
    private final MailSink sink;
    private final long initialDelayMs;
    private final long maxDelayMs;
    private final Counter sent;
    private final Counter failed;

    public NotificationSender(String name, JdbcTemplate jdbc, Transactions transactions, Dialect dialect, Outbox outbox,
                              MailSink sink, long initialDelayMs, long maxDelayMs, long pollIntervalMs, MeterRegistry meters,
                              OutageLog outages) {
        super(name, pollIntervalMs, 10_000, outages);
        this.jdbc = jdbc;
        this.transactions = transactions;
        this.dialect = dialect;
        this.outbox = outbox;
        this.sink = sink;
        this.initialDelayMs = initialDelayMs;
        this.maxDelayMs = maxDelayMs;
        this.sent = Counter.builder("orderflow.notifications.sent").register(meters);
        this.failed = Counter.builder("orderflow.notifications.failed")
                .description("Failed attempts to send a notification (retried)").register(meters);
    }

    @Override
    protected boolean workOnce() {
        return transactions.inTransaction(this::sendNextDue);
    }

    private boolean sendNextDue() {
        Timestamp now = Timestamp.from(Instant.now());
        List<Object[]> due = jdbc.query(dialect.dueNotification(), (rs, i) -> new Object[] {
                new Notification(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6)),
                rs.getInt(7)}, now);
        if (due.isEmpty()) {
            return false;
        }
        Notification n = (Notification) due.get(0)[0];
        int attempts = (Integer) due.get(0)[1];
        // H2 can hand back the version its sub-select read before another sender committed the row
        // (its FOR UPDATE does not re-check the sub-select): read the row again, now that this
        // transaction holds its lock, and leave it if another sender got there first
        Map<String, Object> current = jdbc.queryForMap("SELECT status, attempts FROM email_notification WHERE order_id = ?", n.orderId());
        if (!"PENDING".equals(current.get("status")) || ((Number) current.get("attempts")).intValue() != attempts) {
            return true;
        }
        try {
            sink.send(n);
            FaultPoint.MAIL_AFTER_SEND.reach();
        } catch (Exception e) {
            long delay = Math.min(maxDelayMs, initialDelayMs * (1L << Math.min(20, attempts)));
            String reason = describe(e);
            jdbc.update("UPDATE email_notification SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE order_id = ?",
                    Timestamp.from(Instant.now().plusMillis(delay)), truncate(reason, 2000), n.orderId());
            failed.increment();
            LOG.warn("Could not send {} notification for order {} to {} (attempt {}): {}; next attempt in {} ms",
                    n.kind(), n.orderId(), n.recipient(), attempts + 1, reason, delay);
            return true;
        }
        jdbc.update("UPDATE email_notification SET status = 'SENT', attempts = attempts + 1, sent_at = ?, last_error = NULL "
                + "WHERE order_id = ?", Timestamp.from(Instant.now()), n.orderId());
        ObjectNode data = EventJson.MAPPER.createObjectNode();
        data.put("kind", n.kind());
        data.put("messageId", n.messageId());
        data.put("recipient", n.recipient());
        outbox.append(Event.create(Event.CUSTOMER_NOTIFIED, n.orderId(), data));
        sent.increment();
        LOG.info("Sent {} notification {} for order {} to {}", n.kind(), n.messageId(), n.orderId(), n.recipient());
        return true;
    }

    @Override
    protected String describeFailure(Exception failure) {
        return "cannot process notifications";
    }

    /** The failure and its root cause: "Exception reading response" alone does not say the server timed out. */
    private static String describe(Exception e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + root + ")";
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }
}
