package io.orderflow.check;

import io.orderflow.retention.RetentionHorizon;
import org.springframework.jdbc.core.JdbcTemplate;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Checks the guarantees against the database: every order decided once and notified once, stock
 * adding up, every event emitted once and published or pending, nothing applied twice. Work still
 * in flight (an order not yet decided, events not yet published) is counted as pending, not as a
 * violation; a settled system has nothing pending.
 *
 * <p>Orders placed before the horizon that retention runs recorded in the database
 * ({@link RetentionHorizon}) are not checked for the events and notifications retention may have
 * deleted; which retention settings the checking process has does not matter.
 */
public final class InvariantCheck {

    /**
     * The tables retention deletes from whose rows the check needs for each order it checks; the
     * processed-event tables are not read.
     */
    static final List<String> TABLES_READ = List.of("order_outbox", "stock_outbox", "email_outbox", "email_notification");

    /** Re-runs after the horizon moved under a run that found violations; see {@link #run()}. */
    private static final int MAX_RUNS = 5;

    /** @param checkedSince (ISO-8601) orders placed before it are past the recorded retention horizon, not checked; null if all are */
    public record Report(int orders, List<String> violations, List<String> pending, String checkedSince) {
        public boolean ok() {
            return violations.isEmpty();
        }

        public boolean settled() {
            return violations.isEmpty() && pending.isEmpty();
        }
    }

    private final JdbcTemplate jdbc;
    private final RetentionHorizon horizon;

    public InvariantCheck(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
        this.horizon = new RetentionHorizon(jdbc);
    }

    /**
     * Safe to call from several threads: each run collects into lists of its own.
     *
     * <p>A retention run may delete while the check reads. It records its cut-off before deleting,
     * so a row the check found missing because it was deleted meanwhile shows as a horizon that
     * moved: the check then runs again with the new one.
     */
    public Report run() {
        Optional<Instant> since = horizon.latest(TABLES_READ);
        for (int run = 1; ; run++) {
            Report report = run(since);
            Optional<Instant> after = horizon.latest(TABLES_READ);
            if (report.ok() || after.equals(since) || run == MAX_RUNS) {
                return report;
            }
            since = after;
        }
    }

