package io.orderflow.crash;

import io.orderflow.check.InvariantCheck;
import io.orderflow.config.Settings;
import io.orderflow.db.Database;
import io.orderflow.support.OrderflowProcess;
import jakarta.jms.Connection;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.api.Test;
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
    private static final int FILES = 60;
    private static final int ORDERS_PER_FILE = 5;
    private static final int JMS_ORDERS = 100;
    private static final int KILLS = 3;

    @TempDir
    Path work;

    @Test
    void should_lose_nothing_and_apply_nothing_twice_when_killed_while_orders_flow() throws Exception {
        long seed = Long.getLong("orderflow.test.seed", System.nanoTime());
        Random random = new Random(seed);
        System.out.println("CrashRecoveryIT seed " + seed);
        Set<String> submitted = new HashSet<>();
        int total = FILES * ORDERS_PER_FILE + JMS_ORDERS;

        try (OrderflowProcess app = new OrderflowProcess(work)) {
            app.start();
            StringBuilder stock = new StringBuilder("sku,quantity\n");
            for (int s = 0; s < SKUS; s++) {
                stock.append("SKU-").append(s).append(',').append(15 + random.nextInt(30)).append('\n');
            }
            drop(app.dataDir().resolve("stock/inbox"), "stock.csv", stock.toString());
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(app.dataDir().resolve("stock/done/stock.csv")));

            sendJmsOrders(app, random, submitted);
            for (int f = 0; f < FILES; f++) {
                StringBuilder file = new StringBuilder("[");
                for (int i = 0; i < ORDERS_PER_FILE; i++) {
                    String id = "F" + f + "-" + i;
                    submitted.add(id);
                    file.append(i == 0 ? "" : ",").append(order(id, random));
                }
                drop(app.dataDir().resolve("orders/inbox"), "orders-" + f + ".json", file.append(']').toString());
            }

            int kills = 0;
            for (int k = 0; k < KILLS; k++) {
                // kill once a random share of the notifications is out, while the rest is in flight
                int target = Math.min(total - 1, mails(app) + 10 + random.nextInt(total / (KILLS + 1)));
                await().atMost(Duration.ofSeconds(120)).until(() -> mails(app) >= target || mails(app) >= total);
                if (mails(app) >= total) {
                    break;
                }
                app.kill();
                kills++;
                System.out.println("CrashRecoveryIT kill " + kills + " with " + mails(app) + " of " + total + " notifications out");
                app.start();
            }
            await().atMost(Duration.ofSeconds(180)).until(() -> mails(app) >= total);
            // the order service applies the last decisions and notifications a moment after the mails go out
            Set<String> open = new HashSet<>(submitted);
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                open.removeIf(id -> settled(app, id));
                return open.isEmpty();
            });
            // the JVM reports 143 (128 + SIGTERM) after running its shutdown hooks
            assertThat(app.stop()).as("exit code after SIGTERM").isIn(0, 143);
            assertThat(Files.readString(app.log())).as("graceful shutdown logged").contains("(orderflow) shutdown in");
            assertThat(kills).as("kills while orders were in flight").isGreaterThan(0);
        }

        Settings settings = Settings.load(Map.of(), new Properties(), Map.of("orderflow.data-dir", work.resolve("data").toString()));
        try (Database db = Database.open(settings)) {
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
            int confirmed = jdbc.queryForObject("SELECT COUNT(*) FROM orders WHERE status = 'CONFIRMED'", Integer.class);
            System.out.println("CrashRecoveryIT " + total + " orders: " + confirmed + " confirmed, " + (total - confirmed) + " rejected");
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
    }

    private void sendJmsOrders(OrderflowProcess app, Random random, Set<String> submitted) throws Exception {
        ActiveMQConnectionFactory cf = new ActiveMQConnectionFactory("tcp://127.0.0.1:" + app.brokerPort);
        try (cf; Connection c = cf.createConnection(); Session s = c.createSession(true, Session.SESSION_TRANSACTED)) {
            MessageProducer p = s.createProducer(s.createQueue("orders.in"));
            for (int i = 0; i < JMS_ORDERS; i++) {
                String id = "J-" + i;
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

    private static void drop(Path inbox, String name, String content) throws IOException {
        Path tmp = inbox.resolve("." + name + ".part");
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(tmp, inbox.resolve(name));
    }

    private static boolean settled(OrderflowProcess app, String orderId) {
        try {
            String body = app.get("/api/orders/" + orderId).body();
            return body.contains("\"notifiedAt\" : \"") && !body.contains("\"status\" : \"PLACED\"");
        } catch (IOException e) {
            return false;
        }
    }

    private static int mails(OrderflowProcess app) throws IOException {
        Path dir = app.dataDir().resolve("mail");
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return (int) files.filter(p -> p.getFileName().toString().endsWith(".eml") && !p.getFileName().toString().startsWith(".")).count();
        }
    }
}
