package io.orderflow.bench;

import jakarta.jms.Connection;
import jakarta.jms.DeliveryMode;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * Orders as most clients send them: the jar runs as a process of its own, as a user runs it, and
 * separate clients send it one persistent, non-transacted message per order over TCP, by JMS over
 * CORE, or over AMQP 1.0, STOMP or HTTP (see {@link OrderClient}). At fixed
 * rates from one and from four clients, and as fast as the clients go, it measures latency from
 * each order's intended send time to its notification's commit, and the CPU each order costs the
 * jar's JVM and the database server's processes (read from /proc, the clients not counted); also
 * that CPU at idle, and at saturation from a client sending transacted batches of 100.
 */
final class LoneClients {

    /** What the phase is told: the rates ("max" = as fast as the clients go), client counts and sizes. */
    record Plan(List<String> protocols, List<String> rates, List<Integer> clients, int seconds, int maxOrders, int warmup, int warmupSeconds, int idleSeconds,
                List<String> jvmArgs, Map<String, String> extraSettings, String jfr, String jar, int restartSeconds, int pauseSeconds) {
    }

    /** The restart run's and the after-a-pause run's rate, as most shops' steady trickle. */
    static final int RESTART_RATE = 100;
    /** An order later than this, to its email, means the service has not settled yet. */
    static final double SETTLED_MS = 250;
    /** The restart run's latency is reported by slices of this many seconds of sending. */
    static final int SLICE_SECONDS = 5;
    /** Orders sent at RESTART_RATE after the pause. */
    static final int AFTER_PAUSE_ORDERS = 1000;

    private final Plan plan;
    private final Path dir;
    private final Map<String, String> settings;
    private final String postgresUrl;
    private final String postgresUser;
    private final String postgresPassword;
    private Process jar;
    private long postmaster = -1;
    private String brokerUrl;
    private int httpPort;
    private long startedAfterMs;
    private java.sql.Connection db;
    private boolean breakdownShown;
    /** Runs so far: each run's orders get ids of their own, so a rate can be measured twice in one run. */
    private int runs;

    private LoneClients(Plan plan, Path dir, Map<String, String> settings) {
        this.plan = plan;
        this.dir = dir;
        this.settings = settings;
        this.postgresUrl = settings.get("orderflow.db.url");
        this.postgresUser = settings.get("orderflow.db.user");
        this.postgresPassword = settings.get("orderflow.db.password");
    }

    /** Runs the phase on a fresh instance in {@code dir}; {@code settings} are its database's. */
    static Map<String, Object> measure(Plan plan, Path dir, Map<String, String> settings, int skus) throws Exception {
        if ("h2".equals(settings.get("orderflow.db.embedded"))) {
            throw new IllegalArgumentException("the TCP clients' phase reads the database from outside the jar: it needs PostgreSQL "
                    + "(the embedded default or --db=postgres), not the H2 file; --tcp-rates= skips it");
        }
        LoneClients phase = new LoneClients(plan, dir, settings);
        try {
            phase.start(skus);
            return phase.runAll();
        } finally {
            phase.stop();
        }
    }

