package io.orderflow.outbox;

import io.orderflow.broker.batch.BatchFailedException;
import io.orderflow.broker.batch.Delivery;
import io.orderflow.db.Transactions;
import io.orderflow.infra.FaultPoint;
import io.orderflow.observe.ConsumerMetrics;
import io.opentelemetry.api.trace.SpanKind;
import io.orderflow.infra.TraceContext;
import io.orderflow.trace.OrderTraces;
import io.orderflow.trace.StageSpans;
import io.orderflow.trace.Work;
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
        StageSpans spans = StageSpans.NONE;
        try {
            List<Event> events = new ArrayList<>(batch.size());
            for (Delivery d : batch) {
                Event event = EventJson.read(d.text());
                handler.check(event);
                events.add(event);
            }
            spans = open(batch, events);
            if (events.size() == 1) {
                MDC.put("orderId", events.get(0).orderId());
                if (events.get(0).traceId() != null) {
                    MDC.put("traceId", events.get(0).traceId());
                }
                String traceparent = spans.traceparent(0);
                if (traceparent != null) {
                    MDC.put("spanId", traceparent.substring(36, 52));
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
            if (!duplicates.isEmpty()) {
                for (int i = 0; i < events.size(); i++) {
                    if (duplicates.contains(events.get(i).eventId())) {
                        spans.event(i, "duplicate skipped", Map.of("orderflow.reason", "processed before"));
                    }
                }
            }
        } catch (RuntimeException e) {
            // a batch of several is split and each event tried alone; one alone is retried, then parked
            spans.failed(e, batch.size() > 1 ? "batch split, each event tried alone" : "retried, then parked after its attempts");
            throw BatchFailedException.unlessSingle(batch.size(), e);
        } finally {
            spans.close();
            MDC.remove("orderId");
            MDC.remove("traceId");
            MDC.remove("spanId");
        }
    }

    /**
     * One span per event, the child of the span that published it (the message's traceparent), or
     * of the order's trace when the message has none (published while traces were off).
     */
    private StageSpans open(List<Delivery> batch, List<Event> events) {
        OrderTraces tracing = OrderTraces.current();
        if (!tracing.enabled()) {
            return StageSpans.NONE;
        }
        List<Work> works = new ArrayList<>(events.size());
        for (int i = 0; i < events.size(); i++) {
            Event e = events.get(i);
            String parent = batch.get(i).property(TraceContext.TRACEPARENT);
            if (parent == null && e.traceId() != null) {
                parent = TraceContext.traceparent(e.traceId());
            }
            works.add(new Work(e.orderId(), e.eventId(), e.type(), parent));
        }
        StageSpans spans = tracing.stage(service + " process", SpanKind.CONSUMER, works);
        for (int i = 0; i < events.size(); i++) {
            if (batch.get(i).deliveryCount() > 1) {
                spans.event(i, "redelivered", Map.of("messaging.delivery_count", batch.get(i).deliveryCount()));
            }
        }
        return spans;
    }
}
