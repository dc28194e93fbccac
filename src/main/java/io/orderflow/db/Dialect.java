package io.orderflow.db;

/**
 * The SQL that differs between the supported databases, in one place. Everything else is written
 * once, in SQL both accept (H2 runs in MODE=PostgreSQL).
 */
public enum Dialect {

    /*
     * H2 scans every pending row for "WHERE published_at IS NULL ORDER BY id LIMIT n FOR UPDATE
     * SKIP LOCKED"; choosing the ids first in a sub-select and locking only those is fast.
     * H2's FOR UPDATE does not re-check that sub-select, so a row another transaction has just
     * committed can come back in the version the sub-select read: NotificationSender reads its
     * row again under the lock; each outbox has one relay per H2 process, so it never races.
     */
    H2("SELECT id, event_id, event_type, order_id, payload FROM %1$s WHERE id IN ("
            + "SELECT id FROM %1$s WHERE published_at IS NULL AND created_at < ? ORDER BY id LIMIT ?) "
            + "ORDER BY id FOR UPDATE SKIP LOCKED",
            "SELECT order_id, kind, recipient, message_id, subject, body, attempts FROM email_notification "
            + "WHERE order_id IN (SELECT order_id FROM email_notification WHERE status = 'PENDING' AND next_attempt_at <= ? "
            + "ORDER BY next_attempt_at LIMIT ?) FOR UPDATE SKIP LOCKED"),

    POSTGRESQL("SELECT id, event_id, event_type, order_id, payload FROM %1$s WHERE published_at IS NULL AND created_at < ? "
            + "ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED",
            "SELECT order_id, kind, recipient, message_id, subject, body, attempts FROM email_notification "
            + "WHERE status = 'PENDING' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED");

    private final String pendingOutboxRows;
    private final String dueNotification;

    Dialect(String pendingOutboxRows, String dueNotification) {
        this.pendingOutboxRows = pendingOutboxRows;
        this.dueNotification = dueNotification;
    }

    /** Pending notifications whose time has come, at most n, locked; those another sender holds are skipped. */
    public String dueNotifications() {
        return dueNotification;
    }

    /**
     * Pending rows of an outbox table created before a given time, oldest first, locked for this relay; rows another relay
     * holds are skipped, not waited for. Selection is by state (not yet published), never by a
     * remembered last id: ids are allocated before commit and can become visible out of order.
     */
    public String pendingOutboxRows(String table) {
        return String.format(pendingOutboxRows, table);
    }
}
