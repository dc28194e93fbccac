package io.orderflow.crash;

import io.orderflow.broker.EmbeddedBroker;
import io.orderflow.config.Settings;
import io.orderflow.db.EmbeddedPostgresServer;
import io.orderflow.support.OrderflowProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * How the jar ends: a SIGKILL takes its embedded PostgreSQL down with it, and a SIGTERM ends it
 * within {@code orderflow.shutdown.timeout-ms} (20 s) whatever is down, losing no order.
 */
class StopIT {

    /** The default of orderflow.shutdown.timeout-ms: the bound the product promises. */
    private static final Duration BOUND = Duration.ofSeconds(20);
    /** Room for a busy machine between the SIGTERM and the hook that starts the clock. */
    private static final Duration MARGIN = Duration.ofSeconds(10);

    @TempDir
    Path work;

    @Test
    void should_have_its_postgresql_stopped_within_10_s_of_a_sigkill_and_start_again() throws Exception {
        try (OrderflowProcess app = new OrderflowProcess(work)) {
            app.start();
            long postmaster = EmbeddedPostgresServer.postmasterPid(app.dataDir()).orElseThrow();

            app.kill();
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> ProcessHandle.of(postmaster).map(p -> !p.isAlive()).orElse(true));

            app.start();
            assertThat(Files.readString(app.log())).as("no orphan for the next start to stop").doesNotContain("did not stop cleanly");
            assertThat(app.stop()).isIn(0, 143);
        }
    }

    @Test
    void should_stop_within_its_bound_with_the_broker_down_and_lose_no_order() throws Exception {
        int brokerPort = OrderflowProcess.freePort();
        Settings brokerSettings = Settings.load(Map.of(), new Properties(), Map.of(
                "orderflow.data-dir", work.resolve("broker").toString(), "orderflow.broker.listen", "tcp://127.0.0.1:" + brokerPort));
        EmbeddedBroker broker = new EmbeddedBroker(brokerSettings);
        broker.start();
        try (OrderflowProcess app = new OrderflowProcess(Files.createDirectories(work.resolve("app")))) {
            app.with("orderflow.broker.embedded", "false").with("orderflow.broker.url", "tcp://127.0.0.1:" + brokerPort);
            app.start();
            stock(app);
            dropOrders(app, "BEFORE-", 10);
            await().atMost(Duration.ofSeconds(60)).until(() -> settled(app, "BEFORE-", 10));

            broker.close();
            // taken while the broker is down: their events wait in the outbox
            dropOrders(app, "DURING-", 10);
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(app.dataDir().resolve("orders/done/DURING-9.json")));

            assertThat(stopWithin(app, BOUND)).isIn(0, 143);

            broker = new EmbeddedBroker(brokerSettings);
            broker.start();
            app.start();
            await().atMost(Duration.ofSeconds(90)).until(() -> settled(app, "BEFORE-", 10) && settled(app, "DURING-", 10));
            assertThat(app.stop()).isIn(0, 143);
        } finally {
            broker.close();
        }
    }

    /**
     * A sender waits for a mail server that never answers, longer than Camel's graceful share of a
     * short bound: the stop deadline cuts it short, says what was still stopping, stops PostgreSQL.
     */
    @Test
    void should_be_cut_short_at_its_bound_with_the_mail_server_silent_and_send_the_mails_after_restart() throws Exception {
        try (SilentServer smtp = new SilentServer(); OrderflowProcess app = new OrderflowProcess(work)) {
            app.with("orderflow.shutdown.timeout-ms", "5000");
            app.with("orderflow.mail.mode", "smtp").with("orderflow.mail.smtp.host", "127.0.0.1")
                    .with("orderflow.mail.smtp.port", String.valueOf(smtp.port()))
                    // longer than the bound: only the bound ends the wait for its answer
                    .with("orderflow.mail.smtp.read-timeout-ms", "120000");
            app.start();
            stock(app);
            dropOrders(app, "SILENT-", 10);
            await().atMost(Duration.ofSeconds(30)).until(() -> smtp.connections() > 0);

            assertThat(stopWithin(app, Duration.ofSeconds(5))).as("exit status of a stop cut short").isEqualTo(1);
            assertThat(Files.readString(app.log())).contains("did not stop within 5 s (orderflow.shutdown.timeout-ms), still stopping: the routes")
                    .contains("notification-sender (");

            app.with("orderflow.mail.mode", "file").without("orderflow.shutdown.timeout-ms");
            app.start();
            await().atMost(Duration.ofSeconds(90)).until(() -> settled(app, "SILENT-", 10));
            assertThat(app.mails()).isEqualTo(10);
            assertThat(app.stop()).isIn(0, 143);
        }
    }

    /** SIGTERM; asserts the exit within the bound (and a margin) with no PostgreSQL left; returns the exit status. */
    private static int stopWithin(OrderflowProcess app, Duration bound) throws Exception {
        long postmaster = EmbeddedPostgresServer.postmasterPid(app.dataDir()).orElseThrow();
        long start = System.nanoTime();
        int status = app.stop();
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        System.out.println("StopIT: stopped in " + took.toMillis() + " ms, exit status " + status);
        Files.readString(app.log()).lines().filter(l -> l.contains("StopDeadline")).forEach(l -> System.out.println("StopIT: " + l));
        assertThat(took).as("SIGTERM to exit").isLessThan(bound.plus(MARGIN));
        assertThat(ProcessHandle.of(postmaster).map(ProcessHandle::isAlive).orElse(false)).as("its PostgreSQL left running").isFalse();
        assertThat(EmbeddedPostgresServer.postmasterPid(app.dataDir())).isEmpty();
        return status;
    }

    private static void stock(OrderflowProcess app) throws IOException {
        OrderflowProcess.drop(app.dataDir().resolve("stock/inbox"), "stock.csv", "sku,quantity\nS-1,1000\n");
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(app.dataDir().resolve("stock/done/stock.csv")));
    }

    private static void dropOrders(OrderflowProcess app, String prefix, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            OrderflowProcess.drop(app.dataDir().resolve("orders/inbox"), prefix + i + ".json",
                    "{\"orderId\":\"" + prefix + i + "\",\"customer\":{\"email\":\"s@example.com\"},\"lines\":[{\"sku\":\"S-1\",\"quantity\":1}]}");
        }
    }

    private static boolean settled(OrderflowProcess app, String prefix, int n) {
        return IntStream.range(0, n).allMatch(i -> app.settled(prefix + i));
    }

    /** A mail server that accepts connections and never says a word. */
    private static final class SilentServer implements AutoCloseable {
        private final ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final List<Socket> held = new CopyOnWriteArrayList<>();

        SilentServer() throws IOException {
            Thread accept = new Thread(() -> {
                while (!listener.isClosed()) {
                    try {
                        held.add(listener.accept());
                    } catch (IOException closed) {
                        return;
                    }
                }
            }, "silent-smtp");
            accept.setDaemon(true);
            accept.start();
        }

        int port() {
            return listener.getLocalPort();
        }

        int connections() {
            return held.size();
        }

        @Override
        public void close() throws IOException {
            listener.close();
            for (Socket s : held) {
                s.close();
            }
        }
    }
}
