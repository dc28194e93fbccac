package io.orderflow.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.orderflow.broker.EmbeddedBroker;
import io.orderflow.broker.EventTopology;
import io.orderflow.check.InvariantCheck;
import io.orderflow.config.OrderflowConfiguration;
import io.orderflow.config.Preflight;
import io.orderflow.config.Settings;
import io.orderflow.db.Database;
import io.orderflow.outbox.Event;
import io.orderflow.outbox.EventJson;
import io.orderflow.outbox.Outbox;
import io.orderflow.outbox.StandaloneRelay;
import io.orderflow.retention.Retention;
import io.orderflow.stock.StockLevels;
import jakarta.jms.Connection;
import jakarta.jms.DeliveryMode;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.main.Main;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * {@code java -Xmx256m -jar orderflow.jar bench [options]}: measures, in one run on one
 * configuration, the machine's ceiling for this flow (database commits, broker messages), orderflow
 * end to end (saturation throughput, latency at fixed offered rates without coordinated omission),
 * the relay alone, and the ratio of end-to-end throughput to the ceiling. Prints figures as it goes
 * and writes them as JSON.
 */
public final class Benchmark {

    private final Map<String, String> options = new HashMap<>(Map.ofEntries(
            Map.entry("db", "embedded"), Map.entry("pg-url", "jdbc:postgresql://127.0.0.1:5432/"), Map.entry("pg-user", "postgres"),
            Map.entry("pg-password", ""), Map.entry("orders", "2000"), Map.entry("warmup", "3000"), Map.entry("rates", "50,100"),
            Map.entry("rate-seconds", "10"), Map.entry("relay-events", "20000"), Map.entry("concurrency", "4"),
            Map.entry("processes", "1"), Map.entry("skus", "1"), Map.entry("retention-rows", "0"), Map.entry("console-orders", "0"),
            Map.entry("tcp-rates", "50,100,200,max"), Map.entry("tcp-clients", "1,4"), Map.entry("tcp-seconds", "10"),
            Map.entry("tcp-orders", "5000"), Map.entry("tcp-idle-seconds", "10"), Map.entry("tcp-jvm", ""), Map.entry("tcp-settings", ""), Map.entry("tcp-jfr", ""),
            Map.entry("only", ""), Map.entry("out", "")));
    /** Orders spread over this many SKUs (--skus): 1 puts every reservation on one hot row. */
    private static int skus = 1;
    private final Map<String, Object> results = new LinkedHashMap<>();
    private final Path work;
    private final HeapSampler heap = new HeapSampler();

