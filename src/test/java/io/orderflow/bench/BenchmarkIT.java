package io.orderflow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.orderflow.support.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The benchmark command as the README gives it, with small sizes: it runs to the end, writes every
 * figure, leaves nothing behind, and with two processes on one PostgreSQL and one broker the
 * order stream is shared with nothing lost and nothing done twice. Figures are not asserted
 * against timings (a shared machine is noisy), only for being there and consistent.
 */
class BenchmarkIT {

    private static final int ORDERS = 150;

    @TempDir
    Path work;

    @Test
    void should_measure_the_embedded_defaults_and_write_every_figure() throws Exception {
        JsonNode r = bench("embedded.json", "--orders=" + ORDERS, "--warmup=50", "--rates=20", "--rate-seconds=2", "--relay-events=300",
                "--tcp-rates=20,max", "--tcp-clients=1,2", "--tcp-seconds=2", "--tcp-orders=100", "--tcp-warmup-seconds=1",
                "--tcp-idle-seconds=1", "--tcp-restart-seconds=6", "--tcp-pause-seconds=3");

        assertThat(r.at("/database").asText()).contains("embedded PostgreSQL");
        assertThat(r.at("/endToEnd/dataDir/databaseMbPer10000Orders").asDouble()).isPositive();

        assertThat(r.at("/ceiling/dbOrdersPerSecond").asDouble()).isPositive();
        assertThat(r.at("/ceiling/flowOrdersPerSecond").asDouble()).isPositive();
        assertThat(r.at("/ceiling/brokerMessagesPerSecond").asDouble()).isPositive();
        assertThat(r.at("/ceiling/diskSyncMs/p99").asDouble()).isPositive();
        assertThat(r.at("/endToEnd/ordersPerSecond").asDouble()).isPositive();
        // orders.in, OrderPlaced to stock, the decision to email and to order, CustomerNotified to order
        assertThat(r.at("/endToEnd/messagesPerOrder").asDouble()).isCloseTo(5.0, within(0.1));
        // batches: well under one commit an order when orders arrive together, never more than the stages
        assertThat(r.at("/endToEnd/commitsPerOrder").asDouble()).isPositive().isLessThan(10.0);
        JsonNode latency = r.at("/endToEnd/latencyMs/20");
        assertThat(latency.get("p50").asDouble()).isPositive().isLessThanOrEqualTo(latency.get("p99").asDouble());
        assertThat(latency.get("p99").asDouble()).isLessThanOrEqualTo(latency.get("max").asDouble());
        assertThat(r.at("/relayAlone/eventsPerSecond").asDouble()).isPositive();
        assertThat(r.at("/relayAlone/scannedEventsPerSecond").asDouble()).isPositive();
        assertThat(r.at("/relayAlone/lagAtHalfRateMs/p99").asDouble()).isPositive();
        assertThat(r.at("/ratio/endToEndOverCeiling").asDouble()).isPositive();
        assertThat(r.at("/peakHeapUsedMb").asInt()).isPositive().isLessThanOrEqualTo(256);

        // clients over TCP: the jar as a process of its own, CPU per order of its JVM and of its embedded PostgreSQL
        JsonNode tcp = r.get("tcpClients");
        assertThat(tcp.get("runs")).hasSize(4);
        JsonNode paced = tcp.get("runs").get(0);
        assertThat(paced.get("rate").asInt()).isEqualTo(20);
        assertThat(paced.at("/latencyMs/p50").asDouble()).isPositive().isLessThanOrEqualTo(paced.at("/latencyMs/p99").asDouble());
        assertThat(paced.at("/cpuMsPerOrder/jvm").asDouble()).isPositive();
        assertThat(paced.at("/cpuMsPerOrder/database").asDouble()).as("the postmaster and its children were found").isPositive();
        assertThat(paced.get("jvmCpuMsPerOrderByThread").fieldNames()).toIterable().anyMatch(name -> name.contains("jms-batch[orders.in]"));
        JsonNode max = tcp.get("runs").get(3);
        assertThat(max.get("clients").asInt()).isEqualTo(2);
        assertThat(max.get("ordersPerSecond").asDouble()).isPositive();
        assertThat(tcp.at("/idle/percentOfACore").asDouble()).isNotNegative();
        assertThat(tcp.at("/bulk/ordersPerSecond").asDouble()).isPositive();
        // the restart run, first, on the fresh jar: 600 orders to their email files, by 5 s slices
        JsonNode restart = tcp.get("restart");
        assertThat(restart.get("orders").asInt()).isEqualTo(600);
        assertThat(restart.get("slices")).hasSize(2);
        assertThat(restart.at("/slices/1/fromSecond").asInt()).isEqualTo(5);
        assertThat(restart.at("/latencyToEmailMs/p50").asDouble()).isPositive().isLessThanOrEqualTo(restart.at("/latencyToEmailMs/max").asDouble());
        assertThat(restart.at("/jit/atReady/compiles").asDouble()).as("the JVM's counters were read").isPositive();
        assertThat(restart.at("/cpuMsPerOrder/jvm").asDouble()).isPositive();
        assertThat(restart.get("settledAfterSeconds").isNumber() || restart.get("settledAfterSeconds").isTextual()).isTrue();
        JsonNode afterPause = tcp.get("afterPause");
        assertThat(afterPause.get("orders").asInt()).isEqualTo(1000);
        assertThat(afterPause.at("/latencyToEmailMs/p99").asDouble()).isPositive();
    }

    @Test
    void should_share_one_order_stream_between_two_processes_with_nothing_lost_or_done_twice() throws Exception {
        try (TestPostgres postgres = TestPostgres.create()) {
            String server = postgres.url().substring(0, postgres.url().lastIndexOf('/') + 1);
            JsonNode r = bench("pg.json", "--db=postgres", "--pg-url=" + server, "--pg-user=" + postgres.user(),
                    "--processes=2", "--orders=" + ORDERS, "--warmup=50", "--rates=20", "--rate-seconds=1", "--relay-events=300",
                    "--tcp-rates=");

            JsonNode two = r.get("twoProcesses");
            assertThat(two.get("ordersPerSecond").asDouble()).isPositive();
            assertThat(two.get("ordersRecorded").asInt()).isEqualTo(ORDERS);
            assertThat(two.get("mailsWritten").asInt()).as("one mail per order, from either process").isEqualTo(ORDERS);
            assertThat(two.get("invariantViolations").asInt()).isZero();
        }
    }

    private JsonNode bench(String out, String... options) throws Exception {
        Path tmp = Files.createDirectories(work.resolve("tmp"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-Djava.io.tmpdir=" + tmp, "-jar", System.getProperty("orderflow.jar"), "bench"));
        cmd.addAll(List.of(options));
        cmd.add("--out=" + work.resolve(out));
        Path log = work.resolve(out + ".log");
        Process p = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("bench still running after 10 minutes: " + Files.readString(log));
        }
        assertThat(p.exitValue()).as(Files.readString(log)).isZero();
        try (Stream<Path> left = Files.list(tmp)) {
            assertThat(left.filter(f -> f.getFileName().toString().startsWith("orderflow-bench-")))
                    .as("the benchmark's data dirs are deleted").isEmpty();
        }
        return new ObjectMapper().readTree(work.resolve(out).toFile());
    }
}
