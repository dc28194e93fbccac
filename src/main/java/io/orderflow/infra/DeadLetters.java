package io.orderflow.infra;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.trace.SpanKind;
import io.orderflow.trace.OrderTraces;
import io.orderflow.trace.StageSpans;
import io.orderflow.trace.Work;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.List;

/**
 * Prepares an event that cannot be processed for the dead-letter queue orderflow.dead-letter:
 * the original message, plus why it failed (failureReason), where (failedQueue) and when.
 */
public final class DeadLetters {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);
    private final Counter parked;

    public DeadLetters(MeterRegistry meters) {
        this.parked = Counter.builder("orderflow.events.dead-lettered")
                .description("Events parked on orderflow.dead-letter").register(meters);
    }

    /** A span in the order's trace, the child of the span that published the event, saying it was parked and why. */
    private static void traced(Exchange exchange, String reason, Object queue, int attempts) {
        OrderTraces tracing = OrderTraces.current();
        if (!tracing.enabled()) {
            return;
        }
        Message in = exchange.getIn();
        try (StageSpans spans = tracing.stage("dead-letter park", SpanKind.INTERNAL, List.of(new Work(in.getHeader("orderId", String.class),
                in.getHeader("eventId", String.class), in.getHeader("eventType", String.class),
                in.getHeader(TraceContext.TRACEPARENT, String.class))))) {
            spans.attribute(0, "orderflow.dead_letter.from", String.valueOf(queue));
            spans.failed(0, reason, "parked on orderflow.dead-letter after " + attempts + " attempt(s), for an operator to retry or discard");
        }
    }

    public void prepare(Exchange exchange) {
        Throwable failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String reason = failure == null ? "unknown" : failure.getClass().getSimpleName() + ": " + failure.getMessage();
        Object queue = exchange.getIn().getHeader("JMSDestination");
        exchange.getIn().setHeader("failureReason", reason);
        exchange.getIn().setHeader("failedQueue", String.valueOf(queue));
        exchange.getIn().setHeader("failedRoute", exchange.getFromRouteId());
        exchange.getIn().setHeader("failedAt", Instant.now().toString());
        int attempts = exchange.getIn().getHeader("JMSXDeliveryCount", 1, Integer.class);
        exchange.getIn().setHeader("deliveryAttempts", attempts);
        parked.increment();
        traced(exchange, reason, queue, attempts);
        LOG.error("Parking event {} (order {}) from {} on orderflow.dead-letter after {} attempts: {}",
                exchange.getIn().getHeader("eventId"), exchange.getIn().getHeader("orderId"), queue,
                attempts, reason);
    }
}
