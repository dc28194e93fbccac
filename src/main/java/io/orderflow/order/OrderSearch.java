package io.orderflow.order;

import org.springframework.jdbc.core.JdbcTemplate;

import java.sql.Timestamp;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds orders for the console and the API ({@code GET /api/orders?...}): by order id, customer
 * email, status and a time range of placement, newest first, a page at a time. Every filter maps
 * to an index (V7), so a page costs the same with a million orders as with a hundred; there is no
 * total count, only whether more follow.
 */
public final class OrderSearch {

    private static final Set<String> STATUSES = Set.of("PLACED", "CONFIRMED", "REJECTED");
    private static final Set<String> PARAMETERS = Set.of("orderId", "email", "status", "since", "until", "offset", "limit");

    private final JdbcTemplate jdbc;

    public OrderSearch(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * @param query the request's query string (URL-encoded), may be null
     * @throws IllegalArgumentException for a parameter that makes no sense (answered 400)
     */
    public Map<String, Object> find(String query) {
        Map<String, String> q = parse(query);
        List<String> where = new ArrayList<>();
        List<Object> args = new ArrayList<>();
        if (q.containsKey("orderId")) {
            where.add("order_id = ?");
            args.add(q.get("orderId"));
        }
        if (q.containsKey("email")) {
            where.add("customer_email = ?");
            args.add(q.get("email"));
        }
        if (q.containsKey("status")) {
            String status = q.get("status").toUpperCase();
            if (!STATUSES.contains(status)) {
                throw new IllegalArgumentException("status must be PLACED, CONFIRMED or REJECTED, not '" + q.get("status") + "'");
            }
            where.add("status = ?");
            args.add(status);
        }
        Instant since = instant(q, "since");
        Instant until = instant(q, "until");
        if (since != null && until != null && !since.isBefore(until)) {
            throw new IllegalArgumentException("the time range from " + since + " to " + until + " is "
                    + (since.equals(until) ? "empty" : "inverted"));
        }
        if (since != null) {
            where.add("placed_at >= ?");
            args.add(Timestamp.from(since));
        }
        if (until != null) {
            where.add("placed_at < ?");
            args.add(Timestamp.from(until));
        }
        int offset = number(q, "offset", 0, 0, 100_000);
        int limit = number(q, "limit", 50, 1, 200);
        args.add(limit + 1);
        args.add(offset);
        List<Map<String, Object>> rows = jdbc.query("SELECT order_id, customer_name, customer_email, status, placed_at, notified_at, "
                + "notification_failure FROM orders" + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where))
                + " ORDER BY " + order(q) + "placed_at DESC, order_id DESC LIMIT ? OFFSET ?", (rs, i) -> {
                    Map<String, Object> o = new LinkedHashMap<>();
                    o.put("orderId", rs.getString(1));
                    o.put("customerName", rs.getString(2));
                    o.put("customerEmail", rs.getString(3));
                    o.put("status", rs.getString(4));
                    o.put("placedAt", rs.getTimestamp(5).toInstant().toString());
                    o.put("notifiedAt", rs.getTimestamp(6) == null ? null : rs.getTimestamp(6).toInstant().toString());
                    o.put("notificationFailure", rs.getString(7));
                    return o;
                }, args.toArray());
        Map<String, Object> page = new LinkedHashMap<>();
        page.put("offset", offset);
        page.put("limit", limit);
        page.put("hasMore", rows.size() > limit);
        page.put("orders", rows.size() > limit ? rows.subList(0, limit) : rows);
        return page;
    }

    /**
     * The sort key begins with the column the filter fixes, the one its index begins with: the
     * same order, but H2 reads the index in it only when the ORDER BY names that column (without
     * it H2 sorted every matching order, seconds with a million).
     */
    private static String order(Map<String, String> q) {
        return q.containsKey("email") ? "customer_email DESC, " : q.containsKey("status") ? "status DESC, " : "";
    }

    private static Map<String, String> parse(String query) {
        Map<String, String> q = new LinkedHashMap<>();
        if (query == null || query.isEmpty()) {
            return q;
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String key = java.net.URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), java.nio.charset.StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : java.net.URLDecoder.decode(pair.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8).trim();
            if (!PARAMETERS.contains(key)) {
                throw new IllegalArgumentException("unknown parameter '" + key + "' (parameters: orderId, email, status, since, until, "
                        + "offset, limit)");
            }
            if (!value.isEmpty()) {
                q.put(key, value);
            }
        }
        return q;
    }

    private static Instant instant(Map<String, String> q, String name) {
        String value = q.get(name);
        if (value == null) {
            return null;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(name + " must be an ISO-8601 instant such as 2026-12-01T10:00:00Z, not '" + value + "'");
        }
    }

    private static int number(Map<String, String> q, String name, int otherwise, int min, int max) {
        String value = q.get(name);
        if (value == null) {
            return otherwise;
        }
        try {
            int n = Integer.parseInt(value);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new IllegalArgumentException(name + " must be a whole number from " + min + " to " + max + ", not '" + value + "'");
    }
}
