package io.orderflow.outbox;

import org.springframework.jdbc.core.JdbcTemplate;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A service's record of the events it processed (a table with the event id as its primary key),
 * written in the same transaction as what the events change. An event already recorded inserts
 * nothing, and that is how a duplicate is recognised: by the database, not by a prior look-up.
 */
public final class ProcessedEvents {

    private final JdbcTemplate jdbc;
    private final String table;
    private final String insert;

    public ProcessedEvents(JdbcTemplate jdbc, String table) {
        this.jdbc = jdbc;
        this.table = table;
        this.insert = "INSERT INTO " + table + " (event_id, order_id, processed_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING";
    }

    /** Records the events in one JDBC batch; returns the ids of those recorded before (duplicates). */
    public Set<String> record(List<Event> events) {
        Timestamp now = Timestamp.from(Instant.now());
        int[][] counts = jdbc.batchUpdate(insert, events, events.size(), (ps, e) -> {
            ps.setString(1, e.eventId());
            ps.setString(2, e.orderId());
            ps.setTimestamp(3, now);
        });
        Set<String> skipped = skipped(events, counts[0]);
        countDuplicates(jdbc, table, skipped, now);
        return skipped;
    }

    /** Notes the delivery that applied each event, on its row. */
    public void recordDeliveries(Map<String, Integer> deliveries) {
        recordDeliveries(jdbc, table, deliveries);
    }

    public static void recordDeliveries(JdbcTemplate jdbc, String table, Map<String, Integer> deliveries) {
        jdbc.batchUpdate("UPDATE " + table + " SET applied_at_delivery = ? WHERE event_id = ?", List.copyOf(deliveries.entrySet()),
                deliveries.size(), (ps, d) -> {
                    ps.setInt(1, d.getValue());
                    ps.setString(2, d.getKey());
                });
    }

    /** Counts the skipped events on their rows (for the console's timeline), in the caller's transaction. */
    public static void countDuplicates(JdbcTemplate jdbc, String table, Set<String> skipped, Timestamp now) {
        if (skipped.isEmpty()) {
            return;
        }
        jdbc.batchUpdate("UPDATE " + table + " SET duplicates = duplicates + 1, last_duplicate_at = ? WHERE event_id = ?",
                List.copyOf(skipped), skipped.size(), (ps, id) -> {
                    ps.setTimestamp(1, now);
                    ps.setString(2, id);
                });
    }

    /** The ids of the events whose insert changed nothing (by the update counts of a JDBC batch, in the events' order). */
    public static Set<String> skipped(List<Event> events, int[] counts) {
        Set<String> skipped = new HashSet<>();
        for (int i = 0; i < events.size(); i++) {
            if (counts[i] == 0) {
                skipped.add(events.get(i).eventId());
            }
        }
        return skipped;
    }
}
