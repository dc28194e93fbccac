package io.orderflow.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.orderflow.broker.EmbeddedBroker;
import io.orderflow.config.OrderflowConfiguration;
import io.orderflow.config.Preflight;
import io.orderflow.config.Settings;
import io.orderflow.db.Database;
import io.orderflow.stock.StockLevels;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.main.Main;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Collections;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
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
            Map.entry("tcp-protocols", "core"), Map.entry("tcp-rates", "50,100,200,max"), Map.entry("tcp-clients", "1,4"), Map.entry("tcp-seconds", "10"),
            Map.entry("tcp-orders", "5000"), Map.entry("tcp-idle-seconds", "10"), Map.entry("tcp-warmup-seconds", "60"), Map.entry("tcp-jvm", ""), Map.entry("tcp-settings", ""), Map.entry("tcp-jfr", ""), Map.entry("tcp-jar", ""),
            Map.entry("tcp-restart-seconds", "60"), Map.entry("tcp-pause-seconds", "600"), Map.entry("tcp-traces", "off"),
            Map.entry("broker-url", ""), Map.entry("broker-user", ""), Map.entry("broker-password", ""),
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
                        + "--skus=N --tcp-protocols=core,amqp,stomp,http --tcp-rates=50,100,200,max (empty skips the TCP clients' phase) --tcp-clients=1,4 --tcp-seconds=N --tcp-orders=N "
                        + "--tcp-idle-seconds=N --tcp-warmup-seconds=N --tcp-jvm='JVM options' --tcp-settings='key=value;key=value' --tcp-jfr=file.jfr (a profile of the first paced run) --tcp-jar=other.jar (measure another build) "
                        + "--tcp-restart-seconds=N (from ready, 100 orders/s for N s; 0 skips) --tcp-pause-seconds=N (then the first 1,000 after N s with no order; 0 skips) "
                        + "--tcp-traces=off|on|both (traces exported to a collector stand-in in the bench; both: the phase without, then with) --only=tcp "
                        + "--only=broker --broker-url=URL --broker-user= --broker-password= (an external broker's ceiling beside the embedded one's) "
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
        if (options.get("only").equals("broker")) {
            heap.start();
            long cpu = cpuNanos();
            long wall = System.nanoTime();
            BrokerCeiling.measure(options.get("broker-url"), options.get("broker-user"), options.get("broker-password"),
                    opt("concurrency"), work, results);
            finish("none", cpu, wall);
            return;
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
                results.put("retention", RetentionBeside.measure(databases, work, opt("retention-rows"), opt("warmup"),
                        options.get("rates"), opt("rate-seconds")));
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
        results.put("endToEnd", EndToEnd.measure(databases, work, opt("orders"), opt("warmup"), options.get("rates"), opt("rate-seconds"),
                phases()));
        results.put("relayAlone", RelayAlone.measure(databases, work, opt("relay-events"), phases()));
        ratio();
        if (tcpPhase()) {
            loneClients(databases);
        }
        if (opt("processes") == 2) {
            results.put("twoProcesses", TwoProcesses.measure(databases, work, opt("orders"), opt("warmup"), phases(),
                    (Map<?, ?>) results.get("endToEnd")));
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

    // ------------------------------------------------------------------ clients over TCP

    private void loneClients(BenchDatabases databases) throws Exception {
        if (!tcpPhase()) {
            throw new IllegalArgumentException("--only=tcp needs --tcp-rates");
        }
        List<String> rates = List.of(options.get("tcp-rates").replace(" ", "").split(","));
        List<String> protocols = List.of(options.get("tcp-protocols").replace(" ", "").toLowerCase(java.util.Locale.ROOT).split(","));
        if (!OrderClient.PROTOCOLS.containsAll(protocols)) {
            throw new IllegalArgumentException("--tcp-protocols takes " + String.join(",", OrderClient.PROTOCOLS) + ", not " + options.get("tcp-protocols"));
        }
        List<Integer> clients = java.util.Arrays.stream(options.get("tcp-clients").split(",")).map(String::trim).map(Integer::valueOf).toList();
        Map<String, String> extra = new LinkedHashMap<>();
        for (String kv : options.get("tcp-settings").split(";")) {
            if (kv.contains("=")) {
                extra.put(kv.substring(0, kv.indexOf('=')).trim(), kv.substring(kv.indexOf('=') + 1).trim());
            }
        }
        LoneClients.Plan plan = new LoneClients.Plan(protocols, rates, clients, opt("tcp-seconds"), opt("tcp-orders"), opt("warmup"), opt("tcp-warmup-seconds"),
                opt("tcp-idle-seconds"), options.get("tcp-jvm").isBlank() ? List.of() : List.of(options.get("tcp-jvm").trim().split("\\s+")),
                extra, options.get("tcp-jfr"), options.get("tcp-jar"), opt("tcp-restart-seconds"), opt("tcp-pause-seconds"));
        int phase = options.get("only").equals("tcp") ? 1 : 5;
        say("[%d/%d] clients over TCP (%s), one persistent message or request per order, no transaction, to the jar run as a process "
                + "of its own: %s orders/s from %s clients", phase, options.get("only").equals("tcp") ? 1 : phases(), String.join(", ", protocols),
                options.get("tcp-rates"), options.get("tcp-clients"));
        String traces = options.get("tcp-traces");
        if (!List.of("off", "on", "both").contains(traces)) {
            throw new IllegalArgumentException("--tcp-traces takes off, on or both, not " + traces);
        }
        if (!traces.equals("on")) {
            results.put("tcpClients", LoneClients.measure(plan, work.resolve("tcp"), databases.fresh(work.resolve("tcp")), skus));
        }
        if (!traces.equals("off")) {
            try (OtlpSink sink = new OtlpSink()) {
                Map<String, String> traced = new LinkedHashMap<>(extra);
                traced.put("orderflow.otel.endpoint", sink.endpoint());
                traced.put("orderflow.otel.sampling-ratio", "1.0");
                say("      again with every order traced, its spans exported over OTLP/HTTP to a collector stand-in in the bench (%s)",
                        sink.endpoint());
                LoneClients.Plan withTraces = new LoneClients.Plan(plan.protocols(), plan.rates(), plan.clients(), plan.seconds(),
                        plan.maxOrders(), plan.warmup(), plan.warmupSeconds(), plan.idleSeconds(), plan.jvmArgs(), traced, plan.jfr(),
                        plan.jar(), plan.restartSeconds(), plan.pauseSeconds());
                Map<String, Object> on = LoneClients.measure(withTraces, work.resolve("tcp-traced"),
                        databases.fresh(work.resolve("tcp-traced")), skus);
                on.put("collector", Map.of("requests", sink.requests(), "bytes", sink.bytes()));
                say("      the collector stand-in took %,d requests, %,d bytes", sink.requests(), sink.bytes());
                results.put("tcpClientsTraced", on);
            }
        }
        if (traces.equals("both")) {
            compareTraces();
        }
    }

    /** CPU per order and p99 of the runs with traces against those without, rate by rate. */
    @SuppressWarnings("unchecked")
    private void compareTraces() {
        List<Map<String, Object>> off = (List<Map<String, Object>>) ((Map<String, Object>) results.get("tcpClients")).get("runs");
        List<Map<String, Object>> on = (List<Map<String, Object>>) ((Map<String, Object>) results.get("tcpClientsTraced")).get("runs");
        List<Map<String, Object>> compared = new ArrayList<>();
        for (int i = 0; i < Math.min(off.size(), on.size()); i++) {
            Map<String, Object> a = off.get(i);
            Map<String, Object> b = on.get(i);
            if (!(a.get("rate") instanceof Integer) || !a.get("rate").equals(b.get("rate")) || !a.get("clients").equals(b.get("clients"))) {
                continue;
            }
            double cpuOff = ((Map<String, Double>) a.get("cpuMsPerOrder")).get("total");
            double cpuOn = ((Map<String, Double>) b.get("cpuMsPerOrder")).get("total");
            double p99Off = ((Map<String, Double>) a.get("latencyMs")).get("p99");
            double p99On = ((Map<String, Double>) b.get("latencyMs")).get("p99");
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("clients", a.get("clients"));
            c.put("rate", a.get("rate"));
            c.put("cpuMsPerOrderOff", cpuOff);
            c.put("cpuMsPerOrderOn", cpuOn);
            c.put("cpuRatio", Math.round(cpuOn / cpuOff * 1000) / 1000.0);
            c.put("p99MsOff", p99Off);
            c.put("p99MsOn", p99On);
            compared.add(c);
            say("      traces on against off, %s client(s) at %s orders/s: CPU per order %.2f against %.2f ms (x%.2f), p99 %.1f against %.1f ms",
                    a.get("clients"), a.get("rate"), cpuOn, cpuOff, cpuOn / cpuOff, p99On, p99Off);
        }
        results.put("tracesOverhead", compared);
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

    static Main startInstance(Settings settings, OrderflowConfiguration configuration) throws Exception {
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

    // ------------------------------------------------------------------ helpers

    static Settings settings(Map<String, String> base) throws Exception {
        Map<String, String> o = new HashMap<>(base);
        o.put("orderflow.http.port", String.valueOf(freePort()));
        o.put("orderflow.broker.listen", "tcp://127.0.0.1:" + freePort());
        return Settings.load(Map.of(), new Properties(), o);
    }

    static String order(String id) {
        int sku = 1 + Math.floorMod(id.hashCode(), skus);
        return "{\"orderId\":\"" + id + "\",\"customer\":{\"name\":\"Bench Mark\",\"email\":\"bench@example.com\"},"
                + "\"lines\":[{\"sku\":\"BENCH-" + sku + "\",\"quantity\":1}]}";
    }

    /** One client of a phase's load: the k-th of several, each on a thread of its own. */
    interface Client {
        void run(int k) throws Exception;
    }

    /** Runs n clients at once, each on a thread of its own, waits for all, and throws the first failure. */
    static void inParallel(int n, String name, Client client) throws Exception {
        List<Thread> threads = new ArrayList<>();
        List<Exception> failures = Collections.synchronizedList(new ArrayList<>());
        for (int k = 0; k < n; k++) {
            int index = k;
            Thread t = new Thread(() -> {
                try {
                    client.run(index);
                } catch (Exception e) {
                    failures.add(e);
                }
            }, name + "-" + k);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        if (!failures.isEmpty()) {
            throw failures.get(0);
        }
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

    /** The phases' data dirs (H2 files, broker journals) can take hundreds of MB: not left behind. */
    private void deleteWork() throws IOException {
        try (Stream<Path> paths = Files.walk(work)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    static long size(Path dir) throws IOException {
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
