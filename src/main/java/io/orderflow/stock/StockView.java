package io.orderflow.stock;

import org.springframework.jdbc.core.JdbcTemplate;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stock for the console and the API: SKUs by prefix, a page at a time in SKU order (read along the
 * primary key from the prefix), and the reservations of one SKU (on the index by SKU).
 */
public final class StockView {

    private final JdbcTemplate jdbc;

    public StockView(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** {@code GET /api/stock?sku=<prefix>&after=<last sku of the previous page>&limit=} */
    public Map<String, Object> search(String prefix, String after, String limitText) {
        String from = prefix == null ? "" : prefix.trim();
        int limit = limit(limitText, 50, 200);
        boolean past = after != null && !after.isBlank();
        List<Map<String, Object>> rows = jdbc.query("SELECT sku, on_hand, reserved FROM stock_item WHERE sku " + (past ? "> ?" : ">= ?")
                + " ORDER BY sku LIMIT ?", (rs, i) -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("sku", rs.getString(1));
                    m.put("onHand", rs.getInt(2));
                    m.put("reserved", rs.getInt(3));
                    m.put("available", Math.max(0, rs.getInt(2) - rs.getInt(3)));
                    return m;
                }, past ? after.trim() : from, limit + 1);
        List<Map<String, Object>> matching = rows.stream().takeWhile(r -> ((String) r.get("sku")).startsWith(from)).toList();
        Map<String, Object> page = new LinkedHashMap<>();
        page.put("hasMore", matching.size() > limit);
        page.put("skus", matching.size() > limit ? matching.subList(0, limit) : matching);
        return page;
    }

    /** {@code GET /api/stock/{sku}/reservations}: the orders holding units of the SKU, the first 200 by order id. */
    public Map<String, Object> reservations(String sku) {
        List<Map<String, Object>> rows = jdbc.query("SELECT order_id, quantity FROM stock_reservation WHERE sku = ? ORDER BY order_id LIMIT 201",
                (rs, i) -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("orderId", rs.getString(1));
                    m.put("quantity", rs.getInt(2));
                    return m;
                }, sku);
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("sku", sku);
        answer.put("hasMore", rows.size() > 200);
        answer.put("reservations", rows.size() > 200 ? rows.subList(0, 200) : rows);
        return answer;
    }

    private static int limit(String text, int otherwise, int max) {
        if (text == null || text.isBlank()) {
            return otherwise;
        }
        try {
            int n = Integer.parseInt(text.trim());
            if (n >= 1 && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new IllegalArgumentException("limit must be a whole number from 1 to " + max + ", not '" + text + "'");
    }
}
