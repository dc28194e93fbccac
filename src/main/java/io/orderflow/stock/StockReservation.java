package io.orderflow.stock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orderflow.db.Transactions;
import io.orderflow.infra.FaultPoint;
import io.orderflow.outbox.Event;
import io.orderflow.outbox.EventJson;
import io.orderflow.outbox.Outbox;
import io.orderflow.outbox.UnreadableEventException;
import io.orderflow.observe.ConsumerMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.jdbc.core.JdbcTemplate;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The stock service's consumer of OrderPlaced. In one transaction: records the event as processed
 * (a duplicate stops here), reserves every line of the order or none, and emits StockReserved or
 * OutOfStock (naming each missing or unknown SKU with the requested and available quantity).
 */
public final class StockReservation {

    private static final Logger LOG = LoggerFactory.getLogger(StockReservation.class);

    private final JdbcTemplate jdbc;
    private final Transactions transactions;
    private final Outbox outbox;
    private final ConsumerMetrics metrics;

    public StockReservation(JdbcTemplate jdbc, Transactions transactions, Outbox outbox, ConsumerMetrics metrics) {
        this.jdbc = jdbc;
        this.transactions = transactions;
        this.outbox = outbox;
        this.metrics = metrics;
    }

    /** Route entry: the JSON body of an OrderPlaced event. */
    public void onOrderPlaced(String body) {
        Event event = EventJson.read(body);
        if (!Event.ORDER_PLACED.equals(event.type())) {
            throw new UnreadableEventException("stock service received a " + event.type() + " event; it handles OrderPlaced only");
        }
        MDC.put("orderId", event.orderId());
        try {
            boolean applied = transactions.inTransaction(() -> reserve(event));
            FaultPoint.CONSUMER_AFTER_COMMIT.reach();
            metrics.consumed("stock", applied, event);
        } finally {
            MDC.remove("orderId");
        }
    }

    private boolean reserve(Event placed) {
        if (jdbc.update("INSERT INTO stock_processed_event (event_id, order_id, processed_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                placed.eventId(), placed.orderId(), Timestamp.from(Instant.now())) == 0) {
            return false;
        }
        // the same SKU on several lines counts once, with the quantities added; SKUs are locked in
        // name order so that two reservations never wait on each other in a cycle
        Map<String, Integer> requested = new TreeMap<>();
        for (JsonNode line : placed.data().path("lines")) {
            requested.merge(line.path("sku").asText(), line.path("quantity").asInt(), Integer::sum);
        }
        if (requested.isEmpty()) {
            throw new UnreadableEventException("OrderPlaced " + placed.eventId() + " has no lines");
        }
        ArrayNode missing = EventJson.MAPPER.createArrayNode();
        for (Map.Entry<String, Integer> r : requested.entrySet()) {
            List<Integer> available = jdbc.query("SELECT on_hand - reserved FROM stock_item WHERE sku = ? FOR UPDATE",
                    (rs, i) -> Math.max(0, rs.getInt(1)), r.getKey());
            int have = available.isEmpty() ? 0 : available.get(0);
            if (have < r.getValue()) {
                ObjectNode m = missing.addObject();
                m.put("sku", r.getKey());
                m.put("requested", r.getValue());
                m.put("available", have);
                if (available.isEmpty()) {
                    m.put("unknown", true);
                }
            }
        }
        ObjectNode data = EventJson.MAPPER.createObjectNode();
        data.set("customer", placed.data().path("customer"));
        data.set("lines", placed.data().path("lines"));
        Event decision;
        if (missing.isEmpty()) {
            for (Map.Entry<String, Integer> r : requested.entrySet()) {
                jdbc.update("UPDATE stock_item SET reserved = reserved + ? WHERE sku = ?", r.getValue(), r.getKey());
                jdbc.update("INSERT INTO stock_reservation (order_id, sku, quantity) VALUES (?, ?, ?)",
                        placed.orderId(), r.getKey(), r.getValue());
            }
            decision = Event.create(Event.STOCK_RESERVED, placed.orderId(), data);
            LOG.info("Reserved stock for order {}", placed.orderId());
        } else {
            data.set("missing", missing);
            decision = Event.create(Event.OUT_OF_STOCK, placed.orderId(), data);
            LOG.info("Order {} is out of stock: {}", placed.orderId(), missing);
        }
        outbox.append(decision);
        return true;
    }
}
