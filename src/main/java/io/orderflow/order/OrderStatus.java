package io.orderflow.order;

import com.fasterxml.jackson.databind.JsonNode;
import io.orderflow.outbox.Event;
import io.orderflow.outbox.EventConsumer;
import io.orderflow.outbox.ProcessedEvents;
import io.orderflow.outbox.UnreadableEventException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The order service's handler of StockReserved, OutOfStock, CustomerNotified and NotificationFailed.
 * It keeps the status PLACED -> CONFIRMED or REJECTED, when the customer was notified, and why a
 * notification was refused. Each event sets a
 * different fact, once, so the result does not depend on the order in which they arrive.
 */
public final class OrderStatus implements EventConsumer.Handler {

    private static final Logger LOG = LoggerFactory.getLogger(OrderStatus.class);

    private final JdbcTemplate jdbc;

    public OrderStatus(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    @Override
    public void check(Event event) {
        switch (event.type()) {
            case Event.STOCK_RESERVED, Event.OUT_OF_STOCK, Event.CUSTOMER_NOTIFIED, Event.NOTIFICATION_FAILED -> { }
            default -> throw new UnreadableEventException("order service does not handle " + event.type() + " events");
        }
    }

    @Override
    public Set<String> apply(List<Event> events) {
        Set<String> orderIds = new HashSet<>();
        events.forEach(e -> orderIds.add(e.orderId()));
        Set<String> known = new HashSet<>(jdbc.queryForList("SELECT order_id FROM orders WHERE order_id IN ("
                + String.join(", ", Collections.nCopies(orderIds.size(), "?")) + ")", String.class, orderIds.toArray()));
        for (Event event : events) {
            // an unknown order parks the event for good: confirm it by its key before saying so
            if (!known.contains(event.orderId()) && has(event.orderId(), "TRUE")) {
                LOG.warn("Order {} was missing from the batch's look-up but is recorded; applying {} {}", event.orderId(),
                        event.type(), event.eventId());
                known.add(event.orderId());
            }
            if (!known.contains(event.orderId())) {
                throw new UnreadableEventException(event.type() + " " + event.eventId() + " is about order " + event.orderId()
                        + ", which this order service never recorded");
            }
        }
        Set<String> duplicates = OrderTimeline.record(jdbc, events);
        List<Object[]> decisions = new ArrayList<>();
        List<Event> decided = new ArrayList<>();
        List<Object[]> notified = new ArrayList<>();
        List<Event> notifiedEvents = new ArrayList<>();
        List<Object[]> notificationFailures = new ArrayList<>();
        for (Event event : events) {
            if (duplicates.contains(event.eventId())) {
                continue;
            }
            Timestamp at = Timestamp.from(Instant.parse(event.occurredAt()));
            switch (event.type()) {
                case Event.STOCK_RESERVED -> {
                    decisions.add(new Object[] {"CONFIRMED", null, at, event.orderId()});
                    decided.add(event);
                }
                case Event.OUT_OF_STOCK -> {
                    decisions.add(new Object[] {"REJECTED", outOfStockReason(event.data()), at, event.orderId()});
                    decided.add(event);
                }
                case Event.NOTIFICATION_FAILED -> notificationFailures.add(new Object[] {
                        event.data().path("reason").asText("refused by the mail server"), event.orderId()});
                default -> {
                    notified.add(new Object[] {at, event.data().path("messageId").asText(), event.orderId()});
                    notifiedEvents.add(event);
                }
            }
        }
        int[] changed = jdbc.batchUpdate("UPDATE orders SET status = ?, rejection_reason = ?, decided_at = ? "
                + "WHERE order_id = ? AND status = 'PLACED'", decisions);
        for (int i = 0; i < changed.length; i++) {
            Event event = decided.get(i);
            if (changed[i] == 0) {
                requireSet(event, "status <> 'PLACED'");
                LOG.warn("Order {} was decided before; {} {} leaves it as it is", event.orderId(), event.type(), event.eventId());
            }
        }
        // a refusal shows until the customer is notified after all (an operator's retry); one that
        // arrives after the notification it preceded changes nothing
        jdbc.batchUpdate("UPDATE orders SET notification_failure = ? WHERE order_id = ? AND notified_at IS NULL", notificationFailures);
        int[] notifiedNow = jdbc.batchUpdate("UPDATE orders SET notified_at = ?, notification_message_id = ?, notification_failure = NULL "
                + "WHERE order_id = ? AND notified_at IS NULL", notified);
        for (int i = 0; i < notifiedNow.length; i++) {
            if (notifiedNow[i] == 0) {
                requireSet(notifiedEvents.get(i), "notified_at IS NOT NULL");
            }
        }
        return duplicates;
    }

    /**
     * An update that changed nothing is only right if the fact it sets is already there. Otherwise the
     * event would be recorded as processed with no effect, and its redelivery skipped as a duplicate:
     * fail the transaction instead, so that the event is retried (as an outage, using up no attempt).
     */
    private void requireSet(Event event, String fact) {
        if (!has(event.orderId(), fact)) {
            throw new IllegalStateException(event.type() + " " + event.eventId() + " changed nothing on order " + event.orderId()
                    + ", which does not have it yet (" + fact + "); the transaction is rolled back and retried");
        }
    }

    /** Whether the order is recorded and the condition (SQL, on its row) holds, by its primary key. */
    private boolean has(String orderId, String condition) {
        Integer n = jdbc.queryForObject("SELECT COUNT(*) FROM orders WHERE order_id = ? AND " + condition, Integer.class, orderId);
        return n != null && n > 0;
    }

    static String outOfStockReason(JsonNode data) {
        List<String> items = new ArrayList<>();
        for (JsonNode m : data.path("missing")) {
            items.add(m.path("sku").asText() + " (ordered " + m.path("requested").asInt() + ", available "
                    + m.path("available").asInt() + (m.path("unknown").asBoolean() ? ", unknown SKU" : "") + ")");
        }
        return "out of stock: " + String.join(", ", items);
    }

    @Override
    public void recordDeliveries(Map<String, Integer> deliveries) {
        ProcessedEvents.recordDeliveries(jdbc, "order_event", deliveries);
    }
}
