package io.orderflow.crash;

import io.orderflow.support.MachinePart;
import io.orderflow.support.OrderflowProcess;
import jakarta.jms.Connection;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The jar on the embedded defaults, its data folder on a small tmpfs. The disk is filled to below
 * orderflow.disk.min-free-mb while orders arrive, then freed: input stops (files stay in the inbox,
 * orders.in is not consumed), health and one WARN line say why; when space returns it resumes by
 * itself. And the disk is filled to the last byte while 2,000 orders are being decided and mailed,
 * then freed. Either way every order is applied and notified exactly once, with no restart, and
 * check exits 0. Needs root (to mount the tmpfs).
 */
class FullDiskIT {

    private static final long MB = 1024 * 1024;
    @TempDir
    Path work;
    private Path mount;
    private OrderflowProcess orderflow;

    @BeforeEach
    void mountTmpfs() throws Exception {
        mount = Files.createDirectories(work.resolve("small-disk"));
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=480m", "tmpfs", mount.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        MachinePart.require(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, "cannot mount a tmpfs (needs root): " + out);
    }

    @AfterEach
    void unmount(org.junit.jupiter.api.TestInfo test) throws Exception {
        if (orderflow != null) {
            orderflow.close();
            // the log dies with the tmpfs: keep it where a failed run can be read
            Path kept = Path.of("target", "full-disk-logs", test.getTestMethod().map(m -> m.getName()).orElse("test")
                    + test.getDisplayName().replaceAll("[^A-Za-z0-9]+", "-") + ".log");
            Files.createDirectories(kept.getParent());
            if (Files.exists(orderflow.log())) {
                Files.copy(orderflow.log(), kept, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        new ProcessBuilder("umount", "-l", mount.toString()).start().waitFor(30, TimeUnit.SECONDS);
    }

    @Test
    void should_stop_taking_input_before_the_disk_is_full_and_resume_by_itself_when_space_returns() throws Exception {
        orderflow = new OrderflowProcess(mount).logsIn(work).with("orderflow.disk.min-free-mb", "120").with("orderflow.disk.check-interval-ms", "200");
        orderflow.start();
        Path inbox = orderflow.dataDir().resolve("orders/inbox");
        Path stock = orderflow.dataDir().resolve("stock/inbox");
        OrderflowProcess.drop(stock, "stock.csv", "sku,quantity\nDISK-1,100000\n");
        List<String> orders = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String id = "BEFORE-" + i;
            orders.add(id);
            OrderflowProcess.drop(inbox, id + ".json", order(id));
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> orders.stream().allMatch(orderflow::settled));

        // the disk fills: leave 80 MB, under the 120 MB threshold
        Path ballast = mount.resolve("ballast");
        fillUntilFree(ballast, 80 * MB);
        await().atMost(Duration.ofSeconds(30)).until(() -> orderflow.get("/observe/health").body().contains("disk is not available"));
        List<String> held = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String id = "FILE-" + i;
            held.add(id);
            OrderflowProcess.drop(inbox, id + ".json", order(id));
        }
        try (ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory("tcp://127.0.0.1:" + orderflow.brokerPort);
             Connection connection = factory.createConnection()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer producer = session.createProducer(session.createQueue("orders.in"));
            for (int i = 0; i < 20; i++) {
                String id = "JMS-" + i;
                held.add(id);
                producer.send(session.createTextMessage(order(id)));
            }
        }
        // held, not rejected: the files wait in the inbox, the messages on the queue
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> Files.exists(inbox.resolve("FILE-0.json"))
                && orderflow.get("/api/orders/JMS-0").statusCode() == 404 && orderflow.get("/api/orders/FILE-0").statusCode() == 404);
        assertThat(Files.readString(orderflow.log()).lines().filter(l -> l.contains("below orderflow.disk.min-free-mb")).count())
                .as("one WARN line").isEqualTo(1);
        assertThat(orderflow.get("/observe/health").statusCode()).isEqualTo(503);

        // space returns: input resumes by itself, no restart
        Files.delete(ballast);
        orders.addAll(held);
        await().atMost(Duration.ofSeconds(120)).until(() -> orders.stream().allMatch(orderflow::settled));
        assertThat(orderflow.healthy()).isTrue();
        assertThat(orderflow.mails()).isEqualTo(orders.size());
        assertThat(Files.readString(orderflow.log())).contains("free again: taking input");
        assertThat(check("-Dorderflow.db.embedded=postgres")).as("orderflow.jar check").isZero();
    }

