package io.orderflow.trace;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import io.orderflow.bench.OrderClient;
import io.orderflow.support.OrderflowProcess;
import io.orderflow.support.OtlpReceiver;
import io.orderflow.support.OtlpReceiver.Received;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The span context crosses the outbox in the database, so an order's trace survives a SIGKILL: an
 * order stopped at its email (the mail server down) is killed with the jar, and the next process's
 * spans continue the same trace as children of the spans the killed process exported.
 */
class TracesAcrossAKillIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path work;

    private GreenMail smtp;

    @AfterEach
    void stopMail() {
        if (smtp != null) {
            smtp.stop();
        }
    }

    @Test
    void should_continue_an_orders_trace_in_the_process_started_after_a_kill() throws Exception {
        int smtpPort = OrderflowProcess.freePort();
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        try (OtlpReceiver collector = new OtlpReceiver(); OrderflowProcess app = new OrderflowProcess(work)) {
            app.with("orderflow.otel.endpoint", collector.endpoint())
                    .with("orderflow.otel.resource-attributes", "test.run=first")
                    .with("orderflow.mail.mode", "smtp")
                    .with("orderflow.mail.smtp.host", "127.0.0.1")
                    .with("orderflow.mail.smtp.port", String.valueOf(smtpPort))
                    .with("orderflow.mail.retry-initial-delay-ms", "200")
                    .with("orderflow.mail.retry-max-delay-ms", "1000");
            app.start();
            OrderflowProcess.drop(app.dataDir().resolve("stock/inbox"), "stock.csv", "sku,quantity\nK-1,5\n");
            await().atMost(TIMEOUT).until(() -> Files.exists(app.dataDir().resolve("stock/done/stock.csv")));
            // an order over HTTP with its sender's traceparent, so the whole trace has a known id
            // (the client fails unless the answer is 201: the order and its OrderPlaced committed)
            try (OrderClient client = OrderClient.open("http", "tcp://127.0.0.1:" + app.brokerPort, app.httpPort)) {
                client.send("{\"orderId\":\"K1\",\"customer\":{\"email\":\"k@example.com\"},\"lines\":[{\"sku\":\"K-1\",\"quantity\":1}]}",
                        "00-" + traceId + "-00f067aa0ba902b7-01");
            }

            // the email service recorded the notification; the send failed, the mail server being down
            await().atMost(TIMEOUT).until(() -> named(collector.spansOf("K1"), "email process StockReserved").size() == 1
                    && named(collector.spansOf("K1"), "email send confirmation").stream().anyMatch(s -> s.hasEvent("failed")));
            app.kill();

            smtp = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
            smtp.start();
            app.with("orderflow.otel.resource-attributes", "test.run=second");
            app.start();
            await().atMost(TIMEOUT).until(() -> app.settled("K1"));
            await().atMost(TIMEOUT).until(() -> !named(collector.spansOf("K1"), "order process CustomerNotified").isEmpty());
            app.stop();

            List<Received> spans = collector.spansOf("K1");
            assertThat(spans).as("every span of the order, in both processes, in its sender's trace")
                    .allMatch(s -> s.traceId().equals(traceId));
            Received recorded = named(spans, "email process StockReserved").get(0);
            assertThat(recorded.resourceAttribute("test.run")).isEqualTo("first");
            Received delivered = named(spans, "email send confirmation").stream().filter(s -> !s.hasEvent("failed"))
                    .findFirst().orElseThrow();
            assertThat(delivered.resourceAttribute("test.run")).isEqualTo("second");
            assertThat(delivered.parentSpanId()).as("the send after the kill is the child of the killed process's span that recorded it")
                    .isEqualTo(recorded.spanId());
            assertThat(delivered.attribute("orderflow.email.reply")).startsWith("250");
            Received published = named(spans, "email-relay publish CustomerNotified").get(0);
            assertThat(published.parentSpanId()).isEqualTo(delivered.spanId());
            assertThat(named(spans, "order process CustomerNotified").get(0).parentSpanId()).isEqualTo(published.spanId());
            assertThat(named(spans, "order intake").get(0).parentSpanId()).isEqualTo("00f067aa0ba902b7");
            assertThat(smtp.getReceivedMessages()).hasSize(1);
            System.out.println("TracesAcrossAKillIT, the order's trace over two processes:\n" + OtlpReceiver.picture(spans));
        }
    }

    private static List<Received> named(List<Received> spans, String name) {
        return spans.stream().filter(s -> s.name().equals(name)).toList();
    }
}
