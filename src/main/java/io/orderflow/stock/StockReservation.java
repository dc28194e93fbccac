package io.orderflow.stock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orderflow.outbox.Event;
import io.orderflow.outbox.EventConsumer;
import io.orderflow.outbox.EventJson;
import io.orderflow.outbox.Outbox;
import io.orderflow.outbox.ProcessedEvents;
import io.orderflow.outbox.UnreadableEventException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The stock service's handler of OrderPlaced, a batch per transaction: records the events as
 * processed (duplicates stop there), locks each SKU of the batch once, in SKU order (so two
 * batches never wait on each other in a cycle, and a hot SKU costs one lock per batch, not one per
 * order), then decides each order in turn against what is left: every line reserved, or none and
 * an OutOfStock naming each missing or unknown SKU with the requested and available quantity. The
 * decisions go to the stock outbox in the same transaction.
 */
public final class StockReservation implements EventConsumer.Handler {

    private static final Logger LOG = LoggerFactory.getLogger(StockReservation.class);

    private final JdbcTemplate jdbc;
    private final Outbox outbox;
    private final ProcessedEvents processed;

    public StockReservation(JdbcTemplate jdbc, Outbox outbox) {
        this.jdbc = jdbc;
        this.outbox = outbox;
        this.processed = new ProcessedEvents(jdbc, "stock_processed_event");
    }

    @Override
    public void check(Event event) {
        if (!Event.ORDER_PLACED.equals(event.type())) {
            throw new UnreadableEventException("stock service received a " + event.type() + " event; it handles OrderPlaced only");
        }
        if (!event.data().path("lines").elements().hasNext()) {
            throw new UnreadableEventException("OrderPlaced " + event.eventId() + " has no lines");
        }
    }

    @Override
    public Set<String> apply(List<Event> events) {
        Set<String> duplicates = processed.record(events);
        List<Event> fresh = events.stream().filter(e -> !duplicates.contains(e.eventId())).toList();
        if (fresh.isEmpty()) {
            return duplicates;
        }
        Map<String, Integer> available = lock(fresh);
        List<Event> decisions = new ArrayList<>(fresh.size());
        List<Object[]> reservations = new ArrayList<>();
        for (Event placed : fresh) {
            decisions.add(decide(placed, available, reservations));
        }
        // one statement per reserved line, in the orders' turn: the database's constraints see each
        jdbc.batchUpdate("UPDATE stock_item SET reserved = reserved + ? WHERE sku = ?",
                reservations.stream().map(r -> new Object[] {r[2], r[1]}).toList());
        jdbc.batchUpdate("INSERT INTO stock_reservation (order_id, sku, quantity) VALUES (?, ?, ?)", reservations);
        outbox.appendAll(decisions);
        return duplicates;
    }

    /** Locks every SKU the orders name, once each, in name order; returns what each has available. */
    private Map<String, Integer> lock(List<Event> orders) {
        Set<String> skus = new TreeSet<>();
        for (Event placed : orders) {
            for (JsonNode line : placed.data().path("lines")) {
                skus.add(line.path("sku").asText());
            }
        }
        Map<String, Integer> available = new HashMap<>();
        String marks = String.join(", ", java.util.Collections.nCopies(skus.size(), "?"));
        jdbc.query("SELECT sku, on_hand - reserved FROM stock_item WHERE sku IN (" + marks + ") ORDER BY sku FOR UPDATE",
                rs -> {
                    available.put(rs.getString(1), Math.max(0, rs.getInt(2)));
                }, skus.toArray());
        return available;
    }

    /**
     * Reserves every line of the order or none, against what is left (taken from {@code available}
     * and added to {@code reservations}); returns StockReserved or OutOfStock.
     */
    public static Event decide(Event placed, Map<String, Integer> available, List<Object[]> reservations) {
        // the same SKU on several lines counts once, with the quantities added
        Map<String, Integer> requested = new TreeMap<>();
        for (JsonNode line : placed.data().path("lines")) {
            requested.merge(line.path("sku").asText(), line.path("quantity").asInt(), Integer::sum);
        }
        ArrayNode missing = EventJson.MAPPER.createArrayNode();
        for (Map.Entry<String, Integer> r : requested.entrySet()) {
            Integer have = available.get(r.getKey());
            if (have == null || have < r.getValue()) {
                ObjectNode m = missing.addObject();
                m.put("sku", r.getKey());
                m.put("requested", r.getValue());
                m.put("available", have == null ? 0 : have);
                if (have == null) {
                    m.put("unknown", true);
                }
            }
        }
        ObjectNode data = EventJson.MAPPER.createObjectNode();
        data.set("customer", placed.data().path("customer"));
        data.set("lines", placed.data().path("lines"));
        if (!missing.isEmpty()) {
            data.set("missing", missing);
            LOG.debug("Order {} is out of stock: {}", placed.orderId(), missing);
            return placed.next(Event.OUT_OF_STOCK, data);
        }
        for (Map.Entry<String, Integer> r : requested.entrySet()) {
            available.merge(r.getKey(), -r.getValue(), Integer::sum);
            reservations.add(new Object[] {placed.orderId(), r.getKey(), r.getValue()});
        }
        LOG.debug("Reserved stock for order {}", placed.orderId());
        return placed.next(Event.STOCK_RESERVED, data);
    }

    @Override
    public void recordDeliveries(Map<String, Integer> deliveries) {
        processed.recordDeliveries(deliveries);
    }
}
