package io.orderflow.outbox;

import io.orderflow.broker.batch.BatchFailedException;
import io.orderflow.broker.batch.Delivery;
import io.orderflow.db.Transactions;
import io.orderflow.infra.FaultPoint;
import io.orderflow.observe.ConsumerMetrics;
import org.slf4j.MDC;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The skeleton every event consumer shares: read the batch's events (an unreadable one is never
 * retried), apply them in one database transaction through the service's {@link Handler} (which
 * records each event as processed under a unique key, so a redelivered event is skipped as a
 * duplicate), then count them. The broker transaction commits after this returns, so a crash in
 * between redelivers the batch and the duplicates are skipped.
 */
public final class EventConsumer {

    /** What a service does with its events. */
    public interface Handler {
        /** Rejects an event this service cannot handle (throws {@link UnreadableEventException}); runs before the transaction. */
        void check(Event event);

        /** Applies the events, in order, inside the caller's transaction; returns the ids of those it skipped as duplicates. */
        Set<String> apply(List<Event> events);

        /** Notes, in the same transaction, the delivery that applied each of these events (event id -> delivery, all > 1). */
        void recordDeliveries(Map<String, Integer> deliveries);
    }

    private final String service;
    private final Transactions transactions;
    private final ConsumerMetrics metrics;
    private final Handler handler;

    public EventConsumer(String service, Transactions transactions, ConsumerMetrics metrics, Handler handler) {
        this.service = service;
        this.transactions = transactions;
        this.metrics = metrics;
        this.handler = handler;
    }

    /** Route entry: a batch from the service's queue. */
    public void consume(List<Delivery> batch) {
        metrics.redelivered(service, batch.stream().filter(d -> d.deliveryCount() > 1).count());
        try {
            List<Event> events = new ArrayList<>(batch.size());
            for (Delivery d : batch) {
                Event event = EventJson.read(d.text());
                handler.check(event);
                events.add(event);
            }
            if (events.size() == 1) {
                MDC.put("orderId", events.get(0).orderId());
                if (events.get(0).traceId() != null) {
                    MDC.put("traceId", events.get(0).traceId());
                }
            }
            // A batch can hold one event twice: after a broker failover the backup delivers again
            // what the consumer had already received. Only the first copy is applied; given both,
            // a handler would see the second one's insert skipped and take the event for a
            // duplicate, recorded as processed but never applied.
            List<Event> distinct = new ArrayList<>(events.size());
            List<Event> copies = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            Map<String, Integer> retried = new HashMap<>();
            for (int i = 0; i < batch.size(); i++) {
                Event event = events.get(i);
                if (!seen.add(event.eventId())) {
                    copies.add(event);
                    continue;
                }
                distinct.add(event);
                if (batch.get(i).deliveryCount() > 1) {
                    retried.put(event.eventId(), batch.get(i).deliveryCount());
                }
            }
            Set<String> duplicates = transactions.inTransaction(() -> {
                Set<String> skipped = handler.apply(distinct);
                retried.keySet().removeAll(skipped);
                if (!retried.isEmpty()) {
                    handler.recordDeliveries(retried);
                }
                return skipped;
            });
            FaultPoint.CONSUMER_AFTER_COMMIT.reach();
            metrics.consumed(service, distinct, duplicates);
            metrics.copiesInBatch(service, copies);
        } catch (RuntimeException e) {
            throw BatchFailedException.unlessSingle(batch.size(), e);
        } finally {
            MDC.remove("orderId");
            MDC.remove("traceId");
        }
    }
}
