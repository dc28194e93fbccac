package io.orderflow.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.orderflow.broker.EmbeddedBroker;
import io.orderflow.broker.EventTopology;
import io.orderflow.config.OrderflowConfiguration;
import io.orderflow.config.Preflight;
import io.orderflow.config.Settings;
import io.orderflow.db.Database;
import io.orderflow.outbox.Event;
import io.orderflow.outbox.EventJson;
import io.orderflow.outbox.Outbox;
import io.orderflow.outbox.OutboxRelay;
import io.orderflow.stock.StockLevels;
import jakarta.jms.Connection;
import jakarta.jms.DeliveryMode;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.main.Main;

import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code java -Xmx256m -jar orderflow.jar bench [options]}: measures, in one run on one
 * configuration, the machine's ceiling for this flow (database commits, broker messages), orderflow
 * end to end (saturation throughput, latency at fixed offered rates without coordinated omission),
 * the relay alone, and the ratio of end-to-end throughput to the ceiling. Prints figures as it goes
 * and writes them as JSON.
 */
public final class Benchmark {

    private final Map<String, String> options = new HashMap<>(Map.of(
            "db", "h2", "pg-url", "jdbc:postgresql://127.0.0.1:5432/", "pg-user", "postgres", "pg-password", "",
            "orders", "2000", "rates", "100,500", "rate-seconds", "10", "relay-events", "20000", "concurrency", "4",
            "out", ""));
    private final Map<String, Object> results = new LinkedHashMap<>();
    private final Path work;
    private final HeapSampler heap = new HeapSampler();

