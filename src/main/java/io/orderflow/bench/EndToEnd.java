package io.orderflow.bench;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.orderflow.config.OrderflowConfiguration;
import io.orderflow.config.Preflight;
import io.orderflow.config.Settings;
import io.orderflow.db.Database;
import jakarta.jms.Connection;
import jakarta.jms.DeliveryMode;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.main.Main;

import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

import static io.orderflow.bench.Benchmark.micros;
import static io.orderflow.bench.Benchmark.order;
import static io.orderflow.bench.Benchmark.say;
import static io.orderflow.bench.Benchmark.settings;
import static io.orderflow.bench.Benchmark.size;
import static io.orderflow.bench.Benchmark.startInstance;
import static io.orderflow.bench.Benchmark.waitFor;

/**
 * orderflow end to end, on a full instance after the warm-up: orders sent to orders.in at once,
 * orders/s from the first intake commit to the last notification commit, with the commits and
 * broker messages per order counted from the running implementation; then the latency at each
 * fixed offered rate, from each order's intended send time (no coordinated omission) to its
 * notification commit, and the part of it up to the intake's commit; and the size of the data
 * folder per 10,000 orders. The ways of sending orders and awaiting them are the other phases' too.
 */
final class EndToEnd {

    private static final int PACED_SENDERS = 4;

    private EndToEnd() {
    }

