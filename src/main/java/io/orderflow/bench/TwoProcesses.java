package io.orderflow.bench;

import io.orderflow.check.InvariantCheck;
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

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.orderflow.bench.Benchmark.freePort;
import static io.orderflow.bench.Benchmark.say;
import static io.orderflow.bench.Benchmark.settings;
import static io.orderflow.bench.Benchmark.startInstance;
import static io.orderflow.bench.Benchmark.waitFor;
import static io.orderflow.bench.EndToEnd.notified;
import static io.orderflow.bench.EndToEnd.sendAtOnce;
import static io.orderflow.bench.EndToEnd.spanSeconds;
import static io.orderflow.bench.EndToEnd.warmUp;

/**
 * With --processes=2 (PostgreSQL only): a second JVM runs the same jar as a second full instance
 * against the same database and this process's broker; both are warmed up, then the same
 * saturation run as end to end, and a count of what was lost or done twice.
 */
final class TwoProcesses {

    private TwoProcesses() {
    }

    /**
     * Two full orderflow instances on one PostgreSQL database and one broker: this process (hosting
     * the broker) and a second JVM running the same jar against it. They share every queue and
     * every outbox; the figures are throughput and a count of anything lost or done twice.
     */
    static Map<String, Object> measure(BenchDatabases databases, Path work, int n, int warmup, int phases, Map<?, ?> endToEnd)
            throws Exception {
        say("[%d/%d] two processes on one PostgreSQL and one broker: %,d orders sent to orders.in at once", phases, phases, n);
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
                warmUp(producer, session, db, "TWOWARM-", "both processes", warmup);
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
            two.put("oneProcessOrdersPerSecond", endToEnd.get("ordersPerSecond"));
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
        return two;
    }

    private static Process launchSecond(Map<String, String> settings, Path log) throws Exception {
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
}
