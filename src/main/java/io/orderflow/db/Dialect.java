package io.orderflow.db;

/**
 * The SQL that differs between the supported databases, in one place. Everything else is written
 * once, in SQL both accept (H2 runs in MODE=PostgreSQL).
 */
public enum Dialect {

    /*
     * An H2 file database is open in one process only. Each process runs one relay per outbox, so
     * the scan needs no row locks; the notification senders of the process divide the due rows
     * among themselves in memory (NotificationSender's claims). H2's FOR UPDATE costs about half a
     * millisecond a row (it writes a lock entry for each), and with a sub-select ("WHERE id IN
     * (SELECT ... LIMIT n)") H2 scans the whole table, history included, for every batch. Both
     * queries read their index in its own order instead, which takes a batch in about a
     * millisecond however many rows the table holds.
     */
    H2("SELECT id, event_id, event_type, order_id, payload, created_at, traceparent FROM %1$s USE INDEX (%1$s_pending) "
            + "WHERE published_at IS NULL ORDER BY published_at, id LIMIT ?",
            "SELECT order_id, kind, recipient, message_id, subject, body, attempts, trace_id, html_body, traceparent FROM email_notification "
            + "USE INDEX (email_notification_due) WHERE status = 'PENDING' AND next_attempt_at <= ? "
            + "ORDER BY status, next_attempt_at LIMIT ?"),

    POSTGRESQL("SELECT id, event_id, event_type, order_id, payload, created_at, traceparent FROM %1$s WHERE published_at IS NULL "
            + "ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED",
            "SELECT order_id, kind, recipient, message_id, subject, body, attempts, trace_id, html_body, traceparent FROM email_notification "
            + "WHERE status = 'PENDING' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED");

    private final String pendingOutboxRows;
    private final String dueNotification;

    Dialect(String pendingOutboxRows, String dueNotification) {
        this.pendingOutboxRows = pendingOutboxRows;
        this.dueNotification = dueNotification;
    }

    /**
     * Pending notifications whose time has come, at most n, oldest first; on PostgreSQL locked, and
     * those another process's sender holds are skipped.
     */
    public String dueNotifications() {
        return dueNotification;
    }

    /**
     * Whether a row that SELECT ... FOR UPDATE locked is known to still match the query's condition:
     * PostgreSQL checks it again on the row's newest version once it holds the lock; H2 does not.
     */
    public boolean rechecksLockedRows() {
        return this == POSTGRESQL;
    }

    /**
     * Deletes at most n rows of the table that match the condition (its one parameter comes
     * first, n second). On PostgreSQL rows another instance is deleting are skipped; H2 deletes in
     * its index's order without the sub-select that would scan the whole table.
     */
    public String deleteBatch(String table, String key, String condition) {
        return this == H2 ? "DELETE FROM " + table + " WHERE " + condition + " FETCH FIRST ? ROWS ONLY"
                : "DELETE FROM " + table + " WHERE " + key + " IN (SELECT " + key + " FROM " + table + " WHERE " + condition
                        + " LIMIT ? FOR UPDATE SKIP LOCKED)";
    }

    /**
     * Pending rows of an outbox table, oldest first, with when they were created; on PostgreSQL
     * locked for this relay, and rows another process's relay holds are skipped, not waited for.
     * Selection is by state (not yet published), never by a remembered last id: ids are allocated
     * before commit and can become visible out of order.
     */
    public String pendingOutboxRows(String table) {
        return String.format(pendingOutboxRows, table);
    }
}
