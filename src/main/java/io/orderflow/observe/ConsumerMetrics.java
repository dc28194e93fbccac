package io.orderflow.observe;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.orderflow.outbox.Event;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Counts the events each service applied, and logs and counts the duplicates it skipped. */
public final class ConsumerMetrics {

    private static final Logger LOG = LoggerFactory.getLogger(ConsumerMetrics.class);
    private final MeterRegistry meters;
    private final Map<String, Counter> applied = new ConcurrentHashMap<>();
    private final Map<String, Counter> duplicates = new ConcurrentHashMap<>();
    private final Map<String, Counter> redelivered = new ConcurrentHashMap<>();

    public ConsumerMetrics(MeterRegistry meters) {
        this.meters = meters;
        for (String service : new String[] {"order", "stock", "email"}) {
            redelivered(service);
        }
    }

    /** Deliveries of events the broker had delivered before (a rollback, a crash, a failed attempt). */
    public void redelivered(String service, long n) {
        if (n > 0) {
            redelivered(service).increment(n);
        }
    }

    private Counter redelivered(String service) {
        return redelivered.computeIfAbsent(service, s -> Counter.builder("orderflow.events.redelivered").tag("service", s)
                .description("Event deliveries that were redeliveries").register(meters));
    }

    /** Second copies of an event in the batch that applied it (delivered again after a broker failover): counted as duplicates. */
    public void copiesInBatch(String service, List<Event> copies) {
        if (copies.isEmpty()) {
            return;
        }
        duplicates(service).increment(copies.size());
        for (Event event : copies) {
            LOG.info("Ignoring a second copy of event {} ({} of order {}) in the batch that applied it: delivered again after "
                    + "a broker failover", event.eventId(), event.type(), event.orderId());
        }
    }

    private Counter duplicates(String service) {
        return duplicates.computeIfAbsent(service, s -> Counter.builder("orderflow.events.duplicates").tag("service", s)
                .description("Events received again and skipped").register(meters));
    }

    public void consumed(String service, List<Event> events, Set<String> skipped) {
        applied.computeIfAbsent(service, s -> Counter.builder("orderflow.events.applied").tag("service", s).register(meters))
                .increment(events.size() - skipped.size());
        if (skipped.isEmpty()) {
            return;
        }
        duplicates(service).increment(skipped.size());
        for (Event event : events) {
            if (skipped.contains(event.eventId())) {
                LOG.info("Ignoring duplicate event {} ({} of order {}): {} service processed it before",
                        event.eventId(), event.type(), event.orderId(), service);
            }
        }
    }
}
