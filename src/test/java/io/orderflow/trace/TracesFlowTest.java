package io.orderflow.trace;

import io.opentelemetry.proto.trace.v1.Span;
import io.orderflow.bench.OrderClient;
import io.orderflow.support.FlowTestSupport;
import io.orderflow.support.OtlpReceiver;
import io.orderflow.support.OtlpReceiver.Received;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Traces exported over OTLP/HTTP to a receiver in the test that decodes them with the OpenTelemetry
 * protocol's classes: one trace per order, every stage's span the child of the one before it,
 * across the outbox and the broker, continuing a sender's traceparent.
 */
class TracesFlowTest extends FlowTestSupport {

    // static: the base class reads the settings while it is constructed
    private static final OtlpReceiver collector = start();

    private static OtlpReceiver start() {
        try {
            return new OtlpReceiver();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    protected Map<String, String> settingsOverrides() {
        return Map.of("orderflow.otel.endpoint", collector.endpoint(), "orderflow.otel.resource-attributes",
                "deployment.environment.name=test", "orderflow.admin.token", TOKEN);
    }

    @AfterAll
    void stopCollector() {
        collector.close();
    }

    private static final String TOKEN = "traces-admin-token-0123456789";

    /** The spans of one order's path, from its intake to the order service taking its CustomerNotified. */
    private static final List<String> PATH = List.of("order intake", "order-relay publish OrderPlaced", "stock process OrderPlaced",
            "stock-relay publish StockReserved", "email process StockReserved", "order process StockReserved", "email send confirmation",
            "email-relay publish CustomerNotified", "order process CustomerNotified");

    private Map<String, Received> awaitPath(String orderId) {
        await().atMost(TIMEOUT).until(() -> collector.spansOf(orderId).stream().map(Received::name).collect(Collectors.toSet())
                .containsAll(PATH));
        List<Received> spans = collector.spansOf(orderId);
        assertThat(spans).extracting(Received::name).as("one span per stage, no more").doesNotHaveDuplicates();
        return spans.stream().collect(Collectors.toMap(Received::name, Function.identity()));
    }

    /** Every stage's span is the child of the span that handed the order to it, all in one trace. */
    private static void assertEdges(Map<String, Received> span) {
        String trace = span.get("order intake").traceId();
        assertThat(span.values()).extracting(Received::traceId).containsOnly(trace);
        assertParent(span, "order-relay publish OrderPlaced", "order intake");
        assertParent(span, "stock process OrderPlaced", "order-relay publish OrderPlaced");
        assertParent(span, "stock-relay publish StockReserved", "stock process OrderPlaced");
        assertParent(span, "email process StockReserved", "stock-relay publish StockReserved");
        assertParent(span, "order process StockReserved", "stock-relay publish StockReserved");
        assertParent(span, "email send confirmation", "email process StockReserved");
        assertParent(span, "email-relay publish CustomerNotified", "email send confirmation");
        assertParent(span, "order process CustomerNotified", "email-relay publish CustomerNotified");
        assertThat(span.get("order-relay publish OrderPlaced").kind()).isEqualTo(Span.SpanKind.SPAN_KIND_PRODUCER);
        assertThat(span.get("stock process OrderPlaced").kind()).isEqualTo(Span.SpanKind.SPAN_KIND_CONSUMER);
        assertThat(span.get("email send confirmation").kind()).isEqualTo(Span.SpanKind.SPAN_KIND_CLIENT);
    }

    /** The received spans of the orders whose ids begin with the prefix, by order id. */
    private static Map<String, List<Received>> byOrder(String prefix) {
        return collector.spans().stream().filter(s -> String.valueOf(s.attribute("orderflow.order.id")).startsWith(prefix))
                .collect(Collectors.groupingBy(s -> s.attribute("orderflow.order.id")));
    }

    private static void assertParent(Map<String, Received> span, String child, String parent) {
        assertThat(span.get(child).parentSpanId()).as(child + " is the child of " + parent).isEqualTo(span.get(parent).spanId());
    }

    @Test
    void should_export_one_trace_per_order_dropped_as_a_file_with_each_stage_the_child_of_the_one_before() throws Exception {
        String sku = unique("OT");
        stock("sku,quantity\n" + sku + ",10\n");
        String id = unique("OTF");
        drop("orders", id + ".json", order(id, "otf@example.com", sku, "1"));
        awaitNotified(id);

        Map<String, Received> span = awaitPath(id);
        assertEdges(span);
        System.out.println("The trace of order " + id + ":\n" + OtlpReceiver.picture(List.copyOf(span.values())));
        Received intake = span.get("order intake");
        assertThat(intake.parentSpanId()).as("a file brings no trace: the intake begins one").isEmpty();
        assertThat(intake.traceId()).as("the order's trace id, as in its log lines and email")
                .isEqualTo(jdbc().queryForObject("SELECT trace_id FROM orders WHERE order_id = ?", String.class, id));
        assertThat(intake.attribute("orderflow.source")).isEqualTo("file " + id + ".json");
        Received send = span.get("email send confirmation");
        assertThat(send.attribute("orderflow.email.message_id")).isEqualTo("<" + id + ".confirmation@orderflow>");
        assertThat(send.attribute("orderflow.email.reply")).isEqualTo("written to " + id + ".confirmation.eml");
        assertThat(span.get("stock process OrderPlaced").attribute("messaging.message.id")).isNotBlank();
        assertThat(intake.resourceAttribute("service.name")).isEqualTo("orderflow");
        assertThat(intake.resourceAttribute("deployment.environment.name")).isEqualTo("test");
    }

    @Test
    void should_continue_the_senders_trace_for_an_order_sent_by_jms_with_a_traceparent() throws Exception {
        String sku = unique("OT");
        stock("sku,quantity\n" + sku + ",10\n");
        String id = unique("OTJ");
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        String parent = "00f067aa0ba902b7";
        template.sendBodyAndHeader("jms:queue:orders.in", order(id, "otj@example.com", sku, "1"), "traceparent",
                "00-" + traceId + "-" + parent + "-01");
        awaitNotified(id);

        Map<String, Received> span = awaitPath(id);
        assertEdges(span);
        assertThat(span.get("order intake").traceId()).isEqualTo(traceId);
        assertThat(span.get("order intake").parentSpanId()).as("the sender's span is the intake's parent").isEqualTo(parent);
    }

    @Test
    void should_continue_the_senders_trace_for_an_order_posted_over_http_with_a_traceparent() throws Exception {
        String sku = unique("OT");
        stock("sku,quantity\n" + sku + ",10\n");
        String id = unique("OTH");
        String traceId = "0af7651916cd43dd8448eb211c80319c";
        String parent = "b7ad6b7169203331";
        HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + httpPort + "/api/orders")).header("Content-Type", "application/json")
                .header("traceparent", "00-" + traceId + "-" + parent + "-01")
                .POST(HttpRequest.BodyPublishers.ofString(order(id, "oth@example.com", sku, "1"))).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).isEqualTo(201);
        awaitNotified(id);

