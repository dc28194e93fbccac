package io.orderflow.support;

import io.orderflow.outbox.Event;
import io.orderflow.outbox.EventJson;
import org.springframework.jdbc.core.JdbcTemplate;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

import static org.awaitility.Awaitility.await;

/** The real orderflow with helpers to feed it files, orders and events and to read what it did. */
public abstract class FlowTestSupport extends OrderflowTestSupport {

    protected static final Duration TIMEOUT = Duration.ofSeconds(30);

    protected JdbcTemplate jdbc() {
        return configuration.database().jdbc();
    }

    protected Path inbox(String kind) {
        return dataDir.resolve(kind).resolve("inbox");
    }

    protected void drop(String kind, String name, String content) throws IOException {
        Path tmp = inbox(kind).resolve("." + name + ".part");
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(tmp, inbox(kind).resolve(name));
    }

    protected void stock(String csv) throws IOException {
        String name = "stock-" + UUID.randomUUID() + ".csv";
        drop("stock", name, csv);
        awaitMoved("stock", name, "done");
    }

    protected void awaitMoved(String kind, String name, String folder) {
        await().atMost(TIMEOUT).until(() -> Files.exists(dataDir.resolve(kind).resolve(folder).resolve(name)));
    }

    protected String status(String orderId) {
        return jdbc().query("SELECT status FROM orders WHERE order_id = ?", rs -> rs.next() ? rs.getString(1) : null, orderId);
    }

    protected void awaitStatus(String orderId, String status) {
        await().atMost(TIMEOUT).until(() -> status.equals(status(orderId)));
    }

    protected void awaitNotified(String orderId) {
        await().atMost(TIMEOUT).until(() -> jdbc().queryForObject(
                "SELECT COUNT(*) FROM orders WHERE order_id = ? AND notified_at IS NOT NULL", Integer.class, orderId) == 1);
    }

    protected static String order(String id, String email, String... skuQty) {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < skuQty.length; i += 2) {
            if (i > 0) {
                lines.append(',');
            }
            lines.append("{\"sku\":\"").append(skuQty[i]).append("\",\"quantity\":").append(skuQty[i + 1]).append('}');
        }
        return "{\"orderId\":\"" + id + "\",\"customer\":{\"name\":\"Test Customer\",\"email\":\"" + email + "\"},\"lines\":[" + lines + "]}";
    }

    /** An event as a service would emit it, written by the project's own event JSON. */
    protected static String event(String type, String orderId, String occurredAt, String dataJson) throws IOException {
        return EventJson.write(new Event(UUID.randomUUID().toString(), type, orderId, occurredAt, Event.SCHEMA_VERSION,
                EventJson.MAPPER.readTree(dataJson)));
    }

    protected static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    protected int count(String sql, Object... args) {
        return jdbc().queryForObject(sql, Integer.class, args);
    }

    protected int[] stockOf(String sku) {
        return jdbc().query("SELECT on_hand, reserved FROM stock_item WHERE sku = ?",
                rs -> rs.next() ? new int[] {rs.getInt(1), rs.getInt(2)} : null, sku);
    }

    protected HttpResponse<String> get(String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    protected HttpResponse<String> post(String path, String contentType, String body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofString(body))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The next event about the order on one of the services' queues (orderflow.events.<service>), skipping others. */
    protected org.apache.camel.Exchange awaitEvent(String service, String orderId) {
        String queue = "jms:queue:orderflow.events::orderflow.events." + service;
        long until = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < until) {
            org.apache.camel.Exchange e = consumer.receive(queue, 1000);
            if (e != null && orderId.equals(e.getMessage().getHeader("orderId", String.class))) {
                return e;
            }
        }
        throw new AssertionError("no event about " + orderId + " on " + queue);
    }

    /** Attempts retried in place for a source (a route id), from the metrics. */
    protected double retriedInPlace(String source) {
        var counter = configuration.meters().find("orderflow.retries.in-place").tag("source", source).counter();
        return counter == null ? 0 : counter.count();
    }
}