    private Benchmark(String[] args) throws Exception {
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--") || !a.contains("=") || !options.containsKey(a.substring(2, a.indexOf('=')))) {
                throw new IllegalArgumentException("unknown option " + a + "; options: --db=h2|postgres --pg-url= --pg-user= "
                        + "--pg-password= --orders=N --rates=100,500 --rate-seconds=N --relay-events=N --concurrency=N --out=file.json");
            }
            options.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
        }
        work = Files.createTempDirectory("orderflow-bench-");
    }

    public static int run(String[] args) {
        try {
            new Benchmark(args).runAll();
            return 0;
        } catch (IllegalArgumentException e) {
            System.err.println("orderflow bench: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            System.err.println("orderflow bench failed: " + e);
            e.printStackTrace();
            return 1;
        }
    }

    private int opt(String key) {
        return Integer.parseInt(options.get(key));
    }

    private void runAll() throws Exception {
        String db = options.get("db");
        if (!db.equals("h2") && !db.equals("postgres")) {
            throw new IllegalArgumentException("--db must be h2 or postgres");
        }
        heap.start();
        long cpuStart = cpuNanos();
        long wallStart = System.nanoTime();
        try (BenchDatabases databases = new BenchDatabases(db, options.get("pg-url"), options.get("pg-user"), options.get("pg-password"))) {
            results.put("database", databases.describe());
            results.put("broker", "Artemis, embedded, journal synced on commit");
            results.put("cores", Runtime.getRuntime().availableProcessors());
            results.put("maxHeapMb", Runtime.getRuntime().maxMemory() / (1024 * 1024));
            say("orderflow benchmark on %s, %d cores, max heap %d MB", databases.describe(), results.get("cores"), results.get("maxHeapMb"));
            ceiling(databases);
            relayAlone(databases);
            endToEnd(databases);
        }
        ratio();
        results.put("cpuCoresUsed", Percentiles.round((cpuNanos() - cpuStart) / (double) (System.nanoTime() - wallStart)));
        results.put("peakHeapUsedMb", heap.peakMb());
        heap.stop();
        say("CPU: %.2f cores busy on average over the run; peak heap used %d MB", results.get("cpuCoresUsed"), results.get("peakHeapUsedMb"));
        Path out = options.get("out").isEmpty()
                ? Path.of("bench-" + db + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".json")
                : Path.of(options.get("out"));
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), results);
        say("results written to %s", out.toAbsolutePath());
    }

    // ------------------------------------------------------------------ ceiling

    private void ceiling(BenchDatabases databases) throws Exception {
        say("[1/4] ceiling: durable commits (order row + outbox row) from %d threads, then durable broker messages",
                opt("concurrency"));
        Settings settings = settings(databases.fresh(work.resolve("ceiling")));
        double commits;
        try (Database db = Database.open(settings)) {
            db.migrate(1000);
            commits = Ceiling.databaseCommitsPerSecond(db, opt("concurrency"), 5000);
        }
        EmbeddedBroker broker = new EmbeddedBroker(settings);
        broker.start();
        double messages;
        try (ActiveMQConnectionFactory cf = new ActiveMQConnectionFactory("vm://0")) {
            messages = Ceiling.brokerMessagesPerSecond(cf, "bench.ceiling", 500, 5000);
        } finally {
            broker.close();
        }
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("dbCommitsPerSecond", Math.round(commits));
        c.put("brokerMessagesPerSecond", Math.round(messages));
        results.put("ceiling", c);
        say("      database: %,.0f commits/s; broker: %,.0f messages/s (500 bytes, durable send and transacted receive)", commits, messages);
    }

    // ------------------------------------------------------------------ relay alone

    private void relayAlone(BenchDatabases databases) throws Exception {
        int n = opt("relay-events");
        say("[2/4] relay alone: %,d events from a pre-filled outbox to the broker", n);
        Settings settings = settings(databases.fresh(work.resolve("relay")));
        Map<String, Object> r = new LinkedHashMap<>();
        try (Database db = Database.open(settings)) {
            db.migrate(1000);
            EmbeddedBroker broker = new EmbeddedBroker(settings);
            broker.start();
            try (ActiveMQConnectionFactory cf = new ActiveMQConnectionFactory("vm://0")) {
                EventTopology.declare("vm://0", "", "");
                Outbox outbox = new Outbox("order", db.jdbc(), db.dialect());
                OutboxRelay relay = new OutboxRelay(outbox, db.transactions(), cf, "", "",
                        settings.getInt("orderflow.outbox.batch-size"), 1000, new SimpleMeterRegistry());
                for (int done = 0; done < n; done += 1000) {
                    int size = Math.min(1000, n - done);
                    db.transactions().inTransaction(() -> {
                        for (int i = 0; i < size; i++) {
                            outbox.append(Event.create(Event.ORDER_PLACED, "RELAY-" + i, EventJson.MAPPER.createObjectNode().put("bench", true)));
                        }
                    });
                }
                long start = System.nanoTime();
                relay.start();
                waitFor(() -> outbox.backlog() == 0, "events published", () -> n - outbox.backlog(), n);
                double eventsPerSecond = n / ((System.nanoTime() - start) / 1e9);
                r.put("eventsPerSecond", Math.round(eventsPerSecond));
                say("      %,.0f events/s", eventsPerSecond);

                // lag from commit to publish at half that rate, one event per transaction
                double rate = eventsPerSecond / 2;
                int count = (int) Math.min(rate * 5, 20_000);
                say("      lag at %,.0f events/s (one per transaction), %,d events", rate, count);
                long t0 = System.nanoTime();
                for (int i = 0; i < count; i++) {
                    awaitIntendedTime(t0, i, rate);
                    int k = i;
                    db.transactions().inTransaction(() -> outbox.append(
                            Event.create(Event.ORDER_PLACED, "LAG-" + k, EventJson.MAPPER.createObjectNode().put("bench", true))));
                }
                waitFor(() -> outbox.backlog() == 0, "events published", () -> count - outbox.backlog(), count);
                relay.stop();
                List<Double> lags = db.jdbc().query("SELECT created_at, published_at FROM order_outbox WHERE order_id LIKE 'LAG-%'",
                        (rs, i) -> micros(rs.getTimestamp(2)) / 1000.0 - micros(rs.getTimestamp(1)) / 1000.0);
                Map<String, Double> lag = Percentiles.of(lags.stream().mapToDouble(Double::doubleValue).toArray());
                r.put("lagAtHalfRateMs", lag);
                r.put("lagRatePerSecond", Math.round(rate));
                say("      lag commit -> publish: p50 %.1f ms, p99 %.1f ms", lag.get("p50"), lag.get("p99"));
            } finally {
                broker.close();
            }
        }
        results.put("relayAlone", r);
    }

    // ------------------------------------------------------------------ end to end

    private void endToEnd(BenchDatabases databases) throws Exception {
        int n = opt("orders");
        Settings settings = settings(databases.fresh(work.resolve("e2e")));
        Preflight.check(settings);
        OrderflowConfiguration configuration = new OrderflowConfiguration(settings);
        Main main = new Main();
        main.bind("metricsRegistry", configuration.meters());
        main.configure().addConfiguration(configuration);
        OrderflowConfiguration.camelProperties(settings).forEach(main::addOverrideProperty);
        main.start();
        Map<String, Object> e2e = new LinkedHashMap<>();
        try {
            Database db = configuration.database();
            main.getCamelContext().getRegistry().lookupByNameAndType("stockLevels", StockLevels.class)
                    .apply(Map.of("BENCH-1", 1_000_000_000));
            MeterRegistry meters = configuration.meters();
            try (ActiveMQConnectionFactory cf = new ActiveMQConnectionFactory("vm://0");
                 Connection connection = cf.createConnection();
                 Session session = connection.createSession(true, Session.SESSION_TRANSACTED)) {
                MessageProducer producer = session.createProducer(session.createQueue("orders.in"));
                producer.setDeliveryMode(DeliveryMode.PERSISTENT);

                say("[3/4] end to end at saturation: %,d orders sent to orders.in at once", n);
                long commitsBefore = db.transactions().commits();
                double deliveriesBefore = deliveries(meters);
                for (int i = 0; i < n; i++) {
                    producer.send(session.createTextMessage(order("SAT-" + i)));
                    if (i % 100 == 99) {
                        session.commit();
                    }
                }
                session.commit();
                waitFor(() -> notified(db, "SAT-%") >= n, "orders notified", () -> notified(db, "SAT-%"), n);
                double span = spanSeconds(db, "SAT-%");
                double throughput = n / span;
                double commitsPerOrder = (db.transactions().commits() - commitsBefore) / (double) n;
                double messagesPerOrder = (deliveries(meters) - deliveriesBefore) / n + 1; // + the order message itself
                e2e.put("ordersPerSecond", Math.round(throughput));
                e2e.put("commitsPerOrder", Percentiles.round(commitsPerOrder));
                e2e.put("messagesPerOrder", Percentiles.round(messagesPerOrder));
                say("      %,.0f orders/s from first intake to last notification (%.1f commits and %.1f broker messages per order)",
                        throughput, commitsPerOrder, messagesPerOrder);

                say("[4/4] end to end latency at fixed offered rates, intake commit -> notification commit, from the intended send time");
                Map<String, Object> latency = new LinkedHashMap<>();
                for (String rateText : options.get("rates").split(",")) {
                    int rate = Integer.parseInt(rateText.trim());
                    int count = rate * opt("rate-seconds");
                    String prefix = "R" + rate + "-";
                    long[] intended = new long[count];
                    long t0 = System.nanoTime();
                    long epochMicros0 = Instant.now().toEpochMilli() * 1000;
                    for (int i = 0; i < count; i++) {
                        intended[i] = epochMicros0 + (awaitIntendedTime(t0, i, rate) - t0) / 1000;
                        producer.send(session.createTextMessage(order(prefix + i)));
                        session.commit();
                    }
                    waitFor(() -> notified(db, prefix + "%") >= count, "orders notified", () -> notified(db, prefix + "%"), count);
                    Map<String, Long> sentAt = new HashMap<>();
                    db.jdbc().query("SELECT order_id, sent_at FROM email_notification WHERE order_id LIKE ?",
                            rs -> {
                                sentAt.put(rs.getString(1), micros(rs.getTimestamp(2)));
                            }, prefix + "%");
                    double[] millis = new double[count];
                    for (int i = 0; i < count; i++) {
                        millis[i] = (sentAt.get(prefix + i) - intended[i]) / 1000.0;
                    }
                    Map<String, Double> p = Percentiles.of(millis);
                    latency.put(String.valueOf(rate), p);
                    say("      %d orders/s for %d s: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms",
                            rate, opt("rate-seconds"), p.get("p50"), p.get("p95"), p.get("p99"), p.get("max"));
                }
                e2e.put("latencyMs", latency);
            }
        } finally {
            main.stop();
            Preflight.release();
        }
        results.put("endToEnd", e2e);
    }

    private void ratio() {
        @SuppressWarnings("unchecked") Map<String, Object> c = (Map<String, Object>) results.get("ceiling");
        @SuppressWarnings("unchecked") Map<String, Object> e = (Map<String, Object>) results.get("endToEnd");
        double dbRate = ((Number) c.get("dbCommitsPerSecond")).doubleValue();
        double brokerRate = ((Number) c.get("brokerMessagesPerSecond")).doubleValue();
        double commits = ((Number) e.get("commitsPerOrder")).doubleValue();
        double messages = ((Number) e.get("messagesPerOrder")).doubleValue();
        double ceiling = 1 / (commits / dbRate + messages / brokerRate);
        double ratio = ((Number) e.get("ordersPerSecond")).doubleValue() / ceiling;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("ceilingOrdersPerSecond", Math.round(ceiling));
        r.put("endToEndOverCeiling", Percentiles.round(ratio * 100) / 100.0);
        results.put("ratio", r);
        say("ratio: ceiling for this flow 1 / (%.1f / %,.0f + %.1f / %,.0f) = %,.0f orders/s; end to end reached %.0f%% of it",
                commits, dbRate, messages, brokerRate, ceiling, ratio * 100);
    }

    // ------------------------------------------------------------------ helpers

    private Settings settings(Map<String, String> base) throws Exception {
        Map<String, String> o = new HashMap<>(base);
        o.put("orderflow.http.port", String.valueOf(freePort()));
        o.put("orderflow.broker.listen", "tcp://127.0.0.1:" + freePort());
        o.put("orderflow.events.concurrency", options.get("concurrency"));
        return Settings.load(Map.of(), new Properties(), o);
    }

    private static double deliveries(MeterRegistry meters) {
        return meters.find("orderflow.events.applied").counters().stream().mapToDouble(Counter::count).sum()
                + meters.find("orderflow.events.duplicates").counters().stream().mapToDouble(Counter::count).sum();
    }

    private static int notified(Database db, String like) {
        return db.jdbc().queryForObject("SELECT COUNT(*) FROM email_notification WHERE status = 'SENT' AND order_id LIKE ?",
                Integer.class, like);
    }

    private static double spanSeconds(Database db, String like) {
        Timestamp first = db.jdbc().queryForObject("SELECT MIN(placed_at) FROM orders WHERE order_id LIKE ?", Timestamp.class, like);
        Timestamp last = db.jdbc().queryForObject("SELECT MAX(sent_at) FROM email_notification WHERE order_id LIKE ?", Timestamp.class, like);
        return (last.toInstant().toEpochMilli() - first.toInstant().toEpochMilli()) / 1000.0;
    }

    private static String order(String id) {
        return "{\"orderId\":\"" + id + "\",\"customer\":{\"name\":\"Bench Mark\",\"email\":\"bench@example.com\"},"
                + "\"lines\":[{\"sku\":\"BENCH-1\",\"quantity\":1}]}";
    }

    private interface Check {
        boolean done() throws Exception;
    }

    private interface Progress {
        long value() throws Exception;
    }

    private static void waitFor(Check check, String what, Progress progress, long total) throws Exception {
        long deadline = System.nanoTime() + 600_000_000_000L;
        long lastReport = System.nanoTime();
        while (!check.done()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("gave up waiting for " + what + " after 10 minutes");
            }
            if (System.nanoTime() - lastReport > 2_000_000_000L) {
                say("      ... %,d of %,d %s", progress.value(), total, what);
                lastReport = System.nanoTime();
            }
            Thread.sleep(50); // polling the database for progress; the measurement uses recorded timestamps
        }
    }

    /**
     * Waits for the i-th send of a schedule at {@code rate} per second from {@code t0} (System.nanoTime)
     * and returns its intended time. A sender that falls behind sends at once but keeps the intended
     * time, so queueing shows in the latency instead of slowing the schedule (no coordinated omission).
     */
    private static long awaitIntendedTime(long t0, int i, double rate) {
        long due = t0 + (long) (i * 1e9 / rate);
        long wait = due - System.nanoTime();
        if (wait > 0) {
            LockSupport.parkNanos(wait);
        }
        return due;
    }

    private static long micros(Timestamp t) {
        Instant i = t.toInstant();
        return i.getEpochSecond() * 1_000_000 + i.getNano() / 1000;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static void say(String format, Object... args) {
        System.out.println(String.format(format, args));
    }

    /** Samples the used heap, to report its peak. */
    private static final class HeapSampler {
        private volatile boolean running = true;
        private volatile long peak;
        private final Thread thread = new Thread(() -> {
            while (running) {
                peak = Math.max(peak, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "heap-sampler");

        void start() {
            thread.setDaemon(true);
            thread.start();
        }

        void stop() {
            running = false;
        }

        long peakMb() {
            return peak / (1024 * 1024);
        }
    }
}
