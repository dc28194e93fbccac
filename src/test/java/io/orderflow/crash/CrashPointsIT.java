package io.orderflow.crash;

import io.orderflow.check.InvariantCheck;
import io.orderflow.config.Settings;
import io.orderflow.db.Database;
import io.orderflow.support.OrderflowProcess;
import io.orderflow.support.CrashDatabase;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Crashes at precise points (through the fault hook, inert unless -Dorderflow.test.crash-at is
 * set), then a restart without it: every order ends decided and notified once.
 */
class CrashPointsIT {

    private static final int FILES = 5;
    private static final int ORDERS_PER_FILE = 4;
    private static final int TOTAL = FILES * ORDERS_PER_FILE;

    @TempDir
    Path work;

    private CrashDatabase database;

    @org.junit.jupiter.api.AfterEach
    void dropDatabase() throws Exception {
        if (database != null) {
            database.close();
        }
    }

    static Stream<Arguments> crashes() {
        List<String> points = List.of(
                "file-mid-processing:2",   // inside a file's transaction, half its orders written
                "consumer-after-commit:7", // database committed, JMS message not yet acknowledged
                "relay-after-send:3",      // broker took the events, rows not yet marked published
                "mail-after-send:4");      // mail written, notification not yet marked sent
        return CrashDatabase.kinds().stream().flatMap(db -> points.stream().map(point -> Arguments.of(point, db)));
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("crashes")
    void should_recover_from_a_crash_at(String point, String databaseKind) throws Exception {
        database = new CrashDatabase(databaseKind);
        try (OrderflowProcess app = new OrderflowProcess(work)) {
            database.settings().forEach(app::with);
            app.start();
            OrderflowProcess.drop(app.dataDir().resolve("stock/inbox"), "stock.csv", "sku,quantity\nK-1,12\nK-2,1000\n");
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(app.dataDir().resolve("stock/done/stock.csv")));
            app.stop();

            app.with("orderflow.test.crash-at", point);
            app.start();
            for (int f = 0; f < FILES; f++) {
                StringBuilder file = new StringBuilder("[");
                for (int i = 0; i < ORDERS_PER_FILE; i++) {
                    String id = "P" + f + "-" + i;
                    file.append(i == 0 ? "" : ",").append("{\"orderId\":\"").append(id)
                            .append("\",\"customer\":{\"email\":\"p@example.com\"},\"lines\":[{\"sku\":\"K-1\",\"quantity\":1},")
                            .append("{\"sku\":\"K-2\",\"quantity\":3}]}");
                }
                OrderflowProcess.drop(app.dataDir().resolve("orders/inbox"), "o-" + f + ".json", file.append(']').toString());
            }
            assertThat(app.awaitExit(Duration.ofSeconds(60))).as("halted by the fault hook").isEqualTo(137);
            assertThat(Files.readString(app.log())).contains("Fault injection: halting at " + point.split(":")[0]);

            app.without("orderflow.test.crash-at");
            app.start();
            try {
                await().atMost(Duration.ofSeconds(90)).until(() -> mails(app) >= TOTAL);
                await().atMost(Duration.ofSeconds(60)).until(() -> settled(app));
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                // what an operator would look at: the invariants' pending work and the end of the log
                System.out.println("CrashPointsIT " + point + " on " + databaseKind + ": " + mails(app) + " of " + TOTAL
                        + " mails; invariants: " + app.get("/observe/invariants").body());
                List<String> log = Files.readAllLines(app.log());
                log.subList(Math.max(0, log.size() - 80), log.size()).forEach(System.out::println);
                throw e;
            }
            app.stop();
        }
        Settings settings = Settings.load(Map.of(), new Properties(), database.settings(work.resolve("data")));
        try (Database db = Database.openShared(settings)) {
            InvariantCheck.Report report = new InvariantCheck(db.jdbc()).run();
            assertThat(report.violations()).isEmpty();
            assertThat(report.pending()).isEmpty();
            assertThat(report.orders()).isEqualTo(TOTAL);
            assertThat(db.jdbc().queryForObject("SELECT COUNT(*) FROM orders WHERE status = 'CONFIRMED'", Integer.class)).isEqualTo(12);
            assertThat(db.jdbc().queryForObject("SELECT reserved FROM stock_item WHERE sku = 'K-1'", Integer.class)).isEqualTo(12);
        }
        assertThat(mails(null)).isEqualTo(TOTAL);
    }

    private boolean settled(OrderflowProcess app) throws IOException {
        for (int f = 0; f < FILES; f++) {
            for (int i = 0; i < ORDERS_PER_FILE; i++) {
                String body = app.get("/api/orders/P" + f + "-" + i).body();
                if (!body.contains("\"notifiedAt\" : \"") || body.contains("\"status\" : \"PLACED\"")) {
                    return false;
                }
            }
        }
        return true;
    }

    private int mails(OrderflowProcess ignored) throws IOException {
        Path dir = work.resolve("data/mail");
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return (int) files.filter(p -> p.getFileName().toString().endsWith(".eml") && !p.getFileName().toString().startsWith(".")).count();
        }
    }

}
