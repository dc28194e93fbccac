package io.orderflow.crash;

import io.orderflow.check.InvariantCheck;
import io.orderflow.config.Settings;
import io.orderflow.db.Database;
import io.orderflow.support.OrderflowProcess;
import jakarta.jms.Connection;
import jakarta.jms.Message;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
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
 * Hostile input against the jar: a 100 MB order file, a 40 MB order message and a file written
 * slowly in pieces with a 64 MB heap, and 10,000 order files dropped at once (-Dorderflow.test.burst-files) with 256 MB.
 */
class HostileInputIT {

    private static final int BURST = Integer.getInteger("orderflow.test.burst-files", 10_000);

    @TempDir
    Path work;

    @Test
    void should_reject_a_huge_file_and_a_huge_message_unread_and_take_a_slowly_written_file_whole_on_a_small_heap() throws Exception {
        try (OrderflowProcess app = new OrderflowProcess(work)) {
            app.heap("64m").with("orderflow.files.stable-window-ms", "1500");
            app.start();
            Path inbox = app.dataDir().resolve("orders/inbox");
            OrderflowProcess.drop(app.dataDir().resolve("stock/inbox"), "stock.csv", "sku,quantity\nH-1,10\n");
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(app.dataDir().resolve("stock/done/stock.csv")));

            // 100 MB: rejected on its size, never read into the 64 MB heap
            try (RandomAccessFile huge = new RandomAccessFile(work.resolve("huge.json").toFile(), "rw")) {
                huge.setLength(100L * 1024 * 1024);
            }
            Files.move(work.resolve("huge.json"), inbox.resolve("huge.json"));
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(app.dataDir().resolve("orders/error/huge.json.error.txt")));
            assertThat(Files.readString(app.dataDir().resolve("orders/error/huge.json.error.txt"))).contains("104857600 bytes");

            // a 40 MB order message: diverted by the broker to orders.in.rejected unread, with its reason;
            // the consumers never hold it, and the next order goes through
            String huge = order("HUGE-1") + " ".repeat(40 * 1024 * 1024);
            try (ActiveMQConnectionFactory cf = new ActiveMQConnectionFactory("tcp://127.0.0.1:" + app.brokerPort);
                 Connection connection = cf.createConnection()) {
                connection.start();
                Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
                session.createProducer(session.createQueue("orders.in")).send(session.createTextMessage(huge));
                huge = null;
                session.createProducer(session.createQueue("orders.in")).send(session.createTextMessage(order("AFTER-HUGE")));
                Message rejected = session.createConsumer(session.createQueue("orders.in.rejected")).receive(60_000);
                assertThat(rejected).isNotNull();
                assertThat(rejected.getStringProperty("rejectReason")).contains("over the limit", "orderflow.orders.max-file-size");
                assertThat(((TextMessage) rejected).getText()).startsWith(order("HUGE-1")).hasSize(order("HUGE-1").length() + 40 * 1024 * 1024);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> app.get("/api/orders/AFTER-HUGE").body().contains("notifiedAt\" : \""));
            assertThat(app.get("/api/orders/HUGE-1").statusCode()).isEqualTo(404);

            // a writer that pauses mid-file (for less than the stable window): the file is taken once, whole
            String slow = order("SLOW-1");
            try (OutputStream out = Files.newOutputStream(inbox.resolve("slow.json"))) {
                for (int i = 0; i < slow.length(); i += 20) {
                    out.write(slow.substring(i, Math.min(slow.length(), i + 20)).getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    pause(300); // the writer's own pace: the stimulus, not a synchronisation
                }
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(app.dataDir().resolve("orders/done/slow.json")));
            assertThat(app.dataDir().resolve("orders/error/slow.json")).doesNotExist();
            await().atMost(Duration.ofSeconds(30)).until(() -> app.get("/api/orders/SLOW-1").body().contains("notifiedAt\" : \""));
            app.stop();
            assertThat(Files.readString(app.log())).doesNotContain("OutOfMemoryError");
        }
        assertThat(count(work.resolve("data/orders/error"))).as("only the huge file and its report").isEqualTo(2);
    }

    @Test
    void should_take_ten_thousand_files_dropped_at_once_each_exactly_once_with_a_bounded_heap() throws Exception {
        try (OrderflowProcess app = new OrderflowProcess(work)) {
            app.heap("256m");
            app.start();
            Path inbox = app.dataDir().resolve("orders/inbox");
            OrderflowProcess.drop(app.dataDir().resolve("stock/inbox"), "stock.csv", "sku,quantity\nH-1," + (BURST + 10) + "\n");
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(app.dataDir().resolve("stock/done/stock.csv")));

            // a burst of complete files: written aside, made old enough, moved in at once
            Path stage = Files.createDirectories(work.resolve("stage"));
            for (int i = 0; i < BURST; i++) {
                Path f = stage.resolve("burst-" + i + ".json");
                Files.writeString(f, order("BURST-" + i), StandardCharsets.UTF_8);
                f.toFile().setLastModified(System.currentTimeMillis() - 60_000);
            }
            long start = System.nanoTime();
            try (Stream<Path> files = Files.list(stage)) {
                for (Path f : files.toList()) {
                    Files.move(f, inbox.resolve(f.getFileName()));
                }
            }
            await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> count(app.dataDir().resolve("orders/done")) >= BURST);
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("HostileInputIT: %d files taken in %.1f s (%.0f files/s) with -Xmx256m while the whole flow ran%n",
                    BURST, seconds, BURST / seconds);
            await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> count(app.dataDir().resolve("mail")) >= BURST);
            await().atMost(Duration.ofSeconds(60)).until(() -> app.get("/api/orders/BURST-" + (BURST - 1)).body().contains("notifiedAt\" : \""));
            app.stop();
            assertThat(Files.readString(app.log())).doesNotContain("OutOfMemoryError");
        }
        Settings settings = Settings.load(Map.of(), new Properties(), Map.of("orderflow.data-dir", work.resolve("data").toString()));
        try (Database db = Database.openShared(settings)) {
            InvariantCheck.Report report = new InvariantCheck(db.jdbc()).run();
            assertThat(report.violations()).isEmpty();
            assertThat(report.orders()).isEqualTo(BURST);
            assertThat(db.jdbc().queryForObject("SELECT COUNT(*) FROM order_outbox", Integer.class)).isEqualTo(BURST);
        }
        assertThat(count(work.resolve("data/orders/error"))).isZero();
    }

    private static String order(String id) {
        return "{\"orderId\":\"" + id + "\",\"customer\":{\"name\":\"Hostile Test\",\"email\":\"h@example.com\"},"
                + "\"lines\":[{\"sku\":\"H-1\",\"quantity\":1}]}";
    }

    private static long count(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> !p.getFileName().toString().startsWith(".")).count();
        }
    }

    private static void pause(long ms) throws InterruptedException {
        Thread.sleep(ms);
    }
}