    static Map<String, Object> measure(BenchDatabases databases, Path work, int n, int warmup, String rates, int rateSeconds, int phases)
            throws Exception {
        Settings settings = settings(databases.fresh(work.resolve("e2e")));
        OrderflowConfiguration configuration = new OrderflowConfiguration(settings);
        Main main = startInstance(settings, configuration);
        Map<String, Object> e2e = new LinkedHashMap<>();
        try {
            Database db = configuration.database();
            MeterRegistry meters = configuration.meters();
            try (ActiveMQConnectionFactory cf = new ActiveMQConnectionFactory("vm://0");
                 Connection connection = cf.createConnection();
                 Session session = connection.createSession(true, Session.SESSION_TRANSACTED)) {
                MessageProducer producer = session.createProducer(session.createQueue("orders.in"));
                producer.setDeliveryMode(DeliveryMode.PERSISTENT);

                warmUp(producer, session, db, "WARM-", "the flow", warmup);
                say("[2/%d] end to end at saturation: %,d orders sent to orders.in at once", phases, n);
                long commitsBefore = db.transactions().commits();
                double sentBefore = sent(meters);
                double deliveriesBefore = deliveries(meters);
                sendAtOnce(producer, session, "SAT-", n);
                awaitNotified(meters, sentBefore, n, db, "SAT-%");
                // the order service applies the last CustomerNotified events a moment later: count them too
                waitFor(() -> settled(db, "SAT-%") >= n, "orders settled", () -> settled(db, "SAT-%"), n);
                double span = spanSeconds(db, "SAT-%");
                double throughput = n / span;
                double commitsPerOrder = (db.transactions().commits() - commitsBefore) / (double) n;
                double messagesPerOrder = (deliveries(meters) - deliveriesBefore) / n + 1; // + the order message itself
                e2e.put("ordersPerSecond", Math.round(throughput));
                e2e.put("commitsPerOrder", Percentiles.round(commitsPerOrder));
                e2e.put("messagesPerOrder", Percentiles.round(messagesPerOrder));
                say("      %,.0f orders/s from first intake to last notification (%.1f commits and %.1f broker messages per order)",
                        throughput, commitsPerOrder, messagesPerOrder);

                say("[3/%d] end to end latency at fixed offered rates, intake commit -> notification commit, from the intended send time", phases);
                Map<String, Object> latency = new LinkedHashMap<>();
                Map<String, Object> intakeLatency = new LinkedHashMap<>();
                Map<String, Object> sendLatency = new LinkedHashMap<>();
                for (String rateText : rates.split(",")) {
                    int rate = Integer.parseInt(rateText.trim());
                    int count = rate * rateSeconds;
                    String prefix = "R" + rate + "-";
                    long[] intended = new long[count];
                    double[] sending = new double[count];
                    double sentBeforeRate = sent(meters);
                    sendPaced(connection, prefix, rate, intended, sending);
                    awaitNotified(meters, sentBeforeRate, count, db, prefix + "%");
                    Map<String, Long> sentAt = new HashMap<>();
                    Map<String, Long> placedAt = new HashMap<>();
                    db.jdbc().query("SELECT n.order_id, n.sent_at, o.placed_at FROM email_notification n "
                                    + "JOIN orders o ON o.order_id = n.order_id WHERE n.order_id LIKE ?",
                            rs -> {
                                sentAt.put(rs.getString(1), micros(rs.getTimestamp(2)));
                                placedAt.put(rs.getString(1), micros(rs.getTimestamp(3)));
                            }, prefix + "%");
                    double[] millis = new double[count];
                    double[] toIntake = new double[count];
                    for (int i = 0; i < count; i++) {
                        millis[i] = (sentAt.get(prefix + i) - intended[i]) / 1000.0;
                        toIntake[i] = (placedAt.get(prefix + i) - intended[i]) / 1000.0;
                    }
                    Map<String, Double> p = Percentiles.of(millis);
                    // where the time goes: up to the intake's commit (broker, orders.in consumer) or after it
                    Map<String, Double> intake = Percentiles.of(toIntake);
                    Map<String, Double> send = Percentiles.of(sending);
                    latency.put(String.valueOf(rate), p);
                    intakeLatency.put(String.valueOf(rate), intake);
                    sendLatency.put(String.valueOf(rate), send);
                    say("      %d orders/s for %d s: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms "
                                    + "(of it, up to the send's commit p50 %.1f / p99 %.1f ms, up to the intake's commit p50 %.1f / p99 %.1f ms)",
                            rate, rateSeconds, p.get("p50"), p.get("p95"), p.get("p99"), p.get("max"),
                            send.get("p50"), send.get("p99"), intake.get("p50"), intake.get("p99"));
                }
                e2e.put("latencyMs", latency);
                e2e.put("latencyToIntakeMs", intakeLatency);
                e2e.put("latencyToSendCommitMs", sendLatency);

                // what the data folder holds after every order of this instance (warm-up, saturation, rates)
                long orders = db.jdbc().queryForObject("SELECT COUNT(*) FROM orders", Long.class);
                long dataBytes = size(settings.dataDir());
                Path dbDir = settings.embeddedPostgres() ? settings.dataDir().resolve("pg")
                        : settings.isPostgres() ? null : settings.dataDir().resolve("db");
                long dbBytes = dbDir == null ? 0 : size(dbDir);
                Map<String, Object> data = new LinkedHashMap<>();
                data.put("orders", orders);
                data.put("dataDirMbPer10000Orders", Percentiles.round(dataBytes / 1048576.0 / orders * 10_000));
                data.put("databaseMbPer10000Orders", Percentiles.round(dbBytes / 1048576.0 / orders * 10_000));
                e2e.put("dataDir", data);
                say("      data folder: %,.1f MB per 10,000 orders (%s%,d orders, full history kept)",
                        dataBytes / 1048576.0 / orders * 10_000,
                        dbDir == null ? "broker journal and mail only, the database is the server's; "
                                : "of which the database " + String.format("%,.1f MB; ", dbBytes / 1048576.0 / orders * 10_000), orders);
            }
        } finally {
            main.stop();
            Preflight.release();
        }
        return e2e;
    }

    /**
     * Runs orders through the flow before measuring it: until the JIT has compiled the hot paths,
     * its compiler threads take a large share of two cores (about half of the process's CPU in a
     * cold run here), which is start-up cost, not the flow's.
     */
    static void warmUp(MessageProducer producer, Session session, Database db, String prefix, String where, int n) throws Exception {
        if (n == 0) {
            return;
        }
        say("      warming up: %,d orders through %s first (not measured)", n, where);
        sendAtOnce(producer, session, prefix, n);
        // not measured, so progress may come from the database, whichever process did the work
        waitFor(() -> settled(db, prefix + "%") >= n, "warm-up orders settled", () -> settled(db, prefix + "%"), n);
    }

