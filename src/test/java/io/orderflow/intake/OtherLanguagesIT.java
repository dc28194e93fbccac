package io.orderflow.intake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.orderflow.support.MachinePart;
import io.orderflow.support.OrderflowProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Orders from clients in another language, through the jar: a Python client (Debian's
 * python3-qpid-proton and python3-stomp) sends over AMQP 1.0 and STOMP to the embedded broker's
 * one TCP port, one message per order in each protocol's natural forms, and reads the rejected ones
 * back with their reasons.
 */
class OtherLanguagesIT {

    private static final int ORDERS = Integer.getInteger("orderflow.test.protocol-orders", 1_000);
    private static final Path CLIENT = Path.of("src/test/python/order_client.py").toAbsolutePath();
    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Debian's Python, where apt installs the clients (a python3 earlier on the PATH may be another) */
    private static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";

    @TempDir
    Path work;

    @BeforeAll
    static void pythonClients() throws Exception {
        MachinePart.require(python("import proton, proton.utils, stomp") == 0,
                "Python's AMQP and STOMP clients are missing: apt-get install python3-qpid-proton python3-stomp");
    }

    @ParameterizedTest
    @ValueSource(strings = {"amqp", "stomp"})
    void should_apply_and_mail_each_order_once_and_give_the_client_the_reason_for_each_rejected_one(String protocol) throws Exception {
        try (OrderflowProcess app = new OrderflowProcess(work)) {
            app.start();
            String prefix = protocol.toUpperCase() + "-";
            OrderflowProcess.drop(app.dataDir().resolve("stock/inbox"), "stock.csv", "sku,quantity\nP-1," + ORDERS + "\n");
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(app.dataDir().resolve("stock/done/stock.csv")));

            List<String> orders = new ArrayList<>();
            for (int i = 0; i < ORDERS; i++) {
                orders.add(order(prefix + i));
            }
            Path file = work.resolve("orders.txt");
            Files.write(file, orders, StandardCharsets.UTF_8);
            run("send", protocol, app, file.toString(), TRACEPARENT);

            // malformed in each protocol's own way: each comes back on orders.in.rejected with a
            // reason the client reads as an AMQP application property or a STOMP header
            List<String> expectedWords = new ArrayList<>();
            JSON.readTree(run("bad", protocol, app).trim()).forEach(w -> expectedWords.add(w.asText()));
            List<String> reasons = new ArrayList<>();
            for (String line : run("rejected", protocol, app, String.valueOf(expectedWords.size())).split("\n")) {
                JsonNode r = JSON.readTree(line);
                assertThat(r.get("reason").isNull()).as("rejectReason of %s", line).isFalse();
                reasons.add(r.get("reason").asText());
            }
            assertThat(reasons).hasSize(expectedWords.size());
            // two consumers take orders.in, so the rejections need not come back in the order sent
            List<String> unmatched = new ArrayList<>(reasons);
            for (String words : expectedWords) {
                String match = unmatched.stream().filter(r -> r.toLowerCase().contains(words.toLowerCase())).findFirst()
                        .orElseThrow(() -> new AssertionError("no rejectReason with \"" + words + "\" among " + reasons));
                unmatched.remove(match);
            }

            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500)).until(() -> app.mails() >= ORDERS);
            assertThat(app.mails()).isEqualTo(ORDERS);
            assertThat(app.get("/api/orders/" + prefix + "0").body()).contains("\"status\" : \"CONFIRMED\"");
            // the client's trace, passed as an AMQP application property or a STOMP header, reaches the mail
            try (Stream<Path> mails = Files.list(app.dataDir().resolve("mail"))) {
                Path one = mails.filter(p -> p.getFileName().toString().startsWith(prefix + "1.")).findFirst().orElseThrow();
                assertThat(Files.readString(one)).contains("X-Orderflow-Trace-Id: 4bf92f3577b34da6a3ce929d0e0e4736");
            }
            assertThat(app.stop()).as("exit code after SIGTERM").isIn(0, 143);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"amqp", "stomp"})
    void should_refuse_a_client_without_the_broker_credentials_once_they_are_set(String protocol) throws Exception {
        try (OrderflowProcess app = new OrderflowProcess(work)) {
            app.with("orderflow.broker.user", "shop").with("orderflow.broker.password", "s3cret").start();
            OrderflowProcess.drop(app.dataDir().resolve("stock/inbox"), "stock.csv", "sku,quantity\nP-1,5\n");
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(app.dataDir().resolve("stock/done/stock.csv")));
            Path file = work.resolve("orders.txt");
            String id = protocol.toUpperCase() + "-CRED";
            Files.writeString(file, order(id) + "\n");

            assertThat(client(Map.of(), "send", protocol, app, file.toString()).exitValue()).as("no credentials").isNotZero();
            assertThat(client(Map.of("ORDERFLOW_BROKER_USER", "shop", "ORDERFLOW_BROKER_PASSWORD", "wrong"), "send", protocol, app,
                    file.toString()).exitValue()).as("a wrong password").isNotZero();
            assertThat(Files.readString(work.resolve("client-send.err"))).isNotBlank();
            assertThat(client(Map.of("ORDERFLOW_BROKER_USER", "shop", "ORDERFLOW_BROKER_PASSWORD", "s3cret"), "send", protocol, app,
                    file.toString()).exitValue()).as("the credentials: %s", Files.readString(work.resolve("client-send.err"))).isZero();
            await().atMost(Duration.ofSeconds(60)).until(() -> app.settled(id));
            assertThat(app.get("/api/orders/" + id).body()).contains("\"status\" : \"CONFIRMED\"");
            assertThat(app.stop()).as("exit code after SIGTERM").isIn(0, 143);
        }
    }

    private static String order(String id) {
        return "{\"orderId\":\"" + id + "\",\"customer\":{\"name\":\"Ada Lovelace\",\"email\":\"ada@example.com\"},"
                + "\"lines\":[{\"sku\":\"P-1\",\"quantity\":1}]}";
    }

    private String run(String mode, String protocol, OrderflowProcess app, String... more) throws Exception {
        Process p = client(Map.of(), mode, protocol, app, more);
        assertThat(p.exitValue()).as("python client %s: %s", mode, Files.readString(work.resolve("client-" + mode + ".err"))).isZero();
        return Files.readString(work.resolve("client-" + mode + ".out"));
    }

    private Process client(Map<String, String> env, String mode, String protocol, OrderflowProcess app, String... more) throws Exception {
        List<String> command = new ArrayList<>(List.of(PYTHON, CLIENT.toString(), mode, protocol, "127.0.0.1",
                String.valueOf(app.brokerPort)));
        command.addAll(List.of(more));
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(work.resolve("client-" + mode + ".out").toFile())
                .redirectError(work.resolve("client-" + mode + ".err").toFile());
        builder.environment().putAll(env);
        Process p = builder.start();
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("python client %s finished", mode).isTrue();
        return p;
    }

    private static int python(String code) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(PYTHON, "-c", code).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor();
    }
}