    private void start(int skus) throws Exception {
        Path stockInbox = dir.resolve("stock").resolve("inbox");
        Files.createDirectories(stockInbox);
        StringBuilder stock = new StringBuilder("sku,quantity\n");
        for (int i = 1; i <= skus; i++) {
            stock.append("BENCH-").append(i).append(",1000000000\n");
        }
        Files.writeString(stockInbox.resolve("bench-stock.csv"), stock);

        Map<String, String> all = new LinkedHashMap<>(settings);
        httpPort = Benchmark.freePort();
        brokerUrl = "tcp://127.0.0.1:" + Benchmark.freePort();
        all.put("orderflow.http.port", String.valueOf(httpPort));
        all.put("orderflow.broker.listen", brokerUrl);
        all.putAll(plan.extraSettings());
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        cmd.addAll(plan.jvmArgs());
        all.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-jar");
        // another build's jar (--tcp-jar) is measured by this one's clients, for a baseline in the same run
        cmd.add(plan.jar().isEmpty() ? Path.of(Benchmark.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString()
                : Path.of(plan.jar()).toAbsolutePath().toString());
        Path log = dir.resolveSibling(dir.getFileName() + ".log");
        long launched = System.nanoTime();
        jar = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        HttpClient http = HttpClient.newHttpClient();
        URI health = URI.create("http://127.0.0.1:" + httpPort + "/observe/health");
        Benchmark.waitFor(() -> {
            if (!jar.isAlive()) {
                throw new IllegalStateException("the jar exited with " + jar.exitValue() + "; see " + log);
            }
            try {
                return http.send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (IOException e) {
                return false;
            }
        }, "the jar to start", () -> 0, 1);
        Benchmark.waitFor(() -> !Files.exists(stockInbox.resolve("bench-stock.csv")), "the stock file to be taken", () -> 0, 1);
        // what a deploy waits for: the JVM's start, the embedded database's and broker's, the routes'
        startedAfterMs = (System.nanoTime() - launched) / 1_000_000;
        Benchmark.say("      the jar ready (health 200, the stock file taken) %.1f s after its launch", startedAfterMs / 1000.0);

        if (postgresUrl == null || postgresUrl.isEmpty()) {
            Path cluster = dir.resolve("pg");
            List<String> pid = Files.readAllLines(cluster.resolve("postmaster.pid"));
            postmaster = Long.parseLong(pid.get(0).trim());
            db = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + pid.get(3).trim() + "/postgres", "postgres", "");
        } else {
            db = DriverManager.getConnection(postgresUrl, postgresUser, postgresPassword);
            try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SHOW data_directory")) {
                rs.next();
                OptionalLong pid = ProcessCpu.postmaster(Path.of(rs.getString(1)));
                postmaster = pid.orElse(-1);
            } catch (SQLException e) {
                Benchmark.say("      (the database server's data directory is not readable: its CPU is not counted: %s)", e.getMessage());
            }
        }
    }

