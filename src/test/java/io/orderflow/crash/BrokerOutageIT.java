package io.orderflow.crash;

import io.orderflow.broker.EmbeddedBroker;
import io.orderflow.check.InvariantCheck;
import io.orderflow.config.Settings;
import io.orderflow.db.Database;
import io.orderflow.support.OrderflowProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An external broker goes away for 20 s (-Dorderflow.test.broker-outage-s) while orders arrive:
 * file intake goes on, the outbox backlog grows, and everything drains once the broker is back.
 */
class BrokerOutageIT {

    private static final int OUTAGE_S = Integer.getInteger("orderflow.test.broker-outage-s", 20);

    @TempDir
    Path work;

    @Test
    void should_take_orders_while_the_broker_is_down_and_publish_them_when_it_returns() throws Exception {
        int brokerPort;
        try (ServerSocket s = new ServerSocket(0)) {
            brokerPort = s.getLocalPort();
        }
        Settings brokerSettings = Settings.load(Map.of(), new Properties(), Map.of(
                "orderflow.data-dir", work.resolve("broker").toString(), "orderflow.broker.listen", "tcp://127.0.0.1:" + brokerPort));
        EmbeddedBroker broker = new EmbeddedBroker(brokerSettings);
        broker.start();
        try (OrderflowProcess app = new OrderflowProcess(Files.createDirectories(work.resolve("app")))) {
            app.with("orderflow.broker.embedded", "false").with("orderflow.broker.url", "tcp://127.0.0.1:" + brokerPort);
            app.start();
            OrderflowProcess.drop(app.dataDir().resolve("stock/inbox"), "stock.csv", "sku,quantity\nB-1,1000\n");
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(app.dataDir().resolve("stock/done/stock.csv")));
            for (int i = 0; i < 10; i++) {
                OrderflowProcess.drop(app.dataDir().resolve("orders/inbox"), "before-" + i + ".json", order("BEFORE-" + i));
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> notified(app, "BEFORE-", 10));

            broker.close();
            for (int i = 0; i < 20; i++) {
                OrderflowProcess.drop(app.dataDir().resolve("orders/inbox"), "during-" + i + ".json", order("DURING-" + i));
            }
            // intake goes on: the orders are recorded and their events wait in the outbox
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(app.dataDir().resolve("orders/done/during-19.json")));
            await().atMost(Duration.ofSeconds(30)).until(() -> backlog(app) >= 20);
            assertThat(app.get("/observe/health").body()).contains("DOWN");
            // the broker stays away for the whole outage; nothing is rejected meanwhile
            await().during(Duration.ofSeconds(OUTAGE_S)).atMost(Duration.ofSeconds(OUTAGE_S + 10))
                    .until(() -> isEmpty(app.dataDir().resolve("orders/error")) && backlog(app) >= 20);

            broker = new EmbeddedBroker(brokerSettings);
            broker.start();
            await().atMost(Duration.ofSeconds(90)).until(() -> notified(app, "DURING-", 20));
            await().atMost(Duration.ofSeconds(30)).until(() -> backlog(app) == 0);
            app.stop();
        } finally {
            broker.close();
        }
        Settings settings = Settings.load(Map.of(), new Properties(), Map.of("orderflow.data-dir", work.resolve("app/data").toString()));
        try (Database db = Database.openShared(settings)) {
            InvariantCheck.Report report = new InvariantCheck(db.jdbc()).run();
            assertThat(report.violations()).isEmpty();
            assertThat(report.pending()).isEmpty();
            assertThat(report.orders()).isEqualTo(30);
        }
    }

    private static String order(String id) {
        return "{\"orderId\":\"" + id + "\",\"customer\":{\"email\":\"b@example.com\"},\"lines\":[{\"sku\":\"B-1\",\"quantity\":1}]}";
    }

    private static boolean notified(OrderflowProcess app, String prefix, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            String body = app.get("/api/orders/" + prefix + i).body();
            if (!body.contains("\"notifiedAt\" : \"") || body.contains("\"status\" : \"PLACED\"")) {
                return false;
            }
        }
        return true;
    }

    private static double backlog(OrderflowProcess app) throws IOException {
        return app.get("/observe/metrics").body().lines()
                .filter(l -> l.startsWith("orderflow_outbox_backlog") && l.contains("service=\"order\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.findAny().isEmpty();
        }
    }
}
