package io.orderflow.order;

import com.fasterxml.jackson.databind.JsonNode;
import io.orderflow.db.Transactions;
import io.orderflow.infra.FaultPoint;
import io.orderflow.observe.ConsumerMetrics;
import io.orderflow.outbox.Event;
import io.orderflow.outbox.EventJson;
import io.orderflow.outbox.UnreadableEventException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.jdbc.core.JdbcTemplate;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The order service's consumer of StockReserved, OutOfStock and CustomerNotified. It keeps the
 * status PLACED -> CONFIRMED or REJECTED and when the customer was notified. Each event sets a
 * different fact, once, so the result does not depend on the order in which they arrive.
 */
public final class OrderStatus {

    private static final Logger LOG = LoggerFactory.getLogger(OrderStatus.class);

    private final JdbcTemplate jdbc;
    private final Transactions transactions;
    private final ConsumerMetrics metrics;

    public OrderStatus(JdbcTemplate jdbc, Transactions transactions, ConsumerMetrics metrics) {
        this.jdbc = jdbc;
        this.transactions = transactions;
        this.metrics = metrics;
    }

    /** Route entry: the JSON body of a StockReserved, OutOfStock or CustomerNotified event. */
    public void onEvent(String body) {
        Event event = EventJson.read(body);
        MDC.put("orderId", event.orderId());
        try {
            boolean applied = transactions.inTransaction(() -> apply(event));
            FaultPoint.CONSUMER_AFTER_COMMIT.reach();
            metrics.consumed("order", applied, event);
        } finally {
            MDC.remove("orderId");
        }
    }

    private boolean apply(Event event) {
        Integer known = jdbc.queryForObject("SELECT COUNT(*) FROM orders WHERE order_id = ?", Integer.class, event.orderId());
        if (known == null || known == 0) {
            throw new UnreadableEventException(event.type() + " " + event.eventId() + " is about order " + event.orderId()
                    + ", which this order service never recorded");
        }
        if (!OrderTimeline.record(jdbc, event)) {
            return false;
        }
        Timestamp at = Timestamp.from(Instant.parse(event.occurredAt()));
        switch (event.type()) {
            case Event.STOCK_RESERVED -> decide(event, "CONFIRMED", null, at);
            case Event.OUT_OF_STOCK -> decide(event, "REJECTED", outOfStockReason(event.data()), at);
            case Event.CUSTOMER_NOTIFIED -> jdbc.update("UPDATE orders SET notified_at = ?, notification_message_id = ? "
                    + "WHERE order_id = ? AND notified_at IS NULL", at, event.data().path("messageId").asText(), event.orderId());
            default -> throw new UnreadableEventException("order service does not handle " + event.type() + " events");
        }
        return true;
    }

    private void decide(Event event, String status, String reason, Timestamp at) {
        int changed = jdbc.update("UPDATE orders SET status = ?, rejection_reason = ?, decided_at = ? "
                + "WHERE order_id = ? AND status = 'PLACED'", status, reason, at, event.orderId());
        if (changed == 1) {
            LOG.info("Order {} is {}{}", event.orderId(), status, reason == null ? "" : ": " + reason);
        } else {
            LOG.warn("Order {} was decided before; {} {} leaves it as it is", event.orderId(), event.type(), event.eventId());
        }
    }

    static String outOfStockReason(JsonNode data) {
        List<String> items = new ArrayList<>();
        for (JsonNode m : data.path("missing")) {
            items.add(m.path("sku").asText() + " (ordered " + m.path("requested").asInt() + ", available "
                    + m.path("available").asInt() + (m.path("unknown").asBoolean() ? ", unknown SKU" : "") + ")");
        }
        return "out of stock: " + String.join(", ", items);
    }
}