    private Map<String, Object> runAll() throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("readyAfterLaunchMs", startedAfterMs);
        out.put("broker", brokerUrl + ", the jar's embedded Artemis, clients in the benchmark's JVM");
        if (plan.restartSeconds() > 0) {
            // first, while the jar is as fresh as after a deploy or a crash
            out.put("restart", restart());
        }
        if (plan.warmup() > 0) {
            Benchmark.say("      warming up the jar: %,d orders (not measured)", plan.warmup());
            bulk("TWARM-", plan.warmup());
            // one order at a time takes other paths than a batch of a hundred, which the JIT compiles
            // at a trickle's pace: a minute of them before measuring what a running service costs
            Benchmark.say("      and %d s of orders at 100 a second from one client (not measured)", plan.warmupSeconds());
            send("core", "TTRICKLE-", 1, 100, plan.warmupSeconds() * 100);
            awaitMails("TTRICKLE-", plan.warmupSeconds() * 100);
        }
        List<Map<String, Object>> runs = new ArrayList<>();
        for (String protocol : plan.protocols()) {
            if (!protocol.equals("core") && plan.warmup() > 0) {
                // each protocol's own intake path compiled before it is measured, as CORE's is by the warm-up above
                int seconds = Math.min(plan.warmupSeconds(), 20);
                Benchmark.say("      %s: %d s of orders at 100 a second from one client (not measured)", protocol, seconds);
                send(protocol, protocol.toUpperCase() + "WARM-", 1, 100, seconds * 100);
                awaitMails(protocol.toUpperCase() + "WARM-", seconds * 100);
            }
            for (int clients : plan.clients()) {
                for (String rate : plan.rates()) {
                    runs.add(paced(protocol, clients, rate));
                }
            }
        }
        out.put("runs", runs);
        long idleFrom = System.nanoTime();
        out.put("idle", idle());
        out.put("bulk", saturation());
        if (plan.pauseSeconds() > 0) {
            out.put("afterPause", afterPause(idleFrom));
        }
        return out;
    }

    /**
     * The jar just reported ready (health 200, the stock file taken): one client sends 100 orders a
     * second at once, as after a deploy or a crash under steady traffic. Latency is measured to
     * each order's email file (what a user sees), by slices of the sending time; settled is the
     * intended send time, from the first order, after which no order took over 250 ms. The JIT's
     * work is read from the JVM's own counters, for the start and for the run.
     */
    private Map<String, Object> restart() throws Exception {
        int count = RESTART_RATE * plan.restartSeconds();
        String prefix = "TSTART-";
        Map<String, Double> jitAtReady = jit();
        long jvm0 = jvmCpu();
        long db0 = dbCpu();
        long t0 = System.nanoTime();
        Sent sent = send("core", prefix, 1, RESTART_RATE, count);
        awaitMails(prefix, count);
        double seconds = (System.nanoTime() - t0) / 1e9;
        long jvm = jvmCpu() - jvm0;
        long database = dbCpu() - db0;
        Map<String, Double> jitAfter = jit();
        double[] millis = toEmail(prefix, sent.intended());

        Map<String, Object> run = new LinkedHashMap<>();
        run.put("rate", RESTART_RATE);
        run.put("orders", count);
        Map<String, Double> all = Percentiles.of(millis);
        run.put("latencyToEmailMs", all);
        List<Map<String, Object>> slices = new ArrayList<>();
        int perSlice = RESTART_RATE * SLICE_SECONDS;
        StringBuilder sliceText = new StringBuilder();
        for (int from = 0; from < count; from += perSlice) {
            double[] slice = java.util.Arrays.copyOfRange(millis, from, Math.min(count, from + perSlice));
            Map<String, Double> p = Percentiles.of(slice);
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("fromSecond", from / RESTART_RATE);
            one.put("latencyToEmailMs", p);
            slices.add(one);
            sliceText.append(String.format("%n          %3d-%3d s: p50 %7.1f ms, p99 %7.1f ms, max %7.1f ms", from / RESTART_RATE,
                    Math.min(count, from + perSlice) / RESTART_RATE, p.get("p50"), p.get("p99"), p.get("max")));
        }
        run.put("slices", slices);
        run.put("firstOrderMs", Percentiles.round(millis[0]));
        Map<String, Double> reply = Percentiles.of(sent.replyMillis());
        run.put("replyMs", reply);
        int lastSlow = -1;
        for (int i = 0; i < count; i++) {
            if (millis[i] > SETTLED_MS) {
                lastSlow = i;
            }
        }
        double settled = lastSlow < 0 ? 0 : lastSlow + 1 >= count ? Double.NaN
                : (sent.intended()[lastSlow + 1] - sent.intended()[0]) / 1e6;
        run.put("settledAfterSeconds", Double.isNaN(settled) ? "not within the run" : Percentiles.round(settled));
        cpu(run, jvm, database, count, seconds);
        Map<String, Object> jit = new LinkedHashMap<>();
        jit.put("atReady", jitAtReady);
        jit.put("duringTheRun", Map.of("compiles", jitAfter.get("compiles") - jitAtReady.get("compiles"),
                "compileSeconds", Percentiles.round(jitAfter.get("compileSeconds") - jitAtReady.get("compileSeconds"))));
        run.put("jit", jit);
        Benchmark.say("      restart under load: from ready, one client at %d orders/s for %d s, to each email file: p50 %.1f ms, p99 %.1f ms, "
                        + "max %.1f ms; the first order %.1f ms; settled (every later order under %.0f ms) after %s; the send's reply p50 %.1f ms, "
                        + "p99 %.1f ms, max %.1f ms; CPU per order %s%s",
                RESTART_RATE, plan.restartSeconds(), all.get("p50"), all.get("p99"), all.get("max"), millis[0], SETTLED_MS,
                Double.isNaN(settled) ? "never, within the run" : String.format("%.1f s", settled), reply.get("p50"), reply.get("p99"),
                reply.get("max"), cpuText(run), sliceText);
        Benchmark.say("        JIT: %.0f compiles in %.1f s of compiler time before ready, %.0f in %.1f s during the run",
                jitAtReady.get("compiles"), jitAtReady.get("compileSeconds"), jitAfter.get("compiles") - jitAtReady.get("compiles"),
                jitAfter.get("compileSeconds") - jitAtReady.get("compileSeconds"));
        return run;
    }

    /** After pauseSeconds with no order (counted from the idle measurement's start), the first 1,000 at 100 a second. */
    private Map<String, Object> afterPause(long idleFromNanos) throws Exception {
        long left = plan.pauseSeconds() * 1_000_000_000L - (System.nanoTime() - idleFromNanos);
        awaitSettled();
        Benchmark.say("      waiting for the rest of a %d s pause with no order", plan.pauseSeconds());
        if (left > 0) {
            Thread.sleep(left / 1_000_000);
        }
        String prefix = "TPAUSE-";
        Sent sent = send("core", prefix, 1, RESTART_RATE, AFTER_PAUSE_ORDERS);
        awaitMails(prefix, AFTER_PAUSE_ORDERS);
        Map<String, Double> p = Percentiles.of(toEmail(prefix, sent.intended()));
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("pauseSeconds", plan.pauseSeconds());
        run.put("orders", AFTER_PAUSE_ORDERS);
        run.put("latencyToEmailMs", p);
        Benchmark.say("      after %d s with no order, the first %,d at %d/s, to each email file: p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                plan.pauseSeconds(), AFTER_PAUSE_ORDERS, RESTART_RATE, p.get("p50"), p.get("p99"), p.get("max"));
        return run;
    }

    /** Milliseconds from each order's intended send time to its .eml file's last write (one file per order). */
    private double[] toEmail(String prefix, long[] intendedMicros) throws IOException {
        Map<String, Long> written = new HashMap<>();
        try (Stream<Path> files = Files.list(dir.resolve("mail"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                if (name.startsWith(prefix) && name.endsWith(".eml")) {
                    java.nio.file.attribute.FileTime t = Files.getLastModifiedTime(f);
                    written.put(name.substring(0, name.indexOf('.')), t.to(java.util.concurrent.TimeUnit.MICROSECONDS));
                }
            }
        }
        double[] millis = new double[intendedMicros.length];
        for (int i = 0; i < millis.length; i++) {
            millis[i] = (written.get(prefix + i) - intendedMicros[i]) / 1000.0;
        }
        return millis;
    }

    /** The jar's JIT so far, from its own counters (jcmd PerfCounter.print): compiles and compiler seconds. */
    private Map<String, Double> jit() throws Exception {
        Map<String, Double> counters = new HashMap<>();
        for (String line : jcmdOutput("PerfCounter.print").split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                try {
                    counters.put(line.substring(0, eq).trim(), Double.parseDouble(line.substring(eq + 1).trim()));
                } catch (NumberFormatException notANumber) {
                    // strings such as the last compiled method
                }
            }
        }
        Map<String, Double> jit = new LinkedHashMap<>();
        jit.put("compiles", counters.getOrDefault("sun.ci.standardCompiles", 0.0) + counters.getOrDefault("sun.ci.osrCompiles", 0.0));
        double frequency = counters.getOrDefault("sun.os.hrt.frequency", 1e9);
        jit.put("compileSeconds", Percentiles.round(counters.getOrDefault("java.ci.totalTime", 0.0) / frequency));
        return jit;
    }

    private Map<String, Object> idle() throws Exception {
        awaitSettled();
        // what the flow does after its last order (markers, the order service's last status) ends within a second or two
        Thread.sleep(2000);
        long jvm0 = jvmCpu();
        long db0 = dbCpu();
        long t0 = System.nanoTime();
        Thread.sleep(plan.idleSeconds() * 1000L);
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<String, Object> idle = new LinkedHashMap<>();
        double jvm = (jvmCpu() - jvm0) / 1e6 / seconds;
        double database = (dbCpu() - db0) / 1e6 / seconds;
        idle.put("jvmCpuMsPerSecond", Percentiles.round(jvm));
        idle.put("databaseCpuMsPerSecond", Percentiles.round(database));
        idle.put("percentOfACore", Percentiles.round((jvm + database) / 10));
        Benchmark.say("      idle for %d s: JVM %.1f ms of CPU a second, database %.1f ms: %.1f%% of a core", plan.idleSeconds(), jvm,
                database, (jvm + database) / 10);
        return idle;
    }

    /** One protocol, client count and rate: latency from the intended send time, CPU per order. */
    private Map<String, Object> paced(String protocol, int clients, String rateText) throws Exception {
        boolean max = rateText.equals("max");
        int rate = max ? 0 : Integer.parseInt(rateText);
        int count = max ? plan.maxOrders() : rate * plan.seconds();
        String prefix = "T" + (++runs) + "-" + protocol.toUpperCase() + "-" + clients + "C" + rateText.toUpperCase() + "-";
        awaitSettled();
        boolean first = !max && !breakdownShown;
        if (first && !plan.jfr().isEmpty()) {
            jcmd("JFR.start", "name=bench", "settings=profile", "filename=" + Path.of(plan.jfr()).toAbsolutePath());
        }
        boolean statements = first && statementsReset();
        ThreadCpu threads = ThreadCpu.sample(jar.pid());
        long jvm0 = jvmCpu();
        long db0 = dbCpu();
        long t0 = System.nanoTime();
        Sent sent = send(protocol, prefix, clients, rate, count);
        long[] intended = sent.intended();
        awaitMails(prefix, count);
        double seconds = (System.nanoTime() - t0) / 1e9;
        long jvm = jvmCpu() - jvm0;
        long database = dbCpu() - db0;
        Map<String, Double> byThread = threads.since(ThreadCpu.sample(jar.pid()), count);
        if (first && !plan.jfr().isEmpty()) {
            jcmd("JFR.stop", "name=bench");
        }
        List<Map<String, Object>> perOrder = statements ? statementsPerOrder(count) : List.of();

        // an email file is written before its notification's SENT mark commits
        awaitSettled();
        Map<String, Long> sentAt = sentAt(prefix);
        double[] millis = new double[count];
        long last = 0;
        for (int i = 0; i < count; i++) {
            long mailed = sentAt.get(prefix + i);
            millis[i] = (mailed - intended[i]) / 1000.0;
            last = Math.max(last, mailed);
        }
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("protocol", protocol);
        run.put("clients", clients);
        run.put("rate", max ? "max" : rate);
        run.put("orders", count);
        String what;
        if (max) {
            double throughput = count / ((last - intended[0]) / 1e6);
            run.put("ordersPerSecond", Math.round(throughput));
            what = String.format("%,.0f orders/s end to end", throughput);
        } else {
            Map<String, Double> p = Percentiles.of(millis);
            run.put("latencyMs", p);
            what = String.format("p50 %.1f ms, p99 %.1f ms, max %.1f ms", p.get("p50"), p.get("p99"), p.get("max"));
        }
        Map<String, Double> reply = Percentiles.of(sent.replyMillis());
        run.put("replyMs", reply);
        what += String.format(" (the %s's reply: p50 %.1f ms, p99 %.1f ms)", SENT_WHAT.get(protocol), reply.get("p50"), reply.get("p99"));
        cpu(run, jvm, database, count, seconds);
        run.put("jvmCpuMsPerOrderByThread", byThread);
        if (statements) {
            run.put("statementsPerOrder", perOrder);
        }
        Benchmark.say("      %s, %d client%s, %s: %s; CPU per order %s", protocol.toUpperCase(), clients, clients == 1 ? "" : "s",
                max ? String.format("%,d orders as fast as %s", count, clients == 1 ? "it goes" : "they go")
                        : String.format("%d orders/s for %d s", rate, plan.seconds()), what, cpuText(run));
        if (first) {
            breakdownShown = true;
            Benchmark.say("        JVM threads, ms of CPU per order: %s", top(byThread, 12));
            if (!plan.jfr().isEmpty()) {
                Benchmark.say("        profile of this run (JFR): %s", Path.of(plan.jfr()).toAbsolutePath());
            }
            if (statements) {
                double calls = perOrder.stream().mapToDouble(m -> (Double) m.get("calls")).sum();
                Benchmark.say("        database statements per order (pg_stat_statements): %.1f, transactions %.1f; the most called:", calls,
                        perOrder.stream().filter(m -> "COMMIT".equals(m.get("statement"))).mapToDouble(m -> (Double) m.get("calls")).sum());
                perOrder.stream().limit(12).forEach(m -> Benchmark.say("          %5.2f  %s", m.get("calls"), m.get("statement")));
            }
        }
        return run;
    }

    /** What each protocol's client waits for after each order, for the report. */
    private static final Map<String, String> SENT_WHAT = Map.of("core", "send", "amqp", "send", "stomp", "receipt", "http", "POST");

    /** Each order's intended send time (epoch micros), and how long its client waited for the service's reply (ms). */
    record Sent(long[] intended, double[] replyMillis) {
    }

    /**
     * Sends {@code count} orders at {@code rate} a second (0: as fast as the clients go) from
     * {@code clients} clients of one protocol, each taking every clients-th order of the schedule,
     * one order per message or request and no transaction, each on a TCP connection of its own. A
     * client that falls behind sends at once but keeps the intended time, so queueing counts (no
     * coordinated omission).
     */
    private Sent send(String protocol, String prefix, int clients, int rate, int count) throws Exception {
        long[] intended = new long[count];
        double[] reply = new double[count];
        long t0 = System.nanoTime();
        long epochMicros0 = Instant.now().toEpochMilli() * 1000;
        Benchmark.inParallel(clients, "bench-client", first -> {
            try (OrderClient client = OrderClient.open(protocol, brokerUrl, httpPort)) {
                for (int i = first; i < count; i += clients) {
                    long due = rate == 0 ? t0 : EndToEnd.awaitIntendedTime(t0, i, rate);
                    intended[i] = epochMicros0 + (due - t0) / 1000;
                    long before = System.nanoTime();
                    client.send(Benchmark.order(prefix + i));
                    reply[i] = (System.nanoTime() - before) / 1e6;
                }
            }
        });
        return new Sent(intended, reply);
    }

    /** Clears pg_stat_statements' counts, if the server has the extension loaded; false if not. */
    private boolean statementsReset() {
        try (Statement s = db.createStatement()) {
            s.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            s.execute("SELECT pg_stat_statements_reset()");
            return true;
        } catch (SQLException e) {
            Benchmark.say("        (no statement counts: pg_stat_statements is not loaded by this server)");
            return false;
        }
    }

    /** Each statement the flow ran on its database since the reset, with calls per order, most called first. */
    private List<Map<String, Object>> statementsPerOrder(int orders) throws SQLException {
        List<Map<String, Object>> out = new ArrayList<>();
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT query, calls, total_exec_time FROM pg_stat_statements "
                + "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '%pg_stat_statements%' "
                + "AND query NOT LIKE 'SELECT COUNT(*) FROM orders WHERE notified_at IS NULL' ORDER BY calls DESC")) {
            while (rs.next()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("statement", rs.getString(1).replaceAll("\\s+", " ").trim());
                m.put("calls", Math.round(rs.getLong(2) * 100.0 / orders) / 100.0);
                m.put("msPerOrder", Math.round(rs.getDouble(3) * 1000.0 / orders) / 1000.0);
                out.add(m);
            }
        }
        return out;
    }

    private String jcmdOutput(String... command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                String.valueOf(jar.pid())));
        cmd.addAll(List.of(command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    private void jcmd(String... command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                String.valueOf(jar.pid())));
        cmd.addAll(List.of(command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        p.waitFor();
    }

    /** Saturation: one client sending transacted batches of 100, as fast as it goes. */
    private Map<String, Object> saturation() throws Exception {
        int count = plan.maxOrders();
        awaitSettled();
        long jvm0 = jvmCpu();
        long db0 = dbCpu();
        long t0 = System.nanoTime();
        long epochMicros0 = Instant.now().toEpochMilli() * 1000;
        bulk("TBULK-", count);
        double seconds = (System.nanoTime() - t0) / 1e9;
        long jvm = jvmCpu() - jvm0;
        long database = dbCpu() - db0;
        awaitSettled();
        long last = sentAt("TBULK-").values().stream().mapToLong(Long::longValue).max().orElseThrow();
        double throughput = count / ((last - epochMicros0) / 1e6);
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("orders", count);
        run.put("ordersPerSecond", Math.round(throughput));
        cpu(run, jvm, database, count, seconds);
        Benchmark.say("      bulk, one client, transacted batches of 100: %,d orders at %,.0f orders/s end to end; CPU per order %s",
                count, throughput, cpuText(run));
        return run;
    }

    private void bulk(String prefix, int count) throws Exception {
        try (ActiveMQConnectionFactory cf = new ActiveMQConnectionFactory(brokerUrl);
             Connection connection = cf.createConnection();
             Session session = connection.createSession(true, Session.SESSION_TRANSACTED)) {
            MessageProducer producer = session.createProducer(session.createQueue("orders.in"));
            producer.setDeliveryMode(DeliveryMode.PERSISTENT);
            for (int i = 0; i < count; i++) {
                producer.send(session.createTextMessage(Benchmark.order(prefix + i)));
                if (i % 100 == 99) {
                    session.commit();
                }
            }
            session.commit();
        }
        awaitMails(prefix, count);
    }

    private static void cpu(Map<String, Object> run, long jvmNanos, long dbNanos, int count, double seconds) {
        Map<String, Double> perOrder = new LinkedHashMap<>();
        perOrder.put("jvm", Math.round(jvmNanos / 1e6 / count * 100) / 100.0);
        perOrder.put("database", Math.round(dbNanos / 1e6 / count * 100) / 100.0);
        perOrder.put("total", Math.round((jvmNanos + dbNanos) / 1e6 / count * 100) / 100.0);
        run.put("cpuMsPerOrder", perOrder);
        run.put("coresBusy", Math.round((jvmNanos + dbNanos) / 1e9 / seconds * 100) / 100.0);
    }

    @SuppressWarnings("unchecked")
    private static String cpuText(Map<String, Object> run) {
        Map<String, Double> c = (Map<String, Double>) run.get("cpuMsPerOrder");
        return String.format("%.2f ms (JVM %.2f + database %.2f), %.2f cores busy", c.get("total"), c.get("jvm"), c.get("database"),
                run.get("coresBusy"));
    }

    private static String top(Map<String, Double> byThread, int n) {
        StringBuilder s = new StringBuilder();
        byThread.entrySet().stream().limit(n).forEach(e -> s.append(s.length() == 0 ? "" : ", ").append(e.getKey()).append(' ')
                .append(String.format("%.2f", e.getValue())));
        return s.toString();
    }

    private long jvmCpu() {
        return ProcessCpu.of(jar.pid());
    }

    private long dbCpu() {
        return postmaster < 0 ? 0 : ProcessCpu.ofServer(postmaster);
    }

    /** Watches the mail folder (the bench's own CPU, not the jar's or the database's). */
    private void awaitMails(String prefix, int count) throws Exception {
        Path mail = dir.resolve("mail");
        Benchmark.waitFor(() -> mails(mail, prefix) >= count, "orders mailed", () -> mails(mail, prefix), count);
    }

    private static long mails(Path dir, String prefix) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix) && n.endsWith(".eml")).count();
        }
    }

    /** Waits until the order service has applied every order's last event, so runs do not overlap. */
    private void awaitSettled() throws Exception {
        Benchmark.waitFor(() -> {
            try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM orders WHERE notified_at IS NULL")) {
                rs.next();
                return rs.getLong(1) == 0;
            }
        }, "orders settled", () -> 0, 0);
    }

    private Map<String, Long> sentAt(String prefix) throws SQLException {
        Map<String, Long> sentAt = new HashMap<>();
        try (PreparedStatement s = db.prepareStatement("SELECT order_id, sent_at FROM email_notification WHERE order_id LIKE ?")) {
            s.setString(1, prefix + "%");
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    sentAt.put(rs.getString(1), Benchmark.micros(rs.getTimestamp(2)));
                }
            }
        }
        return sentAt;
    }


    private void stop() throws Exception {
        if (db != null) {
            db.close();
        }
        if (jar != null) {
            jar.destroy();
            if (!jar.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                jar.destroyForcibly();
            }
        }
    }
}
