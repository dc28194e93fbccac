package io.orderflow.support;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;

/**
 * An OTLP/HTTP trace receiver in the test: decodes what the exporter posts to /v1/traces with
 * the OpenTelemetry protocol's own classes. It can refuse (503) or hang instead of answering.
 */
public final class OtlpReceiver implements AutoCloseable {

    /** A received span, its ids as hex. */
    public record Received(String traceId, String spanId, String parentSpanId, String name, Span.SpanKind kind,
                           List<KeyValue> attributes, List<Span.Event> events, List<Span.Link> links, Status status,
                           List<KeyValue> resource, long startNanos, long endNanos) {

        public String attribute(String key) {
            return value(attributes, key);
        }

        public String resourceAttribute(String key) {
            return value(resource, key);
        }

        public boolean hasEvent(String name) {
            return events.stream().anyMatch(e -> e.getName().equals(name));
        }

        private static String value(List<KeyValue> values, String key) {
            for (KeyValue kv : values) {
                if (kv.getKey().equals(key)) {
                    AnyValue v = kv.getValue();
                    return v.hasStringValue() ? v.getStringValue() : v.hasIntValue() ? String.valueOf(v.getIntValue())
                            : v.hasBoolValue() ? String.valueOf(v.getBoolValue()) : v.toString();
                }
            }
            return null;
        }
    }

    public enum Mode { ANSWER, REFUSE, HANG }

    private final int port;
    private volatile HttpServer server;
    private final List<Received> spans = new CopyOnWriteArrayList<>();
    private final AtomicInteger requests = new AtomicInteger();
    private volatile Mode mode = Mode.ANSWER;
    private volatile CountDownLatch release = new CountDownLatch(0);

    public OtlpReceiver() throws IOException {
        server = listen(0);
        port = server.getAddress().getPort();
    }

    private HttpServer listen(int on) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", on), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/v1/traces", exchange -> {
            try (InputStream raw = exchange.getRequestBody()) {
                requests.incrementAndGet();
                Mode now = mode;
                if (now == Mode.HANG) {
                    // holds the exporter's request until it gives up, or the test ends the hang
                    release.await(120, TimeUnit.SECONDS);
                }
                if (now != Mode.ANSWER) {
                    exchange.sendResponseHeaders(503, -1);
                    return;
                }
                InputStream in = "gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))
                        ? new GZIPInputStream(raw) : raw;
                ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(in);
                for (ResourceSpans rs : request.getResourceSpansList()) {
                    for (ScopeSpans ss : rs.getScopeSpansList()) {
                        for (Span s : ss.getSpansList()) {
                            spans.add(new Received(hex(s.getTraceId().toByteArray()), hex(s.getSpanId().toByteArray()),
                                    hex(s.getParentSpanId().toByteArray()), s.getName(), s.getKind(), s.getAttributesList(),
                                    s.getEventsList(), s.getLinksList(), s.getStatus(), rs.getResource().getAttributesList(),
                                    s.getStartTimeUnixNano(), s.getEndTimeUnixNano()));
                        }
                    }
                }
                exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
                exchange.sendResponseHeaders(200, -1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                exchange.close();
            }
        });
        server.start();
        return server;
    }

    /** Stops listening: the exporter's connections are refused. */
    public void down() {
        release.countDown();
        server.stop(0);
    }

    /** Listens again on the same port, answering. */
    public void up() throws IOException {
        mode = Mode.ANSWER;
        server = listen(port);
    }

    private static String hex(byte[] bytes) {
        return bytes.length == 0 ? "" : HexFormat.of().formatHex(bytes);
    }

    /** The base URL, as orderflow.otel.endpoint takes it. */
    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public void answer() {
        mode = Mode.ANSWER;
        release.countDown();
    }

    public void refuse() {
        mode = Mode.REFUSE;
        release.countDown();
    }

    public void hang() {
        release = new CountDownLatch(1);
        mode = Mode.HANG;
    }

    public int requests() {
        return requests.get();
    }

    public List<Received> spans() {
        return new ArrayList<>(spans);
    }

    /**
     * One trace as an indented tree, each span with when it began after the trace's first span and
     * how long it took: what docs/operating.md shows of a test run.
     */
    public static String picture(List<Received> trace) {
        long t0 = trace.stream().mapToLong(Received::startNanos).min().orElse(0);
        StringBuilder out = new StringBuilder();
        java.util.Set<String> ids = new java.util.HashSet<>();
        trace.forEach(s -> ids.add(s.spanId()));
        trace.stream().filter(s -> !ids.contains(s.parentSpanId())).sorted(java.util.Comparator.comparingLong(Received::startNanos))
                .forEach(root -> draw(root, trace, t0, 0, out));
        return out.toString();
    }

    private static void draw(Received span, List<Received> trace, long t0, int depth, StringBuilder out) {
        out.append(String.format("%8.1f ms %7.1f ms  %s%s%n", (span.startNanos() - t0) / 1e6, (span.endNanos() - span.startNanos()) / 1e6,
                "  ".repeat(depth), span.name()));
        trace.stream().filter(s -> s.parentSpanId().equals(span.spanId())).sorted(java.util.Comparator.comparingLong(Received::startNanos))
                .forEach(child -> draw(child, trace, t0, depth + 1, out));
    }

    /** The spans about the order (its orderflow.order.id attribute). */
    public List<Received> spansOf(String orderId) {
        return spans.stream().filter(s -> orderId.equals(s.attribute("orderflow.order.id"))).toList();
    }

    @Override
    public void close() {
        release.countDown();
        server.stop(0);
    }
}
