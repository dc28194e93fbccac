package io.orderflow.crash;

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
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
        assumeTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, "cannot mount a tmpfs (needs root): " + out);
    }

    @AfterEach
    void unmount() throws Exception {
        if (orderflow != null) {
            orderflow.close();
        }
        new ProcessBuilder("umount", "-l", mount.toString()).start().waitFor(30, TimeUnit.SECONDS);
    }

    @Test
    void should_stop_taking_input_before_the_disk_is_full_and_resume_by_itself_when_space_returns() throws Exception {
        orderflow = new OrderflowProcess(mount).with("orderflow.disk.min-free-mb", "120").with("orderflow.disk.check-interval-ms", "200");
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
        orderflow = new OrderflowProcess(mount).with("orderflow.db.embedded", database)
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