    /** Sends n orders to orders.in as fast as the broker takes them, a hundred per transaction. */
    static void sendAtOnce(MessageProducer producer, Session session, String prefix, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            producer.send(session.createTextMessage(order(prefix + i)));
            if (i % 100 == 99) {
                session.commit();
            }
        }
        session.commit();
    }

    private static double deliveries(MeterRegistry meters) {
        return meters.find("orderflow.events.applied").counters().stream().mapToDouble(Counter::count).sum()
                + meters.find("orderflow.events.duplicates").counters().stream().mapToDouble(Counter::count).sum();
    }

    static double sent(MeterRegistry meters) {
        return meters.get("orderflow.notifications.sent").counter().count();
    }

    /**
     * Waits for {@code n} more notifications sent, watching the in-process counter (polling the
     * database would take CPU from the flow being measured), then confirms them in the database.
     */
    static void awaitNotified(MeterRegistry meters, double before, int n, Database db, String like) throws Exception {
        waitFor(() -> sent(meters) - before >= n, "orders notified", () -> (long) (sent(meters) - before), n);
        waitFor(() -> notified(db, like) >= n, "orders notified (database)", () -> notified(db, like), n);
    }

    private static int settled(Database db, String like) {
        return db.jdbc().queryForObject("SELECT COUNT(*) FROM orders WHERE notified_at IS NOT NULL AND order_id LIKE ?",
                Integer.class, like);
    }

    static int notified(Database db, String like) {
        return db.jdbc().queryForObject("SELECT COUNT(*) FROM email_notification WHERE status = 'SENT' AND order_id LIKE ?",
                Integer.class, like);
    }

    static double spanSeconds(Database db, String like) {
        Timestamp first = db.jdbc().queryForObject("SELECT MIN(placed_at) FROM orders WHERE order_id LIKE ?", Timestamp.class, like);
        Timestamp last = db.jdbc().queryForObject("SELECT MAX(sent_at) FROM email_notification WHERE order_id LIKE ?", Timestamp.class, like);
        return (last.toInstant().toEpochMilli() - first.toInstant().toEpochMilli()) / 1000.0;
    }

    /**
     * Sends {@code intended.length} orders at {@code rate} per second from {@value #PACED_SENDERS}
     * clients, each with a session of its own taking every {@value #PACED_SENDERS}th order of the
     * schedule, one order per transaction; records each order's intended time (epoch micros) and the
     * time from it to the broker's acknowledgement of its commit (ms). One client alone cannot keep a
     * schedule of a few hundred durable one-message commits a second on a busy broker, and its lag
     * would be counted as the flow's.
     */
    static void sendPaced(Connection connection, String prefix, int rate, long[] intended, double[] sending)
            throws Exception {
        long t0 = System.nanoTime();
        long epochMicros0 = Instant.now().toEpochMilli() * 1000;
        Benchmark.inParallel(PACED_SENDERS, "bench-sender", first -> {
            try (Session session = connection.createSession(true, Session.SESSION_TRANSACTED)) {
                MessageProducer producer = session.createProducer(session.createQueue("orders.in"));
                producer.setDeliveryMode(DeliveryMode.PERSISTENT);
                for (int i = first; i < intended.length; i += PACED_SENDERS) {
                    long due = awaitIntendedTime(t0, i, rate);
                    intended[i] = epochMicros0 + (due - t0) / 1000;
                    producer.send(session.createTextMessage(order(prefix + i)));
                    session.commit();
                    sending[i] = (System.nanoTime() - due) / 1e6;
                }
            }
        });
    }

    /**
     * Waits for the i-th send of a schedule at {@code rate} per second from {@code t0} (System.nanoTime)
     * and returns its intended time. A sender that falls behind sends at once but keeps the intended
     * time, so queueing shows in the latency instead of slowing the schedule (no coordinated omission).
     */
    static long awaitIntendedTime(long t0, int i, double rate) {
        long due = t0 + (long) (i * 1e9 / rate);
        long wait = due - System.nanoTime();
        if (wait > 0) {
            LockSupport.parkNanos(wait);
        }
        return due;
    }
}