    @ParameterizedTest(name = "on the embedded {0}")
    @ValueSource(strings = {"postgres", "h2"})
    void should_recover_by_itself_when_the_disk_fills_to_the_last_byte_while_orders_flow(String database) throws Exception {
        orderflow = new OrderflowProcess(mount).logsIn(work).with("orderflow.db.embedded", database)
                .with("orderflow.disk.min-free-mb", "120").with("orderflow.disk.check-interval-ms", "200");
        orderflow.start();
        OrderflowProcess.drop(orderflow.dataDir().resolve("stock/inbox"), "stock.csv", "sku,quantity\nDISK-1,100000\n");
        List<String> orders = new ArrayList<>();
        StringBuilder file = new StringBuilder("[");
        for (int i = 0; i < 2000; i++) {
            String id = "FULL-" + i;
            orders.add(id);
            file.append(i == 0 ? "" : ",").append(order(id));
        }
        OrderflowProcess.drop(orderflow.dataDir().resolve("orders/inbox"), "orders.json", file.append("]").toString());

        // while the orders are being decided and mailed, nothing is left on the disk: the database,
        // the broker's journal and the mail folder all meet a full disk
        await().atMost(Duration.ofSeconds(120)).until(() -> orderflow.mails() >= 200);
        Path ballast = mount.resolve("ballast");
        fillUntilFree(ballast, 0);
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(orderflow.log()).contains("No space left on device"));
        int mailedWhileFull = orderflow.mails();
        assertThat(mailedWhileFull).isLessThan(orders.size());

