package io.orderflow.order;

import org.springframework.jdbc.core.JdbcTemplate;

import java.sql.Timestamp;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The order as the API shows it: status, lines, rejection reason and the timeline of its events. */
public final class OrderView {

    private final JdbcTemplate jdbc;

    public OrderView(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * The order as it stood at an instant: its status and timeline then, from the times its
     * events occurred. Null if it was not placed yet at that instant.
     *
     * @param at an ISO-8601 instant such as 2026-12-01T10:00:00Z, or null or empty for now
     * @throws IllegalArgumentException for a malformed instant (answered 400)
     */
    public Map<String, Object> find(String orderId, String at) {
        if (at == null || at.isEmpty()) {
            return find(orderId);
        }
        Instant instant;
        try {
            instant = Instant.parse(at);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("at must be an ISO-8601 instant such as 2026-12-01T10:00:00Z, not '" + at + "'");
        }
        Map<String, Object> order = find(orderId);
        if (order == null || Instant.parse((String) order.get("placedAt")).isAfter(instant)) {
            return null;
        }
        order.put("at", instant.toString());
        if (after(order.get("decidedAt"), instant)) {
            order.put("status", "PLACED");
            order.put("decidedAt", null);
            order.put("rejectionReason", null);
        }
        if (after(order.get("notifiedAt"), instant)) {
            order.put("notifiedAt", null);
            order.put("notificationMessageId", null);
        }
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> timeline = (List<Map<String, Object>>) order.get("timeline");
        List<Map<String, Object>> then = timeline.stream().filter(e -> !after(e.get("occurredAt"), instant)).toList();
        order.put("timeline", then);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> events = (List<Map<String, Object>>) order.get("events");
        List<Map<String, Object>> eventsThen = new java.util.ArrayList<>();
        for (Map<String, Object> e : events) {
            if (after(e.get("committedAt"), instant)) {
                continue;
            }
            if (after(e.get("publishedAt"), instant)) {
                e.put("publishedAt", null);
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> consumed = (Map<String, Object>) e.get("consumedBy");
            consumed.values().removeIf(t -> after(t, instant));
            eventsThen.add(e);
        }
        order.put("events", eventsThen);
        if (then.stream().noneMatch(e -> "NotificationFailed".equals(e.get("type")))) {
            order.remove("notificationFailure");
        }
        return order;
    }

    private static boolean after(Object isoInstant, Instant instant) {
        return isoInstant != null && Instant.parse((String) isoInstant).isAfter(instant);
    }

    /** @return the order, or null if unknown */
    public Map<String, Object> find(String orderId) {
        List<Map<String, Object>> found = jdbc.query("SELECT order_id, customer_name, customer_email, status, rejection_reason, "
                + "placed_at, decided_at, notified_at, notification_message_id, source, notification_failure, trace_id FROM orders WHERE order_id = ?", (rs, i) -> {
                    Map<String, Object> o = new LinkedHashMap<>();
                    o.put("orderId", rs.getString(1));
                    Map<String, Object> customer = new LinkedHashMap<>();
                    if (rs.getString(2) != null) {
                        customer.put("name", rs.getString(2));
                    }
                    customer.put("email", rs.getString(3));
                    o.put("customer", customer);
                    o.put("status", rs.getString(4));
                    o.put("rejectionReason", rs.getString(5));
                    o.put("placedAt", iso(rs.getTimestamp(6)));
                    o.put("decidedAt", iso(rs.getTimestamp(7)));
                    o.put("notifiedAt", iso(rs.getTimestamp(8)));
                    o.put("notificationMessageId", rs.getString(9));
                    if (rs.getString(11) != null) {
                        // the mail server refused it for good: an operator can retry it (dead letters, source notifications)
                        o.put("notificationFailure", rs.getString(11));
                    }
                    o.put("source", rs.getString(10));
                    o.put("traceId", rs.getString(12));
                    return o;
                }, orderId);
        if (found.isEmpty()) {
            return null;
        }
        Map<String, Object> order = found.get(0);
        order.put("lines", jdbc.query("SELECT sku, quantity FROM order_line WHERE order_id = ? ORDER BY line_no", (rs, i) -> {
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("sku", rs.getString(1));
            l.put("quantity", rs.getInt(2));
            return l;
        }, orderId));
        order.put("timeline", jdbc.query("SELECT event_type, event_id, occurred_at, recorded_at, trace_id FROM order_event WHERE order_id = ? "
                + "ORDER BY occurred_at, recorded_at", (rs, i) -> {
                    Map<String, Object> e = new LinkedHashMap<>();
                    e.put("type", rs.getString(1));
                    e.put("eventId", rs.getString(2));
                    e.put("occurredAt", iso(rs.getTimestamp(3)));
                    e.put("recordedAt", iso(rs.getTimestamp(4)));
                    if (rs.getString(5) != null) {
                        e.put("traceId", rs.getString(5));
                    }
                    return e;
                }, orderId));
        order.put("events", events(orderId));
        return order;
    }

    /**
     * Every event of the order as the services handled it: who emitted it, when it was committed
     * and published, and when each consuming service applied it (from their records of processed
     * events; the order service's is the timeline). For the console's order page.
     */
    private List<Map<String, Object>> events(String orderId) {
        List<Map<String, Object>> events = new java.util.ArrayList<>();
        for (String service : new String[] {"order", "stock", "email"}) {
            events.addAll(jdbc.query("SELECT event_id, event_type, created_at, published_at FROM " + service + "_outbox WHERE order_id = ?",
                    (rs, i) -> {
                        Map<String, Object> e = new LinkedHashMap<>();
                        e.put("eventId", rs.getString(1));
                        e.put("type", rs.getString(2));
                        e.put("emittedBy", service);
                        e.put("committedAt", iso(rs.getTimestamp(3)));
                        e.put("publishedAt", iso(rs.getTimestamp(4)));
                        e.put("consumedBy", new LinkedHashMap<String, Object>());
                        return e;
                    }, orderId));
        }
        Map<String, Map<String, Object>> byId = new java.util.HashMap<>();
        events.forEach(e -> byId.put((String) e.get("eventId"), e));
        if (events.isEmpty()) {
            return events;
        }
        // by primary key: the processed-event tables have no index on the order
        String ids = String.join(", ", java.util.Collections.nCopies(events.size(), "?"));
        String[][] consumers = {{"order", "SELECT event_id, recorded_at, duplicates, applied_at_delivery FROM order_event WHERE event_id IN (" + ids + ")"},
                {"stock", "SELECT event_id, processed_at, duplicates, applied_at_delivery FROM stock_processed_event WHERE event_id IN (" + ids + ")"},
                {"email", "SELECT event_id, processed_at, duplicates, applied_at_delivery FROM email_processed_event WHERE event_id IN (" + ids + ")"}};
        Object[] eventIds = events.stream().map(e -> e.get("eventId")).toArray();
        for (String[] c : consumers) {
            jdbc.query(c[1], rs -> {
                Map<String, Object> e = byId.get(rs.getString(1));
                if (e != null && !c[0].equals(e.get("emittedBy"))) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> consumed = (Map<String, Object>) e.get("consumedBy");
                    consumed.put(c[0], iso(rs.getTimestamp(2)));
                    if (rs.getInt(4) > 1) {
                        // applied at a later delivery: the earlier ones failed or were rolled back
                        @SuppressWarnings("unchecked")
                        Map<String, Object> retried = (Map<String, Object>) e.computeIfAbsent("appliedAtDelivery", k -> new LinkedHashMap<>());
                        retried.put(c[0], rs.getInt(4));
                    }
                    if (rs.getInt(3) > 0) {
                        @SuppressWarnings("unchecked")
                        Map<String, Object> skipped = (Map<String, Object>) e.computeIfAbsent("duplicatesSkipped", k -> new LinkedHashMap<>());
                        skipped.put(c[0], rs.getInt(3));
                    }
                }
            }, eventIds);
        }
        events.sort(java.util.Comparator.comparing(e -> (String) e.get("committedAt")));
        return events;
    }

    private static String iso(Timestamp t) {
        return t == null ? null : t.toInstant().toString();
    }
}
