package io.orderflow.crash;

import io.orderflow.check.InvariantCheck;
import io.orderflow.config.Settings;
import io.orderflow.db.Database;
import io.orderflow.support.OrderflowProcess;
import io.orderflow.support.CrashDatabase;
import jakarta.jms.Connection;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.JdbcTemplate;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The jar as a separate JVM on its embedded defaults (H2 + embedded Artemis, file mail), killed
 * with SIGKILL at random moments while a few hundred orders flow, restarted each time. Afterwards
 * every accepted order has exactly one final status and one notification, stock adds up and no
 * event is missing or applied twice.
 */
class CrashRecoveryIT {

    private static final int SKUS = 30;
    /** kill-and-restart rounds; -Psoak runs hundreds */
    private static final int ROUNDS = Integer.getInteger("orderflow.test.rounds", 8);
    private static final int FILES_PER_ROUND = Integer.getInteger("orderflow.test.files-per-round", 16);
    private static final int ORDERS_PER_FILE = 5;
    private static final int JMS_PER_ROUND = Integer.getInteger("orderflow.test.jms-per-round", 20);
    private static final int PER_ROUND = FILES_PER_ROUND * ORDERS_PER_FILE + JMS_PER_ROUND;

    @TempDir
    Path work;

    private CrashDatabase database;

    @org.junit.jupiter.api.AfterEach
    void dropDatabase() throws Exception {
        if (database != null) {
            database.close();
        }
    }

