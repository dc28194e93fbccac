package io.orderflow.infra;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;

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

    public void prepare(Exchange exchange) {
        Throwable failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String reason = failure == null ? "unknown" : failure.getClass().getSimpleName() + ": " + failure.getMessage();
        Object queue = exchange.getIn().getHeader("JMSDestination");
        exchange.getIn().setHeader("failureReason", reason);
        exchange.getIn().setHeader("failedQueue", String.valueOf(queue));
        exchange.getIn().setHeader("failedRoute", exchange.getFromRouteId());
        exchange.getIn().setHeader("failedAt", Instant.now().toString());
        exchange.getIn().setHeader("deliveryAttempts", exchange.getIn().getHeader("JMSXDeliveryCount", 1, Integer.class));
        parked.increment();
        LOG.error("Parking event {} (order {}) from {} on orderflow.dead-letter after {} attempts: {}",
                exchange.getIn().getHeader("eventId"), exchange.getIn().getHeader("orderId"), queue,
                exchange.getIn().getHeader("JMSXDeliveryCount"), reason);
    }
}