    private Benchmark(String[] args) throws Exception {
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--") || !a.contains("=") || !options.containsKey(a.substring(2, a.indexOf('=')))) {
                throw new IllegalArgumentException("unknown option " + a + "; options: --db=embedded|h2|postgres --pg-url= --pg-user= "
                        + "--pg-password= --orders=N --rates=50,100 --rate-seconds=N --relay-events=N --concurrency=N --warmup=N --processes=1|2 "
                        + "--skus=N --tcp-rates=50,100,200,max (empty skips the TCP clients' phase) --tcp-clients=1,4 --tcp-seconds=N --tcp-orders=N "
                        + "--tcp-idle-seconds=N --tcp-jvm='JVM options' --tcp-settings='key=value;key=value' --tcp-jfr=file.jfr (a profile of the first paced run) --only=tcp "
                        + "--retention-rows=N (the retention benchmark instead) --console-orders=N (the console's pages instead) --out=file.json");
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

    private int phases() {
        return 4 + (tcpPhase() ? 1 : 0) + (opt("processes") == 2 ? 1 : 0);
    }

    private boolean tcpPhase() {
        return !options.get("tcp-rates").isBlank();
    }

    private int opt(String key) {
        return Integer.parseInt(options.get(key));
    }

    private void runAll() throws Exception {
        String db = options.get("db");
        if (!db.equals("embedded") && !db.equals("h2") && !db.equals("postgres")) {
            throw new IllegalArgumentException("--db must be embedded (the default: the embedded PostgreSQL), h2 or postgres (a server)");
        }
        if (opt("processes") != 1 && (opt("processes") != 2 || !db.equals("postgres"))) {
            throw new IllegalArgumentException("--processes=2 needs --db=postgres (a server both processes reach); only 1 or 2");
        }
        skus = opt("skus");
        results.put("skus", skus);
        heap.start();
        long cpuStart = cpuNanos();
        long wallStart = System.nanoTime();
        try (BenchDatabases databases = new BenchDatabases(db, options.get("pg-url"), options.get("pg-user"), options.get("pg-password"))) {
            results.put("database", databases.describe());
            results.put("broker", "Artemis, embedded, journal synced on commit");
            results.put("cores", Runtime.getRuntime().availableProcessors());
            results.put("maxHeapMb", Runtime.getRuntime().maxMemory() / (1024 * 1024));
            say("orderflow benchmark on %s, %d cores, max heap %d MB", databases.describe(), results.get("cores"), results.get("maxHeapMb"));
            if (opt("retention-rows") > 0) {
                retention(databases);
            } else if (options.get("only").equals("tcp")) {
                loneClients(databases);
            } else if (opt("console-orders") > 0) {
                ConsolePages.measure(this::instance, databases, work.resolve("console"), opt("console-orders"), results);
            } else {
                allPhases(databases);
            }
        }
        finish(db, cpuStart, wallStart);
    }

    private void allPhases(BenchDatabases databases) throws Exception {
        ceiling(databases);
        // the relay alone runs after the flow, on a JVM that has compiled the relay's code
        endToEnd(databases);
        relayAlone(databases);
        ratio();
        if (tcpPhase()) {
            loneClients(databases);
        }
        if (opt("processes") == 2) {
            twoProcesses(databases);
        }
    }

    private void finish(String db, long cpuStart, long wallStart) throws Exception {
        results.put("cpuCoresUsed", Percentiles.round((cpuNanos() - cpuStart) / (double) (System.nanoTime() - wallStart)));
        results.put("peakHeapUsedMb", heap.peakMb());
        heap.stop();
        say("CPU: %.2f cores busy on average over the run; peak heap used %d MB", results.get("cpuCoresUsed"), results.get("peakHeapUsedMb"));
        Path out = options.get("out").isEmpty()
                ? Path.of("bench-" + db + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".json")
                : Path.of(options.get("out"));
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), results);
        say("results written to %s", out.toAbsolutePath());
        deleteWork();
    }

    // ------------------------------------------------------------------ ceiling

    private void ceiling(BenchDatabases databases) throws Exception {
        say("[1/%d] ceiling of the machine: every row of an order written in batched transactions (%d threads), then durable "
                + "broker messages sent and received in batched transactions", phases(), opt("concurrency"));
        Settings settings = settings(databases.fresh(work.resolve("ceiling")));
        double dbOrders;
        try (Database db = Database.open(settings)) {
            db.migrate(1000);
            dbOrders = Ceiling.databaseOrdersPerSecond(db, opt("concurrency"), 5000);
        }
        EmbeddedBroker broker = new EmbeddedBroker(settings);
        broker.start();
        double messages;
        try (ActiveMQConnectionFactory cf = new ActiveMQConnectionFactory("vm://0")) {
            messages = Ceiling.brokerMessagesPerSecond(cf, "bench.ceiling", 500, opt("concurrency"), 5000);
        } finally {
            broker.close();
        }
        Map<String, Double> sync = Ceiling.diskSyncMillis(work.resolve("sync"), 2000);
        double flow = 1 / (1 / dbOrders + Ceiling.MESSAGES_PER_ORDER / messages);
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("dbOrdersPerSecond", Math.round(dbOrders));
        c.put("brokerMessagesPerSecond", Math.round(messages));
        c.put("messagesPerOrder", Ceiling.MESSAGES_PER_ORDER);
        c.put("flowOrdersPerSecond", Math.round(flow));
        c.put("diskSyncMs", sync);
        results.put("ceiling", c);
        say("      database: every row of %,.0f orders/s (19 statements an order, %d orders a transaction); broker: %,.0f messages/s "
                + "(500 bytes, durable, %d a transaction, %d + %d threads)", dbOrders, Ceiling.BATCH, messages, Ceiling.BATCH,
                opt("concurrency"), opt("concurrency"));
        say("      combined over one order's minimum work (its rows, %d messages): 1 / (1 / %,.0f + %d / %,.0f) = %,.0f orders/s",
                Ceiling.MESSAGES_PER_ORDER, dbOrders, Ceiling.MESSAGES_PER_ORDER, messages, flow);
        say("      disk: one durable 512-byte write takes p50 %.2f ms, p99 %.2f ms (a floor under every synced commit)",
                sync.get("p50"), sync.get("p99"));
    }

    // ------------------------------------------------------------------ relay alone

    private void relayAlone(BenchDatabases databases) throws Exception {
        int n = opt("relay-events");
        say("[4/%d] relay alone: %,d events, handed over as their transactions commit, then scanned from a pre-filled outbox", phases(), n);
        Settings settings = settings(databases.fresh(work.resolve("relay")));
        Map<String, Object> r = new LinkedHashMap<>();
        try (Database db = Database.open(settings)) {
            db.migrate(1000);
            EmbeddedBroker broker = new EmbeddedBroker(settings);
            broker.start();
            try (ActiveMQConnectionFactory cf = new ActiveMQConnectionFactory("vm://0")) {
                EventTopology.declare("vm://0", "", "");
                int batch = settings.getInt("orderflow.outbox.batch-size");

                // handed over: writers commit events a hundred per transaction as fast as they can
                Outbox handedOutbox = new Outbox("order", db.jdbc(), db.dialect());
                MeterRegistry handedMeters = new SimpleMeterRegistry();
                StandaloneRelay handedRelay = new StandaloneRelay(handedOutbox, db.transactions(), cf, batch, 1000, handedMeters).start();
                Counter handedPublished = handedMeters.get("orderflow.events.published").counter();
                long start = System.nanoTime();
                fillOutbox(db, handedOutbox, "HANDED-", n, 100);
                double writeSeconds = (System.nanoTime() - start) / 1e9;
                waitFor(() -> handedPublished.count() >= n, "events published", () -> (long) handedPublished.count(), n);
                double handedRate = n / ((System.nanoTime() - start) / 1e9);
                r.put("handedOverEventsPerSecond", Math.round(handedRate));
                r.put("writtenEventsPerSecond", Math.round(n / writeSeconds));
                say("      handed over: %,.0f events/s published (the writers committed %,.0f events/s)", handedRate, n / writeSeconds);

                handedRelay.close();

                // lag from commit to broker commit at half that rate, one event per transaction, on a relay of its own
                Outbox lagOutbox = new Outbox("email", db.jdbc(), db.dialect());
                MeterRegistry lagMeters = new SimpleMeterRegistry();
                StandaloneRelay lagRelay = new StandaloneRelay(lagOutbox, db.transactions(), cf, batch, 1000, lagMeters).start();
                Counter lagPublished = lagMeters.get("orderflow.events.published").counter();
                double rate = handedRate / 2;
                int count = (int) Math.min(rate * 5, 20_000);
                long t0 = System.nanoTime();
                for (int i = 0; i < count; i++) {
                    awaitIntendedTime(t0, i, rate);
                    int k = i;
                    db.transactions().inTransaction(() -> lagOutbox.append(
                            Event.create(Event.ORDER_PLACED, "LAG-" + k, EventJson.MAPPER.createObjectNode().put("bench", true))));
                }
                double achieved = count / ((System.nanoTime() - t0) / 1e9);
                waitFor(() -> lagPublished.count() >= count, "events published", () -> (long) lagPublished.count(), count);
                lagRelay.close();
                var snapshot = lagMeters.get("orderflow.outbox.lag").timer().takeSnapshot();
                Map<String, Double> lag = new LinkedHashMap<>();
                for (var p : snapshot.percentileValues()) {
                    lag.put(p.percentile() == 0.5 ? "p50" : "p99", Percentiles.round(p.value(TimeUnit.MILLISECONDS)));
                }
                r.put("lagAtHalfRateMs", lag);
                r.put("lagRatePerSecond", Math.round(achieved));
                say("      lag commit -> broker commit at %,.0f events/s (one per transaction; %,.0f asked): p50 %.1f ms, p99 %.1f ms",
                        achieved, rate, lag.get("p50"), lag.get("p99"));

                // scanned: a pre-filled outbox, as after a crash or for rows of another process
                Outbox scannedOutbox = new Outbox("stock", db.jdbc(), db.dialect());
                fillOutbox(db, scannedOutbox, "SCANNED-", n, 1000);
                MeterRegistry scanMeters = new SimpleMeterRegistry();
                StandaloneRelay scanRelay = new StandaloneRelay(scannedOutbox, db.transactions(), cf, batch, 1000, scanMeters);
                Counter scanned = scanMeters.get("orderflow.events.published").counter();
                long scanStart = System.nanoTime();
                scanRelay.start();
                waitFor(() -> scanned.count() >= n, "events published", () -> (long) scanned.count(), n);
                double scanRate = n / ((System.nanoTime() - scanStart) / 1e9);
                scanRelay.close();
                r.put("scannedEventsPerSecond", Math.round(scanRate));
                r.put("eventsPerSecond", Math.round(handedRate));
                say("      scanned: %,.0f events/s", scanRate);
            } finally {
                broker.close();
            }
        }
        results.put("relayAlone", r);
    }

    /** Commits n events to the outbox, perTransaction at a time, from the calling thread. */
    private static void fillOutbox(Database db, Outbox outbox, String prefix, int n, int perTransaction) {
        for (int done = 0; done < n; done += perTransaction) {
            int from = done;
            int size = Math.min(perTransaction, n - done);
            db.transactions().inTransaction(() -> {
                List<Event> events = new ArrayList<>(size);
                for (int i = 0; i < size; i++) {
                    events.add(Event.create(Event.ORDER_PLACED, prefix + (from + i), EventJson.MAPPER.createObjectNode().put("bench", true)));
                }
                outbox.appendAll(events);
            });
        }
    }

    // ------------------------------------------------------------------ end to end

    private void endToEnd(BenchDatabases databases) throws Exception {
        int n = opt("orders");
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

                warmUp(producer, session, db, "WARM-", "the flow");
                say("[2/%d] end to end at saturation: %,d orders sent to orders.in at once", phases(), n);
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

                say("[3/%d] end to end latency at fixed offered rates, intake commit -> notification commit, from the intended send time", phases());
                Map<String, Object> latency = new LinkedHashMap<>();
                Map<String, Object> intakeLatency = new LinkedHashMap<>();
                Map<String, Object> sendLatency = new LinkedHashMap<>();
                for (String rateText : options.get("rates").split(",")) {
                    int rate = Integer.parseInt(rateText.trim());
                    int count = rate * opt("rate-seconds");
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
                            rate, opt("rate-seconds"), p.get("p50"), p.get("p95"), p.get("p99"), p.get("max"),
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
        results.put("endToEnd", e2e);
    }

    /**
     * Runs orders through the flow before measuring it: until the JIT has compiled the hot paths,
     * its compiler threads take a large share of two cores (about half of the process's CPU in a
     * cold run here), which is start-up cost, not the flow's.
     */
    private void warmUp(MessageProducer producer, Session session, Database db, String prefix, String where) throws Exception {
        int n = opt("warmup");
        if (n == 0) {
            return;
        }
        say("      warming up: %,d orders through %s first (not measured)", n, where);
        sendAtOnce(producer, session, prefix, n);
        // not measured, so progress may come from the database, whichever process did the work
        waitFor(() -> settled(db, prefix + "%") >= n, "warm-up orders settled", () -> settled(db, prefix + "%"), n);
    }

    /** Sends n orders to orders.in as fast as the broker takes them, a hundred per transaction. */
    private static void sendAtOnce(MessageProducer producer, Session session, String prefix, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            producer.send(session.createTextMessage(order(prefix + i)));
            if (i % 100 == 99) {
                session.commit();
            }
        }
        session.commit();
    }

    // ------------------------------------------------------------------ clients over TCP

    private void loneClients(BenchDatabases databases) throws Exception {
        if (!tcpPhase()) {
            throw new IllegalArgumentException("--only=tcp needs --tcp-rates");
        }
        List<String> rates = List.of(options.get("tcp-rates").replace(" ", "").split(","));
        List<Integer> clients = java.util.Arrays.stream(options.get("tcp-clients").split(",")).map(String::trim).map(Integer::valueOf).toList();
        Map<String, String> extra = new LinkedHashMap<>();
        for (String kv : options.get("tcp-settings").split(";")) {
            if (kv.contains("=")) {
                extra.put(kv.substring(0, kv.indexOf('=')).trim(), kv.substring(kv.indexOf('=') + 1).trim());
            }
        }
        LoneClients.Plan plan = new LoneClients.Plan(rates, clients, opt("tcp-seconds"), opt("tcp-orders"), opt("warmup"),
                opt("tcp-idle-seconds"), options.get("tcp-jvm").isBlank() ? List.of() : List.of(options.get("tcp-jvm").trim().split("\\s+")),
                extra, options.get("tcp-jfr"));
        int phase = options.get("only").equals("tcp") ? 1 : 5;
        say("[%d/%d] clients over TCP, one persistent message per order, no transaction, to the jar run as a process of its own: "
                + "%s orders/s from %s clients", phase, options.get("only").equals("tcp") ? 1 : phases(), options.get("tcp-rates"),
                options.get("tcp-clients"));
        results.put("tcpClients", LoneClients.measure(plan, work.resolve("tcp"), databases.fresh(work.resolve("tcp")), skus));
    }

    // ------------------------------------------------------------------ two processes

    /**
     * Two full orderflow instances on one PostgreSQL database and one broker: this process (hosting
     * the broker) and a second JVM running the same jar against it. They share every queue and
     * every outbox; the figures are throughput and a count of anything lost or done twice.
     */
    private void twoProcesses(BenchDatabases databases) throws Exception {
        int n = opt("orders");
        say("[%d/%d] two processes on one PostgreSQL and one broker: %,d orders sent to orders.in at once", phases(), phases(), n);
        Map<String, String> base = databases.fresh(work.resolve("two-1"));
        Settings settings = settings(base);
        OrderflowConfiguration configuration = new OrderflowConfiguration(settings);
        Main main = startInstance(settings, configuration);
        Process second = null;
        Map<String, Object> two = new LinkedHashMap<>();
        try {
            Map<String, String> other = new LinkedHashMap<>(base);
            other.put("orderflow.data-dir", work.resolve("two-2").toString());
            other.put("orderflow.broker.embedded", "false");
            other.put("orderflow.broker.url", settings.brokerListen().toString());
            other.put("orderflow.http.port", String.valueOf(freePort()));
            second = launchSecond(other, work.resolve("two-2.log"));
            Database db = configuration.database();
            try (ActiveMQConnectionFactory cf = new ActiveMQConnectionFactory("vm://0");
                 Connection connection = cf.createConnection();
                 Session session = connection.createSession(true, Session.SESSION_TRANSACTED)) {
                MessageProducer producer = session.createProducer(session.createQueue("orders.in"));
                producer.setDeliveryMode(DeliveryMode.PERSISTENT);
                // the second JVM starts cold: warm both up as the one-process run was
                warmUp(producer, session, db, "TWOWARM-", "both processes");
                sendAtOnce(producer, session, "TWO-", n);
            }
            // both processes send mail, so progress is read from the database they share
            waitFor(() -> notified(db, "TWO-%") >= n, "orders notified", () -> notified(db, "TWO-%"), n);
            double throughput = n / spanSeconds(db, "TWO-%");
            InvariantCheck.Report report = settle(db);
            int mailsFirst = mailFiles(settings.dataDir(), "TWO-");
            int mailsSecond = mailFiles(work.resolve("two-2"), "TWO-");
            int mails = mailsFirst + mailsSecond;
            long recorded = db.jdbc().queryForObject("SELECT COUNT(*) FROM orders WHERE order_id LIKE 'TWO-%'", Long.class);
            two.put("ordersPerSecond", Math.round(throughput));
            two.put("oneProcessOrdersPerSecond", ((Map<?, ?>) results.get("endToEnd")).get("ordersPerSecond"));
            two.put("orders", n);
            two.put("ordersRecorded", recorded);
            two.put("mailsWritten", mails);
            two.put("mailsWrittenPerProcess", List.of(mailsFirst, mailsSecond));
            two.put("invariantViolations", report.violations().size());
            say("      %,.0f orders/s with two processes (one process: %s orders/s); %,d of %,d orders recorded, %,d mails written "
                    + "(%,d + %,d), %d invariant violations", throughput, two.get("oneProcessOrdersPerSecond"), recorded, n, mails,
                    mailsFirst, mailsSecond, report.violations().size());
            report.violations().stream().limit(10).forEach(v -> say("      violation: %s", v));
        } finally {
            if (second != null) {
                second.destroy();
                second.waitFor();
            }
            main.stop();
            Preflight.release();
        }
        results.put("twoProcesses", two);
    }

    private Process launchSecond(Map<String, String> settings, Path log) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        settings.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-jar");
        cmd.add(Path.of(Benchmark.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        Process process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        HttpClient http = HttpClient.newHttpClient();
        URI health = URI.create("http://127.0.0.1:" + settings.get("orderflow.http.port") + "/observe/health");
        waitFor(() -> {
            if (!process.isAlive()) {
                throw new IllegalStateException("the second process exited with " + process.exitValue() + "; see " + log);
            }
            try {
                return http.send(HttpRequest.newBuilder(health).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
            } catch (IOException e) {
                return false;
            }
        }, "the second process to start", () -> 0, 1);
        return process;
    }

    /** Waits until nothing is in flight any more, and returns the invariant report. */
    private static InvariantCheck.Report settle(Database db) throws Exception {
        InvariantCheck check = new InvariantCheck(db.jdbc());
        InvariantCheck.Report[] last = new InvariantCheck.Report[1];
        waitFor(() -> {
            last[0] = check.run();
            return last[0].pending().isEmpty() || !last[0].violations().isEmpty();
        }, "work in flight to settle", () -> last[0] == null ? 0 : last[0].pending().size(), 0);
        return last[0];
    }

    private static int mailFiles(Path dataDir, String orderPrefix) throws IOException {
        Path dir = dataDir.resolve("mail");
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return (int) files.map(p -> p.getFileName().toString())
                    .filter(name -> name.endsWith(".eml") && name.startsWith(orderPrefix)).count();
        }
    }

    /** A started instance on a fresh database of the run's kind, for a phase that drives it itself. */
    ConsolePages.Instance instance(BenchDatabases databases, Path dir) throws Exception {
        Settings settings = settings(databases.fresh(dir));
        OrderflowConfiguration configuration = new OrderflowConfiguration(settings);
        Main main = startInstance(settings, configuration);
        return new ConsolePages.Instance(settings, configuration.database(), () -> {
            main.stop();
            Preflight.release();
        });
    }

    private static Main startInstance(Settings settings, OrderflowConfiguration configuration) throws Exception {
        Preflight.check(settings);
        Main main = new Main();
        main.bind("metricsRegistry", configuration.meters());
        main.configure().addConfiguration(configuration);
        OrderflowConfiguration.camelProperties(settings).forEach(main::addOverrideProperty);
        main.start();
        main.getCamelContext().getRegistry().lookupByNameAndType("stockLevels", StockLevels.class)
                .apply(java.util.stream.IntStream.range(1, skus + 1).boxed()
                        .collect(java.util.stream.Collectors.toMap(i -> "BENCH-" + i, i -> 1_000_000_000)));
        return main;
    }

    private void ratio() {
        @SuppressWarnings("unchecked") Map<String, Object> c = (Map<String, Object>) results.get("ceiling");
        @SuppressWarnings("unchecked") Map<String, Object> e = (Map<String, Object>) results.get("endToEnd");
        double ceiling = ((Number) c.get("flowOrdersPerSecond")).doubleValue();
        double ratio = ((Number) e.get("ordersPerSecond")).doubleValue() / ceiling;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("ceilingOrdersPerSecond", Math.round(ceiling));
        r.put("endToEndOverCeiling", Percentiles.round(ratio * 100) / 100.0);
        results.put("ratio", r);
        say("ratio: end to end %s orders/s is %.0f%% of the machine's ceiling for the flow (%,.0f orders/s)",
                e.get("ordersPerSecond"), ratio * 100, ceiling);
    }

    // ------------------------------------------------------------------ retention

    /**
     * A retention run over --retention-rows rows past their retention (published outbox rows,
     * processed events and sent notifications, 40 days old), while orders flow at the first of
     * --rates: the run's time, and the flow's latency beside it against the same rate without it.
     */
    private void retention(BenchDatabases databases) throws Exception {
        int rows = opt("retention-rows");
        Map<String, String> base = new HashMap<>(databases.fresh(work.resolve("retention")));
        // the run is started by the benchmark, not by the worker's schedule
        base.put("orderflow.retention.interval-ms", "86400000");
        Settings settings = settings(base);
        OrderflowConfiguration configuration = new OrderflowConfiguration(settings);
        Main main = startInstance(settings, configuration);
        Map<String, Object> r = new LinkedHashMap<>();
        try {
            Database db = configuration.database();
            MeterRegistry meters = configuration.meters();
            int rate = Integer.parseInt(options.get("rates").split(",")[0].trim());
            say("[1/3] %,d rows past their retention written (outbox rows, processed events, sent notifications, 40 days old)", rows);
            long t = System.nanoTime();
            Map<String, Integer> written = RetentionRows.write(db, rows);
            say("      written in %.0f s: %s", (System.nanoTime() - t) / 1e9, written);
            r.put("rows", written);
            Path dbDir = settings.embeddedPostgres() ? settings.dataDir().resolve("pg")
                    : settings.isPostgres() ? null : settings.dataDir().resolve("db");
            try (ActiveMQConnectionFactory cf = new ActiveMQConnectionFactory("vm://0"); Connection connection = cf.createConnection()) {
                connection.start();
                try (Session session = connection.createSession(true, Session.SESSION_TRANSACTED)) {
                    MessageProducer producer = session.createProducer(session.createQueue("orders.in"));
                    producer.setDeliveryMode(DeliveryMode.PERSISTENT);
                    warmUp(producer, session, db, "WARM-", "the flow");
                }
                say("[2/3] latency at %d orders/s for %d s without retention", rate, opt("rate-seconds"));
                double[] before = pacedLatencies(connection, db, meters, "RB-", rate, opt("rate-seconds"))[1];
                Map<String, Double> pb = Percentiles.of(before);
                say("      p50 %.1f ms, p99 %.1f ms, max %.1f ms", pb.get("p50"), pb.get("p99"), pb.get("max"));

                say("[3/3] the retention run, with orders at %d orders/s beside it", rate);
                Retention retention = main.getCamelContext().getRegistry().lookupByNameAndType("retention", Retention.class);
                long[] span = new long[3];
                Thread run = new Thread(() -> {
                    long start = System.nanoTime();
                    span[0] = Instant.now().toEpochMilli() * 1000;
                    retention.run();
                    span[1] = Instant.now().toEpochMilli() * 1000;
                    span[2] = System.nanoTime() - start;
                }, "bench-retention");
                // orders flow from a second before the run until it ends; those sent during it count
                List<double[][]> windows = new ArrayList<>();
                Thread flow = new Thread(() -> {
                    try {
                        int window = 0;
                        do {
                            windows.add(pacedLatencies(connection, db, meters, "RD" + window++ + "-", rate, 2));
                        } while (run.isAlive() || span[1] == 0);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, "bench-retention-flow");
                flow.start();
                Thread.sleep(1000);
                run.start();
                run.join();
                flow.join();
                List<Double> inRun = new ArrayList<>();
                for (double[][] w : windows) {
                    for (int i = 0; i < w[0].length; i++) {
                        if (w[0][i] >= span[0] && w[0][i] <= span[1]) {
                            inRun.add(w[1][i]);
                        }
                    }
                }
                double[] all = inRun.stream().mapToDouble(Double::doubleValue).toArray();
                long[] took = {span[2]};
                Map<String, Double> pd = Percentiles.of(all);
                long left = RetentionRows.left(db);
                double seconds = took[0] / 1e9;
                r.put("runSeconds", Percentiles.round(seconds));
                r.put("rowsDeletedPerSecond", Math.round(rows / seconds));
                r.put("rowsLeft", left);
                r.put("rate", rate);
                r.put("latencyWithoutMs", pb);
                r.put("latencyDuringMs", pd);
                r.put("ordersDuring", all.length);
                if (dbDir != null) {
                    // whether the space of the deleted rows is reused: the same rows again, and the size after
                    long afterRun = size(dbDir);
                    RetentionRows.write(db, rows);
                    long rewritten = size(dbDir);
                    retention.run();
                    r.put("databaseMbAfterFirstRun", afterRun / 1048576);
                    r.put("databaseMbAfterTheSameRowsAgain", rewritten / 1048576);
                    say("      the database: %,d MB after the run; %,d MB once the same rows are written again (space reused if about equal)",
                            afterRun / 1048576, rewritten / 1048576);
                }
                say("      %,d rows deleted in %.1f s (%,.0f rows/s, batches of %s), %d left; beside it %,d orders: p50 %.1f ms, "
                                + "p99 %.1f ms, max %.1f ms (without: p50 %.1f, p99 %.1f)", rows, seconds, rows / seconds,
                        settings.get("orderflow.retention.batch-size"), left, all.length, pd.get("p50"), pd.get("p99"), pd.get("max"),
                        pb.get("p50"), pb.get("p99"));
            }
        } finally {
            main.stop();
            Preflight.release();
        }
        results.put("retention", r);
    }

    /**
     * Sends orders paced at the rate for the seconds; returns each one's intended send time (epoch
     * micros) and its intended-send-to-notification time (ms).
     */
    private static double[][] pacedLatencies(Connection connection, Database db, MeterRegistry meters, String prefix, int rate, int seconds)
            throws Exception {
        int count = rate * seconds;
        long[] intended = new long[count];
        double[] sending = new double[count];
        double before = sent(meters);
        sendPaced(connection, prefix, rate, intended, sending);
        awaitNotified(meters, before, count, db, prefix + "%");
        Map<String, Long> sentAt = new HashMap<>();
        db.jdbc().query("SELECT order_id, sent_at FROM email_notification WHERE order_id LIKE ?",
                rs -> {
                    sentAt.put(rs.getString(1), micros(rs.getTimestamp(2)));
                }, prefix + "%");
        double[][] result = new double[2][count];
        for (int i = 0; i < count; i++) {
            result[0][i] = intended[i];
            result[1][i] = (sentAt.get(prefix + i) - intended[i]) / 1000.0;
        }
        return result;
    }

    // ------------------------------------------------------------------ helpers

    private Settings settings(Map<String, String> base) throws Exception {
        Map<String, String> o = new HashMap<>(base);
        o.put("orderflow.http.port", String.valueOf(freePort()));
        o.put("orderflow.broker.listen", "tcp://127.0.0.1:" + freePort());
        return Settings.load(Map.of(), new Properties(), o);
    }

    private static double deliveries(MeterRegistry meters) {
        return meters.find("orderflow.events.applied").counters().stream().mapToDouble(Counter::count).sum()
                + meters.find("orderflow.events.duplicates").counters().stream().mapToDouble(Counter::count).sum();
    }

    private static double sent(MeterRegistry meters) {
        return meters.get("orderflow.notifications.sent").counter().count();
    }

    /**
     * Waits for {@code n} more notifications sent, watching the in-process counter (polling the
     * database would take CPU from the flow being measured), then confirms them in the database.
     */
    private static void awaitNotified(MeterRegistry meters, double before, int n, Database db, String like) throws Exception {
        waitFor(() -> sent(meters) - before >= n, "orders notified", () -> (long) (sent(meters) - before), n);
        waitFor(() -> notified(db, like) >= n, "orders notified (database)", () -> notified(db, like), n);
    }

    private static int settled(Database db, String like) {
        return db.jdbc().queryForObject("SELECT COUNT(*) FROM orders WHERE notified_at IS NOT NULL AND order_id LIKE ?",
                Integer.class, like);
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

    static String order(String id) {
        int sku = 1 + Math.floorMod(id.hashCode(), skus);
        return "{\"orderId\":\"" + id + "\",\"customer\":{\"name\":\"Bench Mark\",\"email\":\"bench@example.com\"},"
                + "\"lines\":[{\"sku\":\"BENCH-" + sku + "\",\"quantity\":1}]}";
    }

    interface Check {
        boolean done() throws Exception;
    }

    interface Progress {
        long value() throws Exception;
    }

    static void waitFor(Check check, String what, Progress progress, long total) throws Exception {
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
     * Sends {@code intended.length} orders at {@code rate} per second from {@value #PACED_SENDERS}
     * clients, each with a session of its own taking every {@value #PACED_SENDERS}th order of the
     * schedule, one order per transaction; records each order's intended time (epoch micros) and the
     * time from it to the broker's acknowledgement of its commit (ms). One client alone cannot keep a
     * schedule of a few hundred durable one-message commits a second on a busy broker, and its lag
     * would be counted as the flow's.
     */
    private static void sendPaced(Connection connection, String prefix, int rate, long[] intended, double[] sending)
            throws Exception {
        long t0 = System.nanoTime();
        long epochMicros0 = Instant.now().toEpochMilli() * 1000;
        List<Thread> senders = new ArrayList<>();
        List<Exception> failures = Collections.synchronizedList(new ArrayList<>());
        for (int k = 0; k < PACED_SENDERS; k++) {
            int first = k;
            Thread sender = new Thread(() -> {
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
                } catch (Exception e) {
                    failures.add(e);
                }
            }, "bench-sender-" + k);
            senders.add(sender);
            sender.start();
        }
        for (Thread sender : senders) {
            sender.join();
        }
        if (!failures.isEmpty()) {
            throw failures.get(0);
        }
    }

    /**
     * Waits for the i-th send of a schedule at {@code rate} per second from {@code t0} (System.nanoTime)
     * and returns its intended time. A sender that falls behind sends at once but keeps the intended
     * time, so queueing shows in the latency instead of slowing the schedule (no coordinated omission).
     */
    private static final int PACED_SENDERS = 4;

    private static long awaitIntendedTime(long t0, int i, double rate) {
        long due = t0 + (long) (i * 1e9 / rate);
        long wait = due - System.nanoTime();
        if (wait > 0) {
            LockSupport.parkNanos(wait);
        }
        return due;
    }

    /** The phases' data dirs (H2 files, broker journals) can take hundreds of MB: not left behind. */
    private void deleteWork() throws IOException {
        try (Stream<Path> paths = Files.walk(work)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static long size(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    static long micros(Timestamp t) {
        Instant i = t.toInstant();
        return i.getEpochSecond() * 1_000_000 + i.getNano() / 1000;
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    static void say(String format, Object... args) {
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
