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
 * durable commits of the intake transaction's shape, and durable broker messages of event size.
 */
final class Ceiling {

    private Ceiling() {
    }

    /** Commits/s of "one order row and one outbox row" transactions from {@code threads} threads. */
    static double databaseCommitsPerSecond(Database db, int threads, long millis) throws InterruptedException {
        Window window = new Window();
        String payload = "x".repeat(400);
        List<Runnable> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(() -> {
                while (window.open()) {
                    String id = "C-" + UUID.randomUUID();
                    Timestamp now = Timestamp.from(Instant.now());
                    db.transactions().inTransaction(() -> {
                        db.jdbc().update("INSERT INTO orders (order_id, customer_email, content, source, status, placed_at) "
                                + "VALUES (?, 'c@example.com', ?, 'ceiling', 'PLACED', ?)", id, payload, now);
                        db.jdbc().update("INSERT INTO order_outbox (event_id, event_type, order_id, payload, created_at) "
                                + "VALUES (?, 'Ceiling', ?, ?, ?)", UUID.randomUUID().toString(), id, payload, now);
                    });
                    window.count();
                }
            });
        }
        return window.ratePerSecond(workers, millis);
    }

    /**
     * Messages/s through the broker: {@code threads} producers sending durable messages of event
     * size, each in its own transaction, and as many consumers receiving each in its own
     * transaction, as orderflow's consumers do (the same concurrency as the database figure, so
     * that the broker gets the same chance to group its journal syncs).
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
                    p.send(s.createTextMessage(body));
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
                    if (mc.receive(200) != null) {
                        s.commit();
                        window.count();
                    }
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

        void count() {
            if (measuring.get()) {
                counted.increment();
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
