package io.orderflow.bench;

import io.orderflow.db.Database;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.DeliveryMode;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Queue;
import jakarta.jms.Session;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * The machine's own limits for this flow, measured directly with JDBC and JMS, no Camel between:
 * the database writing every row one order needs, and the broker carrying durable messages of
 * event size, both in batched transactions. They measure the machine, not orderflow: nothing in
 * them depends on how many commits or messages orderflow itself spends per order.
 */
final class Ceiling {

    private Ceiling() {
    }

    /** Broker messages one order needs at least: the order message, OrderPlaced to stock, the decision to email and to order, CustomerNotified to order. */
    static final int MESSAGES_PER_ORDER = 5;
    /** Orders per transaction in the database figure, messages per transaction in the broker figure. */
    static final int BATCH = 100;

    /**
     * Orders/s the database takes when every row the flow writes for an order is written in
     * batched transactions of {@value #BATCH} orders, from {@code threads} threads: the order, its
     * line, its three timeline events, the three services' processed events, reservation,
     * notification and outbox rows (12 inserts), and the stock, status, notified, sent and three
     * published updates (7 updates). This is what the database must do per order whatever the
     * implementation, in the fewest commits the guarantees allow.
     */
    static double databaseOrdersPerSecond(Database db, int threads, long millis) throws InterruptedException {
        Window window = new Window();
        String payload = "x".repeat(400);
        db.jdbc().update("INSERT INTO stock_item (sku, on_hand, reserved, updated_at) VALUES ('CEIL-1', 1000000000, 0, CURRENT_TIMESTAMP)");
        List<Runnable> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(() -> {
                while (window.open()) {
                    List<String> ids = new ArrayList<>(BATCH);
                    for (int i = 0; i < BATCH; i++) {
                        ids.add("C-" + UUID.randomUUID());
                    }
                    Timestamp now = Timestamp.from(Instant.now());
                    db.transactions().inTransaction(() -> writeOrders(db, ids, payload, now));
                    window.count(BATCH);
                }
            });
        }
        return window.ratePerSecond(workers, millis);
    }

    private static void writeOrders(Database db, List<String> ids, String payload, Timestamp now) {
        var jdbc = db.jdbc();
        List<Object[]> one = ids.stream().map(id -> new Object[] {id}).toList();
        jdbc.batchUpdate("INSERT INTO orders (order_id, customer_email, content, source, status, placed_at) "
                + "VALUES (?, 'c@example.com', '" + payload + "', 'ceiling', 'PLACED', CURRENT_TIMESTAMP)", one);
        jdbc.batchUpdate("INSERT INTO order_line (order_id, line_no, sku, quantity) VALUES (?, 1, 'CEIL-1', 1)", one);
        for (String type : new String[] {"OrderPlaced", "StockReserved", "CustomerNotified"}) {
            jdbc.batchUpdate("INSERT INTO order_event (event_id, order_id, event_type, occurred_at, recorded_at) "
                    + "VALUES (?, ?, '" + type + "', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)", events(ids));
        }
        for (String service : new String[] {"stock", "email"}) {
            jdbc.batchUpdate("INSERT INTO " + service + "_processed_event (event_id, order_id, processed_at) VALUES (?, ?, CURRENT_TIMESTAMP)",
                    events(ids));
        }
        jdbc.batchUpdate("INSERT INTO stock_reservation (order_id, sku, quantity) VALUES (?, 'CEIL-1', 1)", one);
        jdbc.batchUpdate("INSERT INTO email_notification (order_id, kind, recipient, message_id, subject, body, status, attempts, "
                + "next_attempt_at, created_at) VALUES (?, 'confirmation', 'c@example.com', 'id', 'subject', '" + payload
                + "', 'PENDING', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)", one);
        for (String service : new String[] {"order", "stock", "email"}) {
            jdbc.batchUpdate("INSERT INTO " + service + "_outbox (event_id, event_type, order_id, payload, created_at) "
                    + "VALUES (?, 'Ceiling', ?, '" + payload + "', CURRENT_TIMESTAMP)", events(ids));
        }
        jdbc.update("UPDATE stock_item SET reserved = reserved + ? WHERE sku = 'CEIL-1'", ids.size());
        jdbc.batchUpdate("UPDATE orders SET status = 'CONFIRMED', decided_at = CURRENT_TIMESTAMP WHERE order_id = ?", one);
        jdbc.batchUpdate("UPDATE orders SET notified_at = CURRENT_TIMESTAMP WHERE order_id = ?", one);
        jdbc.batchUpdate("UPDATE email_notification SET status = 'SENT', sent_at = CURRENT_TIMESTAMP WHERE order_id = ?", one);
        for (String service : new String[] {"order", "stock", "email"}) {
            jdbc.batchUpdate("UPDATE " + service + "_outbox SET published_at = CURRENT_TIMESTAMP WHERE order_id = ?", one);
        }
    }

    private static List<Object[]> events(List<String> ids) {
        return ids.stream().map(id -> new Object[] {UUID.randomUUID().toString(), id}).toList();
    }

    /**
     * Messages/s through the broker: {@code threads} producers sending durable messages of event
     * size and as many consumers receiving them, both in transactions of {@value #BATCH}.
     */
    static double brokerMessagesPerSecond(ConnectionFactory cf, String queueName, int size, int threads, long millis) throws Exception {
        Window window = new Window();
        String body = "y".repeat(size);
        Runnable producer = () -> {
            try (Connection c = cf.createConnection(); Session s = c.createSession(true, Session.SESSION_TRANSACTED)) {
                Queue q = s.createQueue(queueName);
                MessageProducer p = s.createProducer(q);
                p.setDeliveryMode(DeliveryMode.PERSISTENT);
                while (window.open()) {
                    for (int i = 0; i < BATCH; i++) {
                        p.send(s.createTextMessage(body));
                    }
                    s.commit();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        Runnable consumer = () -> {
            try (Connection c = cf.createConnection(); Session s = c.createSession(true, Session.SESSION_TRANSACTED)) {
                c.start();
                MessageConsumer mc = s.createConsumer(s.createQueue(queueName));
                while (window.open()) {
                    int n = 0;
                    while (n < BATCH && mc.receive(200) != null) {
                        n++;
                    }
                    s.commit();
                    window.count(n);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        List<Runnable> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(producer);
            workers.add(consumer);
        }
        return window.ratePerSecond(workers, millis);
    }

    /**
     * Latency of one durable write on the disk under the data dir: 512 bytes appended and forced,
     * one at a time. Every broker commit and every PostgreSQL commit waits for one, so its p99 is a
     * floor under the relay's commit-to-publish lag.
     */
    static Map<String, Double> diskSyncMillis(Path dir, long millis) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve("sync-probe");
        List<Double> samples = new ArrayList<>();
        ByteBuffer block = ByteBuffer.allocate(512);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            long end = System.nanoTime() + millis * 1_000_000;
            while (System.nanoTime() < end) {
                block.clear();
                long start = System.nanoTime();
                channel.write(block);
                channel.force(false);
                samples.add((System.nanoTime() - start) / 1e6);
            }
        } finally {
            Files.deleteIfExists(file);
        }
        return Percentiles.of(samples.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** Runs workers for a warm-up (the JIT compiles their code), then counts what they report during the measured window. */
    private static final class Window {
        private final LongAdder counted = new LongAdder();
        private final AtomicBoolean measuring = new AtomicBoolean(false);
        private final AtomicBoolean running = new AtomicBoolean(true);

        boolean open() {
            return running.get();
        }

        void count(int n) {
            if (measuring.get()) {
                counted.add(n);
            }
        }

        double ratePerSecond(List<Runnable> workers, long millis) throws InterruptedException {
            List<Thread> threads = new ArrayList<>();
            for (Runnable w : workers) {
                Thread t = new Thread(w, "ceiling");
                t.start();
                threads.add(t);
            }
            Thread.sleep(3000); // warm-up: the benchmark's own pacing, not a synchronisation
            measuring.set(true);
            long start = System.nanoTime();
            Thread.sleep(millis);
            measuring.set(false);
            double seconds = (System.nanoTime() - start) / 1e9;
            running.set(false);
            for (Thread t : threads) {
                t.join();
            }
            return counted.sum() / seconds;
        }
    }
}
