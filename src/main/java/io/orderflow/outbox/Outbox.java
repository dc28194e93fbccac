package io.orderflow.outbox;

import io.orderflow.db.Dialect;
import io.orderflow.db.Transactions;
import io.orderflow.trace.OrderTraces;
import org.springframework.jdbc.core.JdbcTemplate;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

/**
 * One service's outbox table. Events are appended in the caller's transaction, so they exist if
 * and only if the state change that produced them committed; once that transaction has committed
 * they are handed to the {@link OutboxRelay} in memory.
 */
public final class Outbox {

    private final String service;
    private final String table;
    private final JdbcTemplate jdbc;
    private final Dialect dialect;
    private volatile Consumer<List<OutboxRow>> onCommit = rows -> { };

    public Outbox(String service, JdbcTemplate jdbc, Dialect dialect) {
        this.service = service;
        this.table = service + "_outbox";
        this.jdbc = jdbc;
        this.dialect = dialect;
    }

    /** Must be called inside a transaction. */
    public void append(Event event) {
        appendAll(List.of(event));
    }

    /** Appends the events in one JDBC batch; must be called inside a transaction. */
    public void appendAll(List<Event> events) {
        if (events.isEmpty()) {
            return;
        }
        Timestamp now = Timestamp.from(Instant.now());
        // each stamped with the span of the stage writing it, if traces are on: the next stage's span is its child
        List<OutboxRow> rows = events.stream().map(e -> new OutboxRow(0, e.eventId(), e.type(), e.orderId(), EventJson.write(e),
                OrderTraces.traceparentFor(e.orderId()))).toList();
        jdbc.batchUpdate("INSERT INTO " + table + " (event_id, event_type, order_id, payload, created_at, traceparent) "
                + "VALUES (?, ?, ?, ?, ?, ?)", rows, rows.size(), (ps, row) -> {
                    ps.setString(1, row.eventId());
                    ps.setString(2, row.eventType());
                    ps.setString(3, row.orderId());
                    ps.setString(4, row.payload());
                    ps.setTimestamp(5, now);
                    ps.setString(6, row.traceparent());
                });
        // the relay publishes them from memory once (and only if) this transaction commits
        Consumer<List<OutboxRow>> handOver = onCommit;
        Transactions.afterCommit(() -> handOver.accept(rows));
    }

    void onCommit(Consumer<List<OutboxRow>> handOver) {
        this.onCommit = handOver;
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

    /** Seconds since the oldest event not yet published was committed; 0 when none waits. */
    public double oldestPendingAgeSeconds() {
        java.sql.Timestamp oldest = jdbc.queryForObject("SELECT MIN(created_at) FROM " + table + " WHERE published_at IS NULL",
                java.sql.Timestamp.class);
        return oldest == null ? 0 : Math.max(0, (System.currentTimeMillis() - oldest.getTime()) / 1000.0);
    }

    public long backlog() {
        Long n = jdbc.queryForObject("SELECT COUNT(*) FROM " + table + " WHERE published_at IS NULL", Long.class);
        return n == null ? 0 : n;
    }
}