    @ParameterizedTest(name = "on {0}")
    @MethodSource("io.orderflow.support.CrashDatabase#kinds")
    void should_lose_nothing_and_apply_nothing_twice_when_killed_while_orders_flow(String databaseKind) throws Exception {
        database = new CrashDatabase(databaseKind);
        long seed = Long.getLong("orderflow.test.seed", System.nanoTime());
        Random random = new Random(seed);
        System.out.println("CrashRecoveryIT seed " + seed + ", " + ROUNDS + " rounds of " + PER_ROUND + " orders on " + databaseKind);
        Set<String> submitted = new HashSet<>();
        int total = ROUNDS * PER_ROUND;
        int kills = 0;

        try (OrderflowProcess app = new OrderflowProcess(work)) {
            database.settings().forEach(app::with);
            app.start();
            StringBuilder stock = new StringBuilder("sku,quantity\n");
            for (int s = 0; s < SKUS; s++) {
                // enough for some of the orders only: both outcomes occur
                stock.append("SKU-").append(s).append(',').append(ROUNDS * (5 + random.nextInt(10))).append('\n');
            }
            OrderflowProcess.drop(app.dataDir().resolve("stock/inbox"), "stock.csv", stock.toString());
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(app.dataDir().resolve("stock/done/stock.csv")));

            for (int round = 0; round < ROUNDS; round++) {
                int before = app.mails();
                sendJmsOrders(app, random, submitted, round);
                for (int f = 0; f < FILES_PER_ROUND; f++) {
                    StringBuilder file = new StringBuilder("[");
                    for (int i = 0; i < ORDERS_PER_FILE; i++) {
                        String id = "F" + round + "-" + f + "-" + i;
                        submitted.add(id);
                        file.append(i == 0 ? "" : ",").append(order(id, random));
                    }
                    OrderflowProcess.drop(app.dataDir().resolve("orders/inbox"), "orders-" + round + "-" + f + ".json", file.append(']').toString());
                }
                // kill at a random moment while this round's orders are in flight
                int target = before + 1 + random.nextInt(PER_ROUND - 10);
                await().atMost(Duration.ofSeconds(120)).until(() -> app.mails() >= target);
                // on the embedded PostgreSQL every other kill takes its server down too (as a
                // machine crash does); in the others its watchdog stops it (a fast shutdown), or
                // the restart does if it is still running
                boolean withDatabase = database.kind().equals("embedded") && round % 2 == 1;
                if (withDatabase) {
                    app.killWithDatabase();
                } else {
                    app.kill();
                }
                kills++;
                System.out.println("CrashRecoveryIT round " + (round + 1) + ": killed" + (withDatabase ? " with its database" : "")
                        + " with " + app.mails() + " of " + submitted.size() + " notifications out");
                app.start();
                // after every restart: no invariant is violated (work in flight is allowed)
                String invariants = app.get("/observe/invariants").body();
                assertThat(invariants).as("invariants after round " + (round + 1)).contains("\"violations\" : [ ]");
            }
            await().atMost(Duration.ofSeconds(300)).until(() -> app.mails() >= total);
            // the order service applies the last decisions and notifications a moment after the mails go out
            Set<String> open = new HashSet<>(submitted);
            try {
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                    open.removeIf(id -> app.settled(id));
                    return open.isEmpty();
                });
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                System.out.println("CrashRecoveryIT: " + open.size() + " orders not settled: " + open);
                for (String id : open.stream().limit(3).toList()) {
                    System.out.println(app.get("/api/orders/" + id).body());
                }
                System.out.println(app.get("/observe/metrics").body().lines().filter(l -> l.startsWith("orderflow")).toList());
                app.kill();
                Path keep = Path.of("target", "crash-data-" + seed);
                copy(work, keep);
                System.out.println("CrashRecoveryIT: data kept in " + keep.toAbsolutePath());
                throw e;
            }
            // the JVM reports 143 (128 + SIGTERM) after running its shutdown hooks
            assertThat(app.stop()).as("exit code after SIGTERM").isIn(0, 143);
            assertThat(Files.readString(app.log())).as("graceful shutdown logged").contains("(orderflow) shutdown in");
        }

        ProcessResult check = runCheck();
        assertThat(check.output()).contains("OK: every invariant holds, nothing pending");
        assertThat(check.exitCode()).isZero();

        Settings settings = Settings.load(Map.of(), new Properties(), database.settings(work.resolve("data")));
        int confirmed;
        try (Database db = Database.openShared(settings)) {
            JdbcTemplate jdbc = db.jdbc();
            InvariantCheck.Report report = new InvariantCheck(jdbc).run();
            assertThat(report.violations()).isEmpty();
            assertThat(report.pending()).isEmpty();
            assertThat(new HashSet<>(jdbc.queryForList("SELECT order_id FROM orders", String.class))).isEqualTo(submitted);
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM orders WHERE status IN ('CONFIRMED', 'REJECTED') AND notified_at IS NOT NULL",
                    Integer.class)).isEqualTo(total);
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM email_notification WHERE status = 'SENT'", Integer.class)).isEqualTo(total);
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM stock_processed_event", Integer.class)).isEqualTo(total);
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM order_event", Integer.class)).isEqualTo(3 * total);
            confirmed = jdbc.queryForObject("SELECT COUNT(*) FROM orders WHERE status = 'CONFIRMED'", Integer.class);
            assertThat(confirmed).isBetween(1, total - 1);
        }
        try (Stream<Path> mail = Files.list(work.resolve("data/mail"))) {
            List<String> names = mail.map(p -> p.getFileName().toString()).toList();
            assertThat(names).hasSize(total).allMatch(n -> n.endsWith(".eml") && !n.startsWith("."));
        }
        try (Stream<Path> inbox = Files.list(work.resolve("data/orders/inbox"))) {
            assertThat(inbox.filter(p -> !p.getFileName().toString().startsWith(".")).toList()).isEmpty();
        }
        try (Stream<Path> errors = Files.list(work.resolve("data/orders/error"))) {
            assertThat(errors.toList()).as("no order file rejected").isEmpty();
        }
        System.out.println("CrashRecoveryIT: " + total + " orders (" + confirmed + " confirmed, " + (total - confirmed)
                + " rejected), " + kills + " SIGKILLs, every invariant held");
    }

    record ProcessResult(int exitCode, String output) {
    }

    private ProcessResult runCheck() throws Exception {
        Path jar = Path.of(System.getProperty("orderflow.jar", "target/orderflow.jar")).toAbsolutePath();
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        database.settings(work.resolve("data")).forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.addAll(List.of("-jar", jar.toString(), "check"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        System.out.println(out);
        return new ProcessResult(p.exitValue(), out);
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target);
                }
            }
        }
    }

    private void sendJmsOrders(OrderflowProcess app, Random random, Set<String> submitted, int round) throws Exception {
        ActiveMQConnectionFactory cf = new ActiveMQConnectionFactory("tcp://127.0.0.1:" + app.brokerPort);
        try (cf; Connection c = cf.createConnection(); Session s = c.createSession(true, Session.SESSION_TRANSACTED)) {
            MessageProducer p = s.createProducer(s.createQueue("orders.in"));
            for (int i = 0; i < JMS_PER_ROUND; i++) {
                String id = "J" + round + "-" + i;
                submitted.add(id);
                p.send(s.createTextMessage(order(id, random)));
            }
            s.commit();
        }
    }

    private static String order(String id, Random random) {
        StringBuilder lines = new StringBuilder();
        int n = 1 + random.nextInt(3);
        List<Integer> skus = new ArrayList<>();
        while (skus.size() < n) {
            int sku = random.nextInt(SKUS);
            if (!skus.contains(sku)) {
                skus.add(sku);
            }
        }
        for (int i = 0; i < n; i++) {
            lines.append(i == 0 ? "" : ",").append("{\"sku\":\"SKU-").append(skus.get(i)).append("\",\"quantity\":")
                    .append(1 + random.nextInt(4)).append('}');
        }
        return "{\"orderId\":\"" + id + "\",\"customer\":{\"email\":\"" + id.toLowerCase() + "@example.com\"},\"lines\":[" + lines + "]}";
    }

}
