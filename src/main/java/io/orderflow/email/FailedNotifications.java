package io.orderflow.email;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * Notifications the mail server refused for good (status FAILED, with its answer): found for an
 * operator, sent again once the cause is fixed, or discarded. Retrying puts a notification back
 * to PENDING with a fresh count of attempts and wakes the sender.
 */
public final class FailedNotifications {

    public record Failed(String orderId, String kind, String recipient, String messageId, String error, int attempts,
                         Instant failedAt, String subject, String body) {
    }

    private static final String COLUMNS = "order_id, kind, recipient, message_id, last_error, attempts, failed_at, subject, body";
    private static final RowMapper<Failed> ROW = (rs, i) -> new Failed(rs.getString(1), rs.getString(2), rs.getString(3),
            rs.getString(4), rs.getString(5), rs.getInt(6), rs.getTimestamp(7).toInstant(), rs.getString(8), rs.getString(9));

    private final JdbcTemplate jdbc;
    private final Runnable wakeSender;

    public FailedNotifications(JdbcTemplate jdbc, Runnable wakeSender) {
        this.jdbc = jdbc;
        this.wakeSender = wakeSender;
    }

    /** The failed notifications, oldest failure first, optionally of one order, with a reason containing a text, failed before an instant. */
    public List<Failed> find(String orderId, String reasonContains, Instant failedBefore) {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM email_notification WHERE status = 'FAILED'");
        List<Object> args = new ArrayList<>();
        if (orderId != null) {
            sql.append(" AND order_id = ?");
            args.add(orderId);
        }
        if (reasonContains != null) {
            sql.append(" AND POSITION(? IN last_error) > 0");
            args.add(reasonContains);
        }
        if (failedBefore != null) {
            sql.append(" AND failed_at < ?");
            args.add(Timestamp.from(failedBefore));
        }
        sql.append(" ORDER BY failed_at, order_id");
        return jdbc.query(sql.toString(), ROW, args.toArray());
    }

    public Optional<Failed> find(String orderId) {
        return jdbc.query("SELECT " + COLUMNS + " FROM email_notification WHERE status = 'FAILED' AND order_id = ?", ROW, orderId)
                .stream().findFirst();
    }

    /** Back to PENDING, due now, in the caller's transaction; the sender is woken after the commit. */
    public int retry(Collection<String> orderIds) {
        if (orderIds.isEmpty()) {
            return 0;
        }
        int n = jdbc.update("UPDATE email_notification SET status = 'PENDING', attempts = 0, next_attempt_at = ?, failed_at = NULL "
                + "WHERE status = 'FAILED' AND order_id IN (" + marks(orderIds) + ")", args(Timestamp.from(Instant.now()), orderIds));
        io.orderflow.db.Transactions.afterCommit(wakeSender);
        return n;
    }

    /** DISCARDED: never sent, no longer listed; the row and its last error stay. */
    public int discard(Collection<String> orderIds) {
        if (orderIds.isEmpty()) {
            return 0;
        }
        return jdbc.update("UPDATE email_notification SET status = 'DISCARDED' WHERE status = 'FAILED' AND order_id IN ("
                + marks(orderIds) + ")", orderIds.toArray());
    }

    private static String marks(Collection<String> ids) {
        return String.join(", ", Collections.nCopies(ids.size(), "?"));
    }

    private static Object[] args(Object first, Collection<String> rest) {
        List<Object> all = new ArrayList<>(rest.size() + 1);
        all.add(first);
        all.addAll(rest);
        return all.toArray();
    }
}
