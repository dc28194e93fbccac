package io.orderflow.bench;

import io.orderflow.db.Database;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Rows past their retention for the retention benchmark, in the proportions an order leaves them:
 * three published outbox rows (one per service), two processed-event rows and one sent
 * notification per order, all 40 days old. Written in batched transactions.
 */
final class RetentionRows {

    private static final int PER_TRANSACTION = 5000;
    private static final String PAYLOAD = "{\"eventId\":\"%s\",\"type\":\"OrderPlaced\",\"orderId\":\"%s\",\"occurredAt\":"
            + "\"2026-10-01T00:00:00Z\",\"schemaVersion\":1,\"data\":{\"customer\":{\"email\":\"old@example.com\"},"
            + "\"lines\":[{\"sku\":\"BENCH-1\",\"quantity\":1}]}}";

    private RetentionRows() {
    }

    static Map<String, Integer> write(Database db, int rows) {
        int orders = rows / 6;
        Timestamp old = Timestamp.from(Instant.now().minus(Duration.ofDays(40)));
        Map<String, Integer> written = new LinkedHashMap<>();
        for (String service : new String[] {"order", "stock", "email"}) {
            written.put(service + "_outbox", batches(db, orders, (from, n) -> db.jdbc().batchUpdate("INSERT INTO " + service
                    + "_outbox (event_id, event_type, order_id, payload, created_at, published_at) VALUES (?, 'OrderPlaced', ?, ?, ?, ?)",
                    java.util.stream.IntStream.range(from, from + n).boxed().toList(), n, (ps, i) -> {
                        String id = UUID.randomUUID().toString();
                        ps.setString(1, id);
                        ps.setString(2, "OLD-" + i);
                        ps.setString(3, String.format(PAYLOAD, id, "OLD-" + i));
                        ps.setTimestamp(4, old);
                        ps.setTimestamp(5, old);
                    })));
        }
        for (String table : new String[] {"stock_processed_event", "email_processed_event"}) {
            written.put(table, batches(db, orders, (from, n) -> db.jdbc().batchUpdate("INSERT INTO " + table
                    + " (event_id, order_id, processed_at) VALUES (?, ?, ?)", java.util.stream.IntStream.range(from, from + n).boxed().toList(),
                    n, (ps, i) -> {
                        ps.setString(1, UUID.randomUUID().toString());
                        ps.setString(2, "OLD-" + i);
                        ps.setTimestamp(3, old);
                    })));
        }
        int notifications = rows - 5 * orders;
        written.put("email_notification", batches(db, notifications, (from, n) -> db.jdbc().batchUpdate("INSERT INTO email_notification "
                + "(order_id, kind, recipient, message_id, subject, body, status, attempts, next_attempt_at, created_at, sent_at) "
                + "VALUES (?, 'confirmation', 'old@example.com', ?, 'Your order is confirmed', 'Hello, ...', 'SENT', 1, ?, ?, ?)",
                java.util.stream.IntStream.range(from, from + n).boxed().toList(), n, (ps, i) -> {
                    ps.setString(1, "OLD-" + i);
                    ps.setString(2, "<OLD-" + i + ".confirmation@orderflow>");
                    ps.setTimestamp(3, old);
                    ps.setTimestamp(4, old);
                    ps.setTimestamp(5, old);
                })));
        return written;
    }

    /** Rows past retention still there. */
    static long left(Database db) {
        long n = 0;
        for (String table : new String[] {"order_outbox", "stock_outbox", "email_outbox", "stock_processed_event", "email_processed_event",
                "email_notification"}) {
            n += db.jdbc().queryForObject("SELECT COUNT(*) FROM " + table + " WHERE order_id LIKE 'OLD-%'", Long.class);
        }
        return n;
    }

    private interface Batch {
        void write(int from, int n);
    }

    private static int batches(Database db, int total, Batch batch) {
        for (int from = 0; from < total; from += PER_TRANSACTION) {
            int n = Math.min(PER_TRANSACTION, total - from);
            int start = from;
            db.transactions().inTransaction(() -> batch.write(start, n));
        }
        return total;
    }
}