        Map<String, Received> span = awaitPath(id);
        assertEdges(span);
        assertThat(span.get("order intake").traceId()).isEqualTo(traceId);
        assertThat(span.get("order intake").parentSpanId()).isEqualTo(parent);
    }

    @Test
    void should_continue_the_senders_trace_for_orders_sent_over_amqp_and_stomp_with_a_traceparent() throws Exception {
        String sku = unique("OT");
        stock("sku,quantity\n" + sku + ",10\n");
        for (String protocol : List.of("amqp", "stomp")) {
            String id = unique("OT" + protocol.toUpperCase());
            String traceId = protocol.equals("amqp") ? "6af7651916cd43dd8448eb211c80319c" : "7af7651916cd43dd8448eb211c80319c";
            String parent = protocol.equals("amqp") ? "c7ad6b7169203331" : "d7ad6b7169203331";
            try (OrderClient client = OrderClient.open(protocol, "tcp://127.0.0.1:" + brokerPort, httpPort)) {
                client.send(order(id, "ot@example.com", sku, "1"), "00-" + traceId + "-" + parent + "-01");
            }
            awaitNotified(id);

            Map<String, Received> span = awaitPath(id);
            assertEdges(span);
            assertThat(span.get("order intake").traceId()).as(protocol).isEqualTo(traceId);
            assertThat(span.get("order intake").parentSpanId()).as(protocol).isEqualTo(parent);
        }
    }

    @Test
    void should_add_a_replay_and_what_each_service_made_of_it_to_the_orders_trace() throws Exception {
        String sku = unique("OT");
        stock("sku,quantity\n" + sku + ",10\n");
        String id = unique("OTR");
        drop("orders", id + ".json", order(id, "otr@example.com", sku, "1"));
        awaitNotified(id);
        Map<String, Received> path = awaitPath(id);
        // a replay takes the events marked published; the relays mark them shortly after their publish
        for (String outbox : List.of("order_outbox", "stock_outbox", "email_outbox")) {
            await().atMost(TIMEOUT).until(() -> count("SELECT COUNT(*) FROM " + outbox + " WHERE order_id = ? AND published_at IS NOT NULL", id) == 1);
        }

        HttpResponse<String> replayed = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + httpPort + "/admin/replay")).header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"orderId\":\"" + id + "\"}"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(replayed.statusCode()).as(replayed.body()).isEqualTo(200);

        // the stock service takes the replayed OrderPlaced again, as a duplicate, in the same trace
        await().atMost(TIMEOUT).until(() -> collector.spansOf(id).stream().filter(s -> s.name().equals("stock process OrderPlaced")).count() == 2);
        List<Received> spans = collector.spansOf(id);
        Received replay = spans.stream().filter(s -> s.name().equals("replay publish OrderPlaced")).findFirst().orElseThrow();
        assertThat(replay.traceId()).isEqualTo(path.get("order intake").traceId());
        assertThat(replay.parentSpanId()).as("the child of the span that wrote the event").isEqualTo(path.get("order intake").spanId());
        Received again = spans.stream().filter(s -> s.name().equals("stock process OrderPlaced") && s.parentSpanId().equals(replay.spanId()))
                .findFirst().orElseThrow();
        assertThat(again.hasEvent("duplicate skipped")).isTrue();
        assertThat(spans.stream().filter(s -> s.name().equals("replay publish StockReserved"))).hasSize(1);
    }

    @Test
    void should_show_each_attempt_at_a_poison_event_and_its_parking_in_the_orders_trace() throws Exception {
        String sku = unique("OT");
        stock("sku,quantity\n" + sku + ",10\n");
        String id = unique("OTP");
        String traceId = "5bf92f3577b34da6a3ce929d0e0e4736";
        String parent = "10f067aa0ba902b7";
        // an OrderPlaced whose reservation violates a constraint every time: a negative quantity
        String poison = event(io.orderflow.outbox.Event.ORDER_PLACED, id, "2026-01-01T00:00:00Z",
                "{\"customer\":{\"email\":\"p@example.com\"},\"lines\":[{\"sku\":\"" + sku + "\",\"quantity\":-5}]}");
        template.sendBodyAndHeaders("jms:topic:orderflow.events", poison, Map.of("eventType", "OrderPlaced", "orderId", id,
                "JMSXGroupID", id, "traceparent", "00-" + traceId + "-" + parent + "-01"));

        int attempts = Integer.parseInt(settings.get("orderflow.retry.max-attempts"));
        await().atMost(TIMEOUT).until(() -> collector.spansOf(id).stream().anyMatch(s -> s.name().equals("dead-letter park OrderPlaced")));
        List<Received> spans = collector.spansOf(id);
        List<Received> tries = spans.stream().filter(s -> s.name().equals("stock process OrderPlaced")).toList();
        assertThat(tries).as("one span per attempt, each the child of the publisher's span").hasSize(attempts)
                .allMatch(s -> s.traceId().equals(traceId) && s.parentSpanId().equals(parent))
                .allMatch(s -> s.status().getCode() == io.opentelemetry.proto.trace.v1.Status.StatusCode.STATUS_CODE_ERROR);
        assertThat(tries.stream().filter(s -> s.hasEvent("redelivered"))).hasSize(attempts - 1);
        Received park = spans.stream().filter(s -> s.name().equals("dead-letter park OrderPlaced")).findFirst().orElseThrow();
        assertThat(park.parentSpanId()).isEqualTo(parent);
        assertThat(park.hasEvent("failed")).isTrue();
        assertThat(park.events().get(0).getAttributesList().toString()).contains("parked on orderflow.dead-letter after " + attempts);
    }

    @Test
    void should_give_each_of_1000_orders_taken_at_once_its_own_trace_linked_to_the_batch_never_its_child() throws Exception {
        String sku = unique("OT");
        stock("sku,quantity\n" + sku + ",5000\n");
        String prefix = unique("OTB");
        String orders = IntStream.range(0, 1000).mapToObj(i -> order(prefix + "-" + i, "otb@example.com", sku, "1"))
                .collect(Collectors.joining(",", "[", "]"));
        drop("orders", prefix + ".json", orders);
        await().atMost(Duration.ofMinutes(2)).until(() -> count(
                "SELECT COUNT(*) FROM orders WHERE order_id LIKE ? AND notified_at IS NOT NULL", prefix + "-%") == 1000);

        await().atMost(TIMEOUT).until(() -> byOrder(prefix).values().stream().filter(spans -> spans.stream().map(Received::name)
                .collect(Collectors.toSet()).containsAll(PATH)).count() == 1000);
        List<Received> all = collector.spans();
        Set<String> batchSpans = all.stream().filter(s -> s.name().endsWith(" batch")).map(Received::spanId).collect(Collectors.toSet());
        assertThat(batchSpans).as("the intake took the file as one batch, and the stages took batches").isNotEmpty();
        assertThat(all).filteredOn(s -> batchSpans.contains(s.parentSpanId())).as("no batch span is any span's parent").isEmpty();
        Map<String, List<Received>> byOrder = byOrder(prefix);
        Set<String> traces = byOrder.values().stream().map(spans -> {
            assertThat(spans).extracting(Received::name).doesNotHaveDuplicates();
            Map<String, Received> span = spans.stream().collect(Collectors.toMap(Received::name, Function.identity()));
            assertEdges(span);
            return span.get("order intake").traceId();
        }).collect(Collectors.toSet());
        assertThat(traces).as("a trace of its own for each order").hasSize(1000);
        Received intake = collector.spansOf(prefix + "-0").stream().filter(s -> s.name().equals("order intake")).findFirst().orElseThrow();
        assertThat(intake.links()).as("linked to the intake's batch span").hasSize(1);
        assertThat(batchSpans).contains(java.util.HexFormat.of().formatHex(intake.links().get(0).getSpanId().toByteArray()));
    }
}
