package io.orderflow.trace;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An order's path as spans, for the tracing tools operators run (OTLP, see {@link OtlpTraces}).
 * Off unless an endpoint is configured; then every stage that takes, handles, publishes or mails
 * an order opens {@link StageSpans} for its batch. The W3C traceparent of the span that wrote an
 * event travels with the event (its outbox row, then the broker message's {@code traceparent}
 * property), so the next stage's span is its child across processes, restarts and failovers.
 */
public final class OrderTraces {

    public static final AttributeKey<String> ORDER_ID = AttributeKey.stringKey("orderflow.order.id");
    public static final AttributeKey<String> EVENT_ID = AttributeKey.stringKey("messaging.message.id");
    public static final AttributeKey<String> EVENT_TYPE = AttributeKey.stringKey("orderflow.event.type");
    public static final AttributeKey<Long> BATCH_SIZE = AttributeKey.longKey("messaging.batch.message_count");

    /** Nothing traced: what runs when no endpoint is configured. */
    public static final OrderTraces OFF = new OrderTraces(null);

    private static volatile OrderTraces current = OFF;

    /** Per thread, the spans of the stages open on it: what is written now for an order is stamped with its span. */
    private static final ThreadLocal<Deque<Map<String, String>>> WRITING = ThreadLocal.withInitial(ArrayDeque::new);

    private static final TextMapGetter<String> TRACEPARENT = (carrier, key) -> "traceparent".equals(key) ? carrier : null;

    private final Tracer tracer;

    OrderTraces(Tracer tracer) {
        this.tracer = tracer;
    }

    /** The traces of this process (OFF until {@link #install}). */
    public static OrderTraces current() {
        return current;
    }

    public static void install(OrderTraces traces) {
        current = traces;
    }

    public boolean enabled() {
        return tracer != null;
    }

    /**
     * The traceparent of the span of the stage, open on this thread, that is working on the order;
     * null when none is (or traces are off). What is written for the order carries it on.
     */
    public static String traceparentFor(String orderId) {
        Deque<Map<String, String>> open = WRITING.get();
        Map<String, String> spans = open.peek();
        return spans == null ? null : spans.get(orderId);
    }

    /**
     * Opens the spans of one batch of a stage, one per work (named {@code name}, then the work's
     * event type if it has one), each the child of the work's parent, or the root of a new trace.
     */
    public StageSpans stage(String name, SpanKind kind, List<Work> works) {
        if (tracer == null || works.isEmpty()) {
            return StageSpans.NONE;
        }
        return new Spans(name, kind, works);
    }

    private static Context parentOf(String traceparent) {
        if (traceparent == null) {
            return Context.root();
        }
        Context extracted = W3CTraceContextPropagator.getInstance().extract(Context.root(), traceparent, TRACEPARENT);
        return Span.fromContext(extracted).getSpanContext().isValid() ? extracted : Context.root();
    }

    static String traceparent(SpanContext c) {
        return "00-" + c.getTraceId() + "-" + c.getSpanId() + "-" + c.getTraceFlags().asHex();
    }

    private final class Spans implements StageSpans {
        private final Span batch;
        private final Span[] spans;
        private final String[] traceparents;
        private final Map<String, String> byOrder;

        Spans(String name, SpanKind kind, List<Work> works) {
            int n = works.size();
            // a batch of one is its order's span alone; a larger one gets a span of its own, the
            // root of its own trace, which each order's span links to (never their parent)
            batch = n == 1 ? null : tracer.spanBuilder(name + " batch").setNoParent().setSpanKind(SpanKind.INTERNAL)
                    .setAttribute(BATCH_SIZE, (long) n).startSpan();
            spans = new Span[n];
            traceparents = new String[n];
            byOrder = new HashMap<>(n * 2);
            for (int i = 0; i < n; i++) {
                Work w = works.get(i);
                var builder = tracer.spanBuilder(w.eventType() == null ? name : name + " " + w.eventType())
                        .setParent(parentOf(w.parent())).setSpanKind(kind).setAttribute(ORDER_ID, w.orderId());
                if (w.eventId() != null) {
                    builder.setAttribute(EVENT_ID, w.eventId());
                }
                if (w.eventType() != null) {
                    builder.setAttribute(EVENT_TYPE, w.eventType());
                }
                if (batch != null) {
                    builder.addLink(batch.getSpanContext());
                }
                spans[i] = builder.startSpan();
                traceparents[i] = OrderTraces.traceparent(spans[i].getSpanContext());
                byOrder.put(w.orderId(), traceparents[i]);
            }
            WRITING.get().push(byOrder);
        }

        @Override
        public String traceId(int i) {
            return spans[i].getSpanContext().getTraceId();
        }

        @Override
        public String traceparent(int i) {
            return traceparents[i];
        }

        @Override
        public void event(int i, String name, Map<String, Object> attributes) {
            spans[i].addEvent(name, attributes(attributes));
        }

        @Override
        public void attribute(int i, String key, Object value) {
            if (value instanceof Number number) {
                spans[i].setAttribute(key, number.longValue());
            } else {
                spans[i].setAttribute(key, String.valueOf(value));
            }
        }

        @Override
        public void failed(Throwable cause, String outcome) {
            for (Span span : spans) {
                span.recordException(cause, Attributes.of(AttributeKey.stringKey("orderflow.outcome"), outcome));
                span.setStatus(StatusCode.ERROR, String.valueOf(cause.getMessage()));
            }
            if (batch != null) {
                batch.setStatus(StatusCode.ERROR, String.valueOf(cause.getMessage()));
            }
        }

        @Override
        public void failed(int i, String reason, String outcome) {
            spans[i].addEvent("failed", Attributes.of(AttributeKey.stringKey("orderflow.reason"), reason,
                    AttributeKey.stringKey("orderflow.outcome"), outcome));
            spans[i].setStatus(StatusCode.ERROR, reason);
        }

        @Override
        public void close() {
            Deque<Map<String, String>> open = WRITING.get();
            if (open.peek() == byOrder) {
                open.pop();
            } else {
                open.removeIf(m -> m == byOrder);
            }
            for (Span span : spans) {
                span.end();
            }
            if (batch != null) {
                batch.end();
            }
        }
    }

    private static Attributes attributes(Map<String, Object> values) {
        AttributesBuilder b = Attributes.builder();
        values.forEach((k, v) -> {
            if (v instanceof Number number) {
                b.put(k, number.longValue());
            } else {
                b.put(k, String.valueOf(v));
            }
        });
        return b.build();
    }
}
