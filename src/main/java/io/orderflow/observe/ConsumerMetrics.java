package io.orderflow.observe;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.orderflow.outbox.Event;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Counts the events each service applied, and logs and counts the duplicates it skipped. */
public final class ConsumerMetrics {

    private static final Logger LOG = LoggerFactory.getLogger(ConsumerMetrics.class);
    private final MeterRegistry meters;

    public ConsumerMetrics(MeterRegistry meters) {
        this.meters = meters;
    }

    public void consumed(String service, boolean applied, Event event) {
        if (applied) {
            Counter.builder("orderflow.events.applied").tag("service", service).register(meters).increment();
        } else {
            Counter.builder("orderflow.events.duplicates").tag("service", service)
                    .description("Events received again and skipped").register(meters).increment();
            LOG.info("Ignoring duplicate event {} ({} of order {}): {} service processed it before",
                    event.eventId(), event.type(), event.orderId(), service);
        }
    }
}