        Files.delete(ballast);
        await().atMost(Duration.ofSeconds(240)).until(() -> orderflow.mails() >= orders.size());
        // every order decided and notified, as the running instance's invariant check sees it (one
        // call, where asking for 2,000 orders one by one took a poll of many seconds)
        await().atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofSeconds(2)).until(() -> {
            String report = orderflow.get("/observe/invariants").body();
            return report.contains("\"violations\" : [ ]") && report.contains("\"pending\" : [ ]");
        });
        assertThat(orders.stream().filter(id -> !orderflow.settled(id)).limit(5).toList()).isEmpty();
        assertThat(orderflow.mails()).isEqualTo(orders.size());
        assertThat(orderflow.isAlive()).isTrue();
        if (database.equals("h2")) {
            // an H2 file is open in one process only: check reads it once orderflow has stopped
            assertThat(orderflow.stop()).isIn(0, 130, 143);
        }
        assertThat(check("-Dorderflow.db.embedded=" + database)).as("orderflow.jar check").isZero();
    }

    @Test
    void should_start_the_embedded_broker_again_when_the_disk_fills_while_it_pages() throws Exception {
        // a broker that keeps 1 MB of messages in memory pages a backlog of a few thousand orders
        orderflow = new OrderflowProcess(mount).logsIn(work).with("orderflow.disk.min-free-mb", "120").with("orderflow.disk.check-interval-ms", "200")
                .with("orderflow.broker.memory-mb", "1");
        orderflow.start();
        OrderflowProcess.drop(orderflow.dataDir().resolve("stock/inbox"), "stock.csv", "sku,quantity\nDISK-1,100000\n");

        // below the threshold input stops: orders.in is not consumed while a client sends, and its backlog pages
        Path ballast = mount.resolve("ballast");
        fillUntilFree(ballast, 100 * MB);
        await().atMost(Duration.ofSeconds(30)).until(() -> orderflow.get("/observe/health").body().contains("disk is not available"));
        List<String> orders = new ArrayList<>();
        for (int i = 0; i < 6000; i++) {
            orders.add("PAGED-" + i);
        }
        BatchSender sender = new BatchSender(orderflow.brokerPort, orders, 200);
        Thread sending = new Thread(sender, "paged-orders-sender");
        sending.start();
        Path paging = orderflow.dataDir().resolve("broker/paging");
        await().atMost(Duration.ofSeconds(120)).until(() -> pagedBytes(paging) > 0);
        System.out.printf("paging: %d bytes paged, %d MB free, %d orders sent%n", pagedBytes(paging),
                Files.getFileStore(mount).getUsableSpace() / MB, sender.sent());

        // the disk fills to the last byte while the broker pages: Artemis stops on the failed write.
        // Its disk check (every second) may see the full disk before a write does, and then it
        // blocks its producers and nothing writes (as good an outcome, not this test's): give the
        // disk room again until the sender goes on (the blocked producer is released once orderflow
        // takes input again and the broker's memory drains), stop input again, and fill once more,
        // until a write fails first
        Path rest = mount.resolve("rest");
        for (int fill = 1; ; fill++) {
            fillUntilFree(rest, 0);
            try {
                await().atMost(Duration.ofSeconds(20))
                        .until(() -> Files.readString(orderflow.log()).contains("The embedded broker stopped after a failed write"));
                System.out.printf("a write failed on fill %d%n", fill);
                break;
            } catch (org.awaitility.core.ConditionTimeoutException blockedFirst) {
                assertThat(fill).as("fills of the disk before a write of the broker's failed").isLessThan(6);
                int sentBefore = sender.sent();
                System.out.printf("fill %d: the broker blocked its producers before a write failed (%d orders sent); again%n", fill, sentBefore);
                Files.delete(rest);
                Files.delete(ballast);
                await("the sender going on once the broker has room").atMost(Duration.ofSeconds(60))
                        .until(() -> sender.sent() > sentBefore);
                fillUntilFree(ballast, 100 * MB);
                await().atMost(Duration.ofSeconds(30)).until(() -> orderflow.get("/observe/health").body().contains("disk is not available"));
                long pagedBefore = pagedBytes(paging);
                await("the backlog paging again").atMost(Duration.ofSeconds(60)).until(() -> pagedBytes(paging) > pagedBefore);
                assertThat(sender.sent()).as("orders left to send").isLessThan(orders.size());
            }
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(orderflow.get("/observe/health").body())
                .contains("the embedded broker stopped after a failed write to its journal (No space left on device)"));

        // space returns: the broker starts again on its journal by itself, the sender reconnects
        Files.delete(rest);
        Files.delete(ballast);
        await().atMost(Duration.ofSeconds(120)).until(() -> Files.readString(orderflow.log()).contains("The embedded broker runs again on its journal"));
        sending.join(Duration.ofSeconds(240).toMillis());
        assertThat(sending.isAlive()).as("the sender finished").isFalse();
        await().atMost(Duration.ofSeconds(300)).untilAsserted(() -> assertThat(orderflow.mails())
                .as("mails; orders.in holds %d", queueDepth(orderflow.brokerPort, "orders.in")).isGreaterThanOrEqualTo(orders.size()));
        await().atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofSeconds(2)).until(() -> {
            String report = orderflow.get("/observe/invariants").body();
            return report.contains("\"violations\" : [ ]") && report.contains("\"pending\" : [ ]");
        });
        assertThat(orderflow.mails()).as("every order mailed once").isEqualTo(orders.size());
        assertThat(orderflow.healthy()).isTrue();
        assertThat(orderflow.isAlive()).isTrue();
        String log = Files.readString(orderflow.log());
        assertThat(log.lines().filter(l -> l.contains("The embedded broker stopped after a failed write")).count()).as("one WARN line").isEqualTo(1);
        assertThat(log.lines().filter(l -> l.contains("The embedded broker runs again")).count()).as("one INFO line").isEqualTo(1);
        assertThat(check("-Dorderflow.db.embedded=postgres")).as("orderflow.jar check").isZero();
    }

    private static long queueDepth(int port, String queue) {
        try (var locator = org.apache.activemq.artemis.api.core.client.ActiveMQClient.createServerLocator("tcp://127.0.0.1:" + port);
             var factory = locator.createSessionFactory();
             var session = factory.createSession()) {
            return session.queueQuery(org.apache.activemq.artemis.api.core.SimpleString.of(queue)).getMessageCount();
        } catch (Exception e) {
            return -1;
        }
    }

    private static long pagedBytes(Path paging) throws IOException {
        if (!Files.isDirectory(paging)) {
            return 0;
        }
        try (var files = Files.walk(paging)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".page")).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    /**
     * A client that sends its orders in transacted batches and, as a careful client does, sends a
     * batch again after any failure (a resent order is recognised as a duplicate by orderflow).
     */
    private static final class BatchSender implements Runnable {
        private final int port;
        private final List<String> orders;
        private final int batch;
        private volatile int next;

        BatchSender(int port, List<String> orders, int batch) {
            this.port = port;
            this.orders = orders;
            this.batch = batch;
        }

        int sent() {
            return next;
        }

        @Override
        public void run() {
            while (next < orders.size()) {
                try (ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory("tcp://127.0.0.1:" + port + "?callTimeout=10000");
                     Connection connection = factory.createConnection()) {
                    Session session = connection.createSession(true, Session.SESSION_TRANSACTED);
                    MessageProducer producer = session.createProducer(session.createQueue("orders.in"));
                    while (next < orders.size()) {
                        int end = Math.min(orders.size(), next + batch);
                        for (String id : orders.subList(next, end)) {
                            producer.send(session.createTextMessage(order(id)));
                        }
                        session.commit();
                        next = end;
                    }
                } catch (Exception e) {
                    // the broker is gone or refuses: the client's own back-off, then it connects
                    // again and sends the batch again
                    try {
                        Thread.sleep(500);
                    } catch (InterruptedException stop) {
                        return;
                    }
                }
            }
        }
    }

    private static String order(String id) {
        return "{\"orderId\":\"" + id + "\",\"customer\":{\"email\":\"disk@example.com\"},\"lines\":[{\"sku\":\"DISK-1\",\"quantity\":1}]}";
    }

    /** Grows the file until the disk has about this much usable space left (0: until it is full). */
    private void fillUntilFree(Path file, long leave) throws IOException {
        long free = Files.getFileStore(mount).getUsableSpace();
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            byte[] chunk = new byte[64 * 1024];
            long toWrite = leave == 0 ? Long.MAX_VALUE : free - leave;
            for (long written = 0; written < toWrite; written += chunk.length) {
                try {
                    f.write(chunk);
                } catch (IOException full) {
                    if (leave == 0) {
                        return;
                    }
                    throw full;
                }
            }
        }
    }

    private int check(String database) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dorderflow.data-dir=" + orderflow.dataDir(), database, "-jar",
                Path.of(System.getProperty("orderflow.jar", "target/orderflow.jar")).toAbsolutePath().toString(), "check")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        System.out.println(out);
        return p.exitValue();
    }
}