    private Report run(Optional<Instant> checkedSince) {
        List<String> violations = new ArrayList<>();
        List<String> pending = new ArrayList<>();
        Timestamp since = Timestamp.from(checkedSince.orElse(Instant.EPOCH));
        int orders = jdbc.queryForObject("SELECT COUNT(*) FROM orders WHERE placed_at >= ?", Integer.class, since);

        violation(violations, "order %s has %s OrderPlaced events in its outbox (expected exactly 1)",
                "SELECT o.order_id, COUNT(x.event_id) FROM orders o LEFT JOIN order_outbox x ON x.order_id = o.order_id "
                        + "AND x.event_type = 'OrderPlaced' WHERE o.placed_at >= ? GROUP BY o.order_id HAVING COUNT(x.event_id) <> 1", since);
        violation(violations, "order %s was decided %s times by the stock service (expected at most 1)",
                "SELECT order_id, COUNT(*) FROM stock_outbox WHERE event_type IN ('StockReserved', 'OutOfStock') "
                        + "GROUP BY order_id HAVING COUNT(*) > 1");
        violation(violations, "order %s has %s stock decisions in its timeline (expected at most 1)",
                "SELECT order_id, COUNT(*) FROM order_event WHERE event_type IN ('StockReserved', 'OutOfStock') "
                        + "GROUP BY order_id HAVING COUNT(*) > 1");
        violation(violations, "order %s was notified %s times (expected at most 1 CustomerNotified)",
                "SELECT order_id, COUNT(*) FROM email_outbox WHERE event_type = 'CustomerNotified' GROUP BY order_id HAVING COUNT(*) > 1");
        violation(violations, "order %s has status %s but no matching stock decision",
                "SELECT o.order_id, o.status FROM orders o WHERE o.status <> 'PLACED' AND o.placed_at >= ? AND NOT EXISTS "
                        + "(SELECT 1 FROM stock_outbox s WHERE s.order_id = o.order_id AND s.event_type = CASE o.status "
                        + "WHEN 'CONFIRMED' THEN 'StockReserved' ELSE 'OutOfStock' END)", since);
        violation(violations, "order %s has reservations but its stock decision was %s",
                "SELECT DISTINCT r.order_id, s.event_type FROM stock_reservation r JOIN stock_outbox s ON s.order_id = r.order_id "
                        + "AND s.event_type = 'OutOfStock'");
        violation(violations, "SKU %s: reserved %s differs from the sum of its reservations",
                "SELECT i.sku, i.reserved FROM stock_item i WHERE i.reserved <> (SELECT COALESCE(SUM(r.quantity), 0) "
                        + "FROM stock_reservation r WHERE r.sku = i.sku)");
        violation(violations, "SKU %s: reservations for %s units but no such SKU in stock",
                "SELECT r.sku, SUM(r.quantity) FROM stock_reservation r WHERE NOT EXISTS (SELECT 1 FROM stock_item i "
                        + "WHERE i.sku = r.sku) GROUP BY r.sku");
        violation(violations, "SKU %s: %s units reserved beyond what is on hand (available would be negative)",
                "SELECT sku, reserved - on_hand FROM stock_item WHERE reserved > on_hand");
        violation(violations, "order %s: reserved lines differ from the order's lines (sku %s)",
                // look-ups by primary key for each line: a join with an aggregated subquery could
                // be planned, on statistics taken early, as a nested loop that re-aggregates the
                // whole table for every order (a 30 s timeout on 23,000 orders was seen)
                "SELECT DISTINCT o.order_id, l.sku FROM orders o JOIN order_line l ON l.order_id = o.order_id "
                        + "WHERE o.status = 'CONFIRMED' AND NOT EXISTS (SELECT 1 FROM stock_reservation r "
                        + "WHERE r.order_id = l.order_id AND r.sku = l.sku AND r.quantity = (SELECT SUM(s.quantity) "
                        + "FROM order_line s WHERE s.order_id = l.order_id AND s.sku = l.sku))");
        violation(violations, "notification for order %s is %s but no order exists",
                "SELECT n.order_id, n.status FROM email_notification n WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.order_id = n.order_id)");
        violation(violations, "notification for order %s was sent (%s) but no CustomerNotified was emitted",
                "SELECT n.order_id, n.message_id FROM email_notification n WHERE n.status = 'SENT' AND n.created_at >= ? AND NOT EXISTS "
                        + "(SELECT 1 FROM email_outbox x WHERE x.order_id = n.order_id AND x.event_type = 'CustomerNotified')", since);

        pendingCount(pending, "orders not decided yet (PLACED)", "SELECT COUNT(*) FROM orders WHERE status = 'PLACED'");
        // since the horizon: an older order's discarded notification may have been deleted
        pendingCount(pending, "decided orders not notified yet", "SELECT COUNT(*) FROM orders o WHERE status <> 'PLACED' "
                + "AND o.placed_at >= ? AND notified_at IS NULL AND NOT EXISTS (SELECT 1 FROM email_notification n "
                + "WHERE n.order_id = o.order_id AND n.status IN ('FAILED', 'DISCARDED'))", since);
        pendingCount(pending, "notifications refused by the mail server, waiting for an operator (dead letters, source notifications)",
                "SELECT COUNT(*) FROM email_notification WHERE status = 'FAILED'");
        pendingCount(pending, "decided orders without a notification record yet", "SELECT COUNT(*) FROM orders o WHERE o.status <> 'PLACED' "
                + "AND o.placed_at >= ? AND NOT EXISTS (SELECT 1 FROM email_notification n WHERE n.order_id = o.order_id)", since);
        pendingCount(pending, "notifications waiting to be sent", "SELECT COUNT(*) FROM email_notification WHERE status = 'PENDING'");
        for (String service : new String[] {"order", "stock", "email"}) {
            pendingCount(pending, service + " outbox events not yet published",
                    "SELECT COUNT(*) FROM " + service + "_outbox WHERE published_at IS NULL");
        }
        return new Report(orders, List.copyOf(violations), List.copyOf(pending), checkedSince.map(Instant::toString).orElse(null));
    }

    private void violation(List<String> violations, String format, String sql, Object... args) {
        jdbc.query(sql, rs -> {
            violations.add(String.format(format, rs.getString(1), rs.getString(2)));
        }, args);
    }

    private void pendingCount(List<String> pending, String what, String sql, Object... args) {
        int n = jdbc.queryForObject(sql, Integer.class, args);
        if (n > 0) {
            pending.add(n + " " + what);
        }
    }
}
