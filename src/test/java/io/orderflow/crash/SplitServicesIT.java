package io.orderflow.crash;

import io.orderflow.check.InvariantCheck;
import io.orderflow.config.Settings;
import io.orderflow.db.Database;
import io.orderflow.support.OrderflowProcess;
import io.orderflow.support.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The services as separate processes on one PostgreSQL and one broker: process A runs the order
 * service and hosts the broker, process B runs stock and email against it, and is SIGKILLed while
 * orders flow. Every order still ends decided and notified once.
 */
class SplitServicesIT {

    private static final int ORDERS = 200;

    @TempDir
    Path work;

    @Test
    void should_run_the_services_as_separate_processes_and_survive_one_of_them_being_killed() throws Exception {
        try (TestPostgres pg = TestPostgres.create();
             OrderflowProcess orders = new OrderflowProcess(Files.createDirectories(work.resolve("a")));
             OrderflowProcess stockAndEmail = new OrderflowProcess(Files.createDirectories(work.resolve("b")))) {
            for (OrderflowProcess p : new OrderflowProcess[] {orders, stockAndEmail}) {
                p.with("orderflow.db.url", pg.url()).with("orderflow.db.user", pg.user());
            }
            orders.with("orderflow.services", "order");
            stockAndEmail.with("orderflow.services", "stock,email").with("orderflow.broker.embedded", "false")
                    .with("orderflow.broker.url", "tcp://127.0.0.1:" + orders.brokerPort);
            orders.start();
            stockAndEmail.start();

            OrderflowProcess.drop(stockAndEmail.dataDir().resolve("stock/inbox"), "stock.csv", "sku,quantity\nSKU-A,150\nSKU-B,1000\n");
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(stockAndEmail.dataDir().resolve("stock/done/stock.csv")));
            for (int i = 0; i < ORDERS; i++) {
                OrderflowProcess.drop(orders.dataDir().resolve("orders/inbox"), "o-" + i + ".json", "{\"orderId\":\"S-" + i
                        + "\",\"customer\":{\"email\":\"s" + i + "@example.com\"},\"lines\":[{\"sku\":\"SKU-A\",\"quantity\":1},"
                        + "{\"sku\":\"SKU-B\",\"quantity\":2}]}");
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> stockAndEmail.mails() >= 20);
            stockAndEmail.kill();
            stockAndEmail.start();
            await().atMost(Duration.ofSeconds(120)).until(() -> stockAndEmail.mails() >= ORDERS);
            await().atMost(Duration.ofSeconds(60)).until(() -> orders.get("/api/orders/S-" + (ORDERS - 1)).body().contains("notifiedAt\" : \""));

            try (Database db = open(pg)) {
                assertSettledWithoutViolations(db);
                assertThat(db.jdbc().queryForObject("SELECT COUNT(*) FROM orders WHERE status = 'CONFIRMED'", Integer.class))
                        .isEqualTo(150);
                assertThat(db.jdbc().queryForObject("SELECT reserved FROM stock_item WHERE sku = 'SKU-A'", Integer.class)).isEqualTo(150);
            }
            assertThat(orders.get("/api/stock/SKU-A").statusCode()).as("the order process does not serve stock").isEqualTo(404);
            assertThat(stockAndEmail.get("/api/stock/SKU-A").body()).contains("\"reserved\" : 150");
        }
    }

    private Database open(TestPostgres pg) {
        return Database.open(Settings.load(Map.of(), new Properties(), Map.of("orderflow.db.url", pg.url(),
                "orderflow.db.user", pg.user(), "orderflow.data-dir", work.resolve("check").toString())));
    }

    private static void assertSettledWithoutViolations(Database db) {
        InvariantCheck check = new InvariantCheck(db.jdbc());
        await().atMost(Duration.ofSeconds(60)).until(() -> check.run().settled());
        InvariantCheck.Report report = check.run();
        assertThat(report.violations()).isEmpty();
        assertThat(report.orders()).isEqualTo(ORDERS);
    }

    @Test
    void should_share_the_work_between_two_full_instances_and_survive_one_being_killed() throws Exception {
        try (TestPostgres pg = TestPostgres.create();
             OrderflowProcess first = new OrderflowProcess(Files.createDirectories(work.resolve("first")));
             OrderflowProcess second = new OrderflowProcess(Files.createDirectories(work.resolve("second")))) {
            for (OrderflowProcess p : new OrderflowProcess[] {first, second}) {
                p.with("orderflow.db.url", pg.url()).with("orderflow.db.user", pg.user());
            }
            second.with("orderflow.broker.embedded", "false").with("orderflow.broker.url", "tcp://127.0.0.1:" + first.brokerPort);
            first.start();
            second.start();
            OrderflowProcess.drop(first.dataDir().resolve("stock/inbox"), "stock.csv", "sku,quantity\nSKU-A,150\nSKU-B,1000\n");
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(first.dataDir().resolve("stock/done/stock.csv")));
            for (int i = 0; i < ORDERS; i++) {
                OrderflowProcess target = i % 2 == 0 ? first : second;
                OrderflowProcess.drop(target.dataDir().resolve("orders/inbox"), "o-" + i + ".json", "{\"orderId\":\"T-" + i
                        + "\",\"customer\":{\"email\":\"t" + i + "@example.com\"},\"lines\":[{\"sku\":\"SKU-A\",\"quantity\":1},"
                        + "{\"sku\":\"SKU-B\",\"quantity\":2}]}");
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> first.mails() + second.mails() >= 30);
            second.kill();
            second.start();
            await().atMost(Duration.ofSeconds(120)).until(() -> first.mails() + second.mails() >= ORDERS);
            assertThat(first.mails()).as("both instances sent mail").isPositive();
            assertThat(second.mails()).as("both instances sent mail").isPositive();

            try (Database db = open(pg)) {
                assertSettledWithoutViolations(db);
                assertThat(db.jdbc().queryForObject("SELECT COUNT(*) FROM orders WHERE status = 'CONFIRMED'", Integer.class))
                        .isEqualTo(150);
                assertThat(db.jdbc().queryForObject("SELECT COUNT(*) FROM email_notification WHERE status = 'SENT'", Integer.class))
                        .isEqualTo(ORDERS);
            }
        }
    }
}
