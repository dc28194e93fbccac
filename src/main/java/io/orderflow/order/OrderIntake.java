package io.orderflow.order;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.orderflow.db.Transactions;
import io.orderflow.infra.FaultPoint;
import io.orderflow.intake.RejectedInputException;
import io.orderflow.outbox.Event;
import io.orderflow.outbox.EventJson;
import io.orderflow.outbox.Outbox;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The order service's intake: records orders (status PLACED) and their OrderPlaced events in one
 * transaction, all the orders of one input or none. The same order submitted again is a harmless
 * duplicate; a different order under an existing orderId is a conflict that rejects the input.
 */
public final class OrderIntake {

    private static final Logger LOG = LoggerFactory.getLogger(OrderIntake.class);

    private final JdbcTemplate jdbc;
    private final Transactions transactions;
    private final Outbox outbox;
    private final Counter accepted;
    private final Counter duplicates;

    public OrderIntake(JdbcTemplate jdbc, Transactions transactions, Outbox outbox, MeterRegistry meters) {
        this.jdbc = jdbc;
        this.transactions = transactions;
        this.outbox = outbox;
        this.accepted = Counter.builder("orderflow.orders.accepted").description("Orders recorded").register(meters);
        this.duplicates = Counter.builder("orderflow.orders.duplicates")
                .description("Orders submitted again, unchanged, and ignored").register(meters);
    }

    public record Outcome(int placed, int duplicates) {
    }

    public Outcome accept(List<Order> orders, String source) {
        Outcome outcome = transactions.inTransaction(() -> {
            int placed = 0;
            int dups = 0;
            List<String> conflicts = new ArrayList<>();
            Timestamp now = Timestamp.from(Instant.now());
            for (int i = 0; i < orders.size(); i++) {
                Order order = orders.get(i);
                if (i == orders.size() / 2 && i > 0) {
                    FaultPoint.FILE_MID_PROCESSING.reach();
                }
                String content = OrderFormat.canonical(order);
                int inserted = jdbc.update("INSERT INTO orders (order_id, customer_name, customer_email, content, source, "
                                + "status, placed_at) VALUES (?, ?, ?, ?, ?, 'PLACED', ?) ON CONFLICT DO NOTHING",
                        order.orderId(), order.customer().name(), order.customer().email(), content, source, now);
                if (inserted == 1) {
                    place(order, now);
                    placed++;
                    continue;
                }
                String existing = jdbc.queryForObject("SELECT content FROM orders WHERE order_id = ?", String.class,
                        order.orderId());
                if (content.equals(existing)) {
                    dups++;
                    LOG.info("Order {} from {} was already recorded with the same content: ignoring the duplicate",
                            order.orderId(), source);
                } else {
                    conflicts.add("orderId " + order.orderId()
                            + " conflicts with an order already recorded under that id with different content");
                }
            }
            if (!conflicts.isEmpty()) {
                throw new RejectedInputException(conflicts);
            }
            return new Outcome(placed, dups);
        });
        accepted.increment(outcome.placed());
        duplicates.increment(outcome.duplicates());
        return outcome;
    }

    private void place(Order order, Timestamp now) {
        for (int i = 0; i < order.lines().size(); i++) {
            Order.Line line = order.lines().get(i);
            jdbc.update("INSERT INTO order_line (order_id, line_no, sku, quantity) VALUES (?, ?, ?, ?)",
                    order.orderId(), i + 1, line.sku(), line.quantity());
        }
        ObjectNode data = EventJson.MAPPER.createObjectNode();
        data.set("customer", EventJson.tree(order.customer()));
        data.set("lines", EventJson.tree(order.lines()));
        Event placed = Event.create(Event.ORDER_PLACED, order.orderId(), data);
        outbox.append(placed);
        OrderTimeline.record(jdbc, placed);
    }
}
