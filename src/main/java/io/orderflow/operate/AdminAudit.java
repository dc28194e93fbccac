package io.orderflow.operate;

import io.orderflow.db.Transactions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The record of what operators did: one admin_audit row per dead letter retried or discarded,
 * with the operator's reason and the failure it had, and one INFO line per action.
 */
final class AdminAudit {

    private static final Logger LOG = LoggerFactory.getLogger(AdminAudit.class);
    private static final int LOGGED_IDS = 20;

    private final JdbcTemplate jdbc;
    private final Transactions transactions;

    AdminAudit(JdbcTemplate jdbc, Transactions transactions) {
        this.jdbc = jdbc;
        this.transactions = transactions;
    }

    /** Records the letters in its own transaction. */
    void record(String action, List<DeadLetter> letters, String reason, String client) {
        transactions.inTransaction(() -> recordInTransaction(action, letters, reason, client));
    }

    /** Records the letters in the caller's transaction. */
    void recordInTransaction(String action, List<DeadLetter> letters, String reason, String client) {
        Timestamp now = Timestamp.from(Instant.now());
        jdbc.batchUpdate("INSERT INTO admin_audit (acted_at, action, target, source, moved_to, order_id, event_id, event_type, "
                + "reason, failure, client) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", letters, 100, (ps, l) -> {
                    ps.setTimestamp(1, now);
                    ps.setString(2, action);
                    ps.setString(3, cut(l.id(), 300));
                    ps.setString(4, l.source());
                    ps.setString(5, action.equals("RETRY") ? l.retryTo() : null);
                    ps.setString(6, cut(l.orderId(), 64));
                    ps.setString(7, cut(l.eventId(), 64));
                    ps.setString(8, cut(l.eventType(), 64));
                    ps.setString(9, cut(reason, 2000));
                    ps.setString(10, cut(l.reason(), 2000));
                    ps.setString(11, cut(client, 200));
                });
        if (!letters.isEmpty()) {
            Map<String, Long> bySource = letters.stream().collect(Collectors.groupingBy(DeadLetter::source, Collectors.counting()));
            List<String> ids = letters.stream().limit(LOGGED_IDS).map(DeadLetter::id).toList();
            LOG.info("Admin {}: {} dead letter(s) {}{} by {}{}: {}{}", action.toLowerCase(), letters.size(), bySource,
                    action.equals("RETRY") ? " sent back to " + letters.stream().map(DeadLetter::retryTo).distinct().toList() : "",
                    client, reason == null ? "" : " (reason: " + reason + ")", ids, letters.size() > LOGGED_IDS ? " ..." : "");
        }
    }

    /** One record for a replay: what was selected, where it went, how many. */
    void recordReplay(String selection, String sentTo, int events, String orderId, String eventType, String client) {
        transactions.inTransaction(() -> {
            jdbc.update("INSERT INTO admin_audit (acted_at, action, target, source, moved_to, order_id, event_type, reason, client) "
                    + "VALUES (?, 'REPLAY', ?, 'outbox history', ?, ?, ?, ?, ?)", Timestamp.from(Instant.now()), cut(selection, 300),
                    cut(sentTo, 200), cut(orderId, 64), cut(eventType, 64), events + " event(s)", cut(client, 200));
        });
        LOG.info("Admin replay: {} event(s) ({}) sent to {} by {}", events, selection, sentTo, client);
    }

    /** The newest audit records, newest first. */
    List<Map<String, Object>> latest(int limit) {
        return jdbc.query("SELECT acted_at, action, target, source, moved_to, order_id, event_id, event_type, reason, failure, "
                + "client FROM admin_audit ORDER BY id DESC LIMIT ?", (rs, i) -> {
                    Map<String, Object> row = new java.util.LinkedHashMap<>();
                    row.put("actedAt", rs.getTimestamp(1).toInstant().toString());
                    String[] names = {"action", "target", "source", "movedTo", "orderId", "eventId", "eventType", "reason", "failure", "client"};
                    for (int c = 0; c < names.length; c++) {
                        if (rs.getString(c + 2) != null) {
                            row.put(names[c], rs.getString(c + 2));
                        }
                    }
                    return row;
                }, limit);
    }

    private static String cut(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }
}
