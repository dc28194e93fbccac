package io.orderflow.outbox;

import io.orderflow.db.Dialect;
import io.orderflow.db.Transactions;
import org.springframework.jdbc.core.JdbcTemplate;

import java.sql.Timestamp;
import java.time.Instant;

/**
 * One service's outbox table. Events are appended in the caller's transaction, so they exist if
 * and only if the state change that produced them committed; the {@link OutboxRelay} is woken
 * once that transaction has committed.
 */
public final class Outbox {

    private final String service;
    private final String table;
    private final JdbcTemplate jdbc;
    private final Dialect dialect;
    private volatile Runnable onCommit = () -> { };

    public Outbox(String service, JdbcTemplate jdbc, Dialect dialect) {
        this.service = service;
        this.table = service + "_outbox";
        this.jdbc = jdbc;
        this.dialect = dialect;
    }

    /** Must be called inside a transaction. */
    public void append(Event event) {
        jdbc.update("INSERT INTO " + table + " (event_id, event_type, order_id, payload, created_at) VALUES (?, ?, ?, ?, ?)",
                event.eventId(), event.type(), event.orderId(), EventJson.write(event), Timestamp.from(Instant.now()));
        Runnable wake = onCommit;
        Transactions.afterCommit(wake);
    }

    void onCommit(Runnable wake) {
        this.onCommit = wake;
    }

    public String service() {
        return service;
    }

    String table() {
        return table;
    }

    JdbcTemplate jdbc() {
        return jdbc;
    }

    Dialect dialect() {
        return dialect;
    }

    public long backlog() {
        Long n = jdbc.queryForObject("SELECT COUNT(*) FROM " + table + " WHERE published_at IS NULL", Long.class);
        return n == null ? 0 : n;
    }
}
