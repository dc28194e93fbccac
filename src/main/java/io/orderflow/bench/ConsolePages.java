package io.orderflow.bench;

import io.orderflow.config.Settings;
import io.orderflow.db.Database;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * How fast the console's pages answer with many orders (--console-orders=N): N orders with a line,
 * their OrderPlaced in the outbox and the timeline, and a reservation each over 1,000 SKUs, written
 * in batched transactions; then each API call a console page makes, timed 20 times over HTTP.
 */
final class ConsolePages {

    record Instance(Settings settings, Database db, AutoCloseable stop) {
    }

    interface Starter {
        Instance start(BenchDatabases databases, Path dir) throws Exception;
    }

    private static final int PER_TRANSACTION = 5000;
    private static final int SKUS = 1000;
    private static final int CALLS = 20;

    static void measure(Starter starter, BenchDatabases databases, Path dir, int orders, Map<String, Object> results) throws Exception {
        Instance instance = starter.start(databases, dir);
        Map<String, Object> figures = new LinkedHashMap<>();
        try {
            Database db = instance.db();
            say("[1/2] %,d orders written (order, line, OrderPlaced in outbox and timeline, a reservation each over %,d SKUs)", orders, SKUS);
            long t = System.nanoTime();
            write(db, orders);
            say("      written in %.0f s", (System.nanoTime() - t) / 1e9);
            String base = "http://127.0.0.1:" + instance.settings().get("orderflow.http.port");
            int middle = orders / 2;
            String email = "customer" + (middle % 50_000) + "@example.com";
            Map<String, String> calls = new LinkedHashMap<>();
            calls.put("orders, newest first", "/api/orders?limit=50");
            calls.put("orders, 10th page", "/api/orders?limit=50&offset=450");
            calls.put("orders by id", "/api/orders?orderId=CON-" + middle);
            calls.put("orders by customer email", "/api/orders?email=" + email);
            calls.put("orders by status, newest first", "/api/orders?status=CONFIRMED&limit=50");
            calls.put("orders in a time range", "/api/orders?since=" + Instant.now().minus(Duration.ofDays(200)) + "&until="
                    + Instant.now().minus(Duration.ofDays(199)) + "&limit=50");
            calls.put("an order's page", "/api/orders/CON-" + middle);
            calls.put("stock by SKU prefix", "/api/stock?sku=CON-SKU-5");
            calls.put("a SKU's reservations", "/api/stock/CON-SKU-500/reservations");
            calls.put("flow", "/api/flow");
            say("[2/2] each page's API call, %d times over HTTP", CALLS);
            HttpClient http = HttpClient.newHttpClient();
            Map<String, Object> timings = new LinkedHashMap<>();
            for (Map.Entry<String, String> call : calls.entrySet()) {
                double[] ms = new double[CALLS];
                for (int i = 0; i < CALLS; i++) {
                    long start = System.nanoTime();
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + call.getValue()))
                            .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
                    ms[i] = (System.nanoTime() - start) / 1e6;
                    if (r.statusCode() != 200) {
                        throw new IllegalStateException(call.getValue() + " answered " + r.statusCode() + ": " + r.body());
                    }
                }
                Map<String, Double> p = Percentiles.of(ms);
                timings.put(call.getKey(), p);
                say("      %-32s p50 %6.1f ms, max %6.1f ms   %s", call.getKey(), p.get("p50"), p.get("max"), call.getValue());
            }
            figures.put("orders", orders);
            figures.put("timingsMs", timings);
        } finally {
            instance.stop().close();
        }
        results.put("console", figures);
    }

    /** Orders placed over the last 365 days, a customer email per 20 orders, all confirmed. */
    private static void write(Database db, int orders) {
        Timestamp now = Timestamp.from(Instant.now());
        db.jdbc().batchUpdate("INSERT INTO stock_item (sku, on_hand, reserved, updated_at) VALUES (?, 1000000, 0, ?)",
                IntStream.range(0, SKUS).boxed().toList(), SKUS, (ps, i) -> {
                    ps.setString(1, "CON-SKU-" + i);
                    ps.setTimestamp(2, now);
                });
        long yearMs = Duration.ofDays(365).toMillis();
        for (int from = 0; from < orders; from += PER_TRANSACTION) {
            int n = Math.min(PER_TRANSACTION, orders - from);
            List<Integer> ids = IntStream.range(from, from + n).boxed().toList();
            int start = from;
            db.transactions().inTransaction(() -> {
                db.jdbc().batchUpdate("INSERT INTO orders (order_id, customer_name, customer_email, content, source, status, placed_at, "
                        + "decided_at, notified_at, trace_id) VALUES (?, ?, ?, '{}', 'bench', 'CONFIRMED', ?, ?, ?, ?)", ids, n, (ps, i) -> {
                            Timestamp placed = new Timestamp(now.getTime() - (long) ((orders - i) * (double) yearMs / orders));
                            ps.setString(1, "CON-" + i);
                            ps.setString(2, "Customer " + i);
                            ps.setString(3, "customer" + (i % 50_000) + "@example.com");
                            ps.setTimestamp(4, placed);
                            ps.setTimestamp(5, placed);
                            ps.setTimestamp(6, placed);
                            ps.setString(7, String.format("%032x", i));
                        });
                db.jdbc().batchUpdate("INSERT INTO order_line (order_id, line_no, sku, quantity) VALUES (?, 1, ?, 1)", ids, n, (ps, i) -> {
                    ps.setString(1, "CON-" + i);
                    ps.setString(2, "CON-SKU-" + (i % SKUS));
                });
                db.jdbc().batchUpdate("INSERT INTO order_outbox (event_id, event_type, order_id, payload, created_at, published_at) "
                        + "VALUES (?, 'OrderPlaced', ?, '{}', ?, ?)", ids, n, (ps, i) -> {
                            ps.setString(1, "00000000-0000-0000-0000-" + String.format("%012d", i));
                            ps.setString(2, "CON-" + i);
                            ps.setTimestamp(3, now);
                            ps.setTimestamp(4, now);
                        });
                db.jdbc().batchUpdate("INSERT INTO order_event (event_id, order_id, event_type, occurred_at, recorded_at) "
                        + "VALUES (?, ?, 'OrderPlaced', ?, ?)", ids, n, (ps, i) -> {
                            ps.setString(1, "00000000-0000-0000-0000-" + String.format("%012d", i));
                            ps.setString(2, "CON-" + i);
                            ps.setTimestamp(3, now);
                            ps.setTimestamp(4, now);
                        });
                db.jdbc().batchUpdate("INSERT INTO stock_reservation (order_id, sku, quantity) VALUES (?, ?, 1)", ids, n, (ps, i) -> {
                    ps.setString(1, "CON-" + i);
                    ps.setString(2, "CON-SKU-" + (i % SKUS));
                });
            });
            if (start % 100_000 == 0 && start > 0) {
                say("      ... %,d", start);
            }
        }
        // statistics for the planner, as autovacuum would take them after such a load
        if (db.url().startsWith("jdbc:postgresql:")) {
            db.jdbc().execute("ANALYZE");
        }
    }

    private static void say(String format, Object... args) {
        System.out.printf(format + "%n", args);
        System.out.flush();
    }

    private ConsolePages() {
    }
}
