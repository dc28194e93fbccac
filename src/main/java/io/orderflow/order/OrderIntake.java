package io.orderflow.order;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.orderflow.db.Transactions;
import io.orderflow.infra.FaultPoint;
import io.orderflow.intake.RejectedInputException;
import io.orderflow.infra.TraceContext;
import io.orderflow.outbox.Event;
import io.orderflow.outbox.EventJson;
import io.orderflow.outbox.Outbox;
import io.orderflow.trace.OrderTraces;
import io.orderflow.trace.StageSpans;
import io.orderflow.trace.Work;
import io.opentelemetry.api.trace.SpanKind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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

    /** The orders of one input (a file): all recorded, or none. */
    public Outcome accept(List<Order> orders, String source) {
        return accept(orders, java.util.Collections.nCopies(orders.size(), source), java.util.Collections.nCopies(orders.size(), null));
    }

    /**
     * Records the orders in one transaction, each from its own source (a batch of messages), all or
     * none: new orders with their lines, timeline and OrderPlaced events as JDBC batches.
     */
    public Outcome accept(List<Order> orders, List<String> sources, List<String> traceparents) {
        OrderTraces tracing = OrderTraces.current();
        StageSpans spans = tracing.enabled() ? tracing.stage("order intake", SpanKind.CONSUMER,
                java.util.stream.IntStream.range(0, orders.size()).mapToObj(i -> Work.order(orders.get(i).orderId(), traceparents.get(i))).toList())
                : StageSpans.NONE;
        try {
            Outcome outcome = accept(orders, sources, traceparents, spans);
            return outcome;
        } catch (RuntimeException e) {
            spans.failed(e, e instanceof RejectedInputException ? "rejected" : "retried");
            throw e;
        } finally {
            spans.close();
        }
    }

    private Outcome accept(List<Order> orders, List<String> sources, List<String> traceparents, StageSpans spans) {
        // the sender's trace, when it passed a valid traceparent; else the trace the intake's span
        // began, or (traces off) a new one
        List<String> traces = new ArrayList<>(orders.size());
        for (int i = 0; i < orders.size(); i++) {
            String traced = spans.traceId(i);
            traces.add(traced != null ? traced : TraceContext.traceId(traceparents.get(i)).orElseGet(TraceContext::newTraceId));
            spans.attribute(i, "orderflow.source", sources.get(i));
        }
        Outcome outcome = transactions.inTransaction(() -> {
            Timestamp now = Timestamp.from(Instant.now());
            List<String> contents = orders.stream().map(OrderFormat::canonical).toList();
            int[][] inserted = jdbc.batchUpdate("INSERT INTO orders (order_id, customer_name, customer_email, content, source, "
                    + "status, placed_at, trace_id) VALUES (?, ?, ?, ?, ?, 'PLACED', ?, ?) ON CONFLICT DO NOTHING",
                    java.util.stream.IntStream.range(0, orders.size()).boxed().toList(), orders.size(), (ps, i) -> {
                        Order order = orders.get(i);
                        ps.setString(1, order.orderId());
                        ps.setString(2, order.customer().name());
                        ps.setString(3, order.customer().email());
                        ps.setString(4, contents.get(i));
                        ps.setString(5, sources.get(i));
                        ps.setTimestamp(6, now);
                        ps.setString(7, traces.get(i));
                    });
            if (orders.size() > 1) {
                FaultPoint.FILE_MID_PROCESSING.reach();
            }
            List<Order> placed = new ArrayList<>();
            List<String> placedTraces = new ArrayList<>();
            int dups = 0;
            List<String> conflicts = new ArrayList<>();
            for (int i = 0; i < orders.size(); i++) {
                Order order = orders.get(i);
                if (inserted[0][i] == 1) {
                    placed.add(order);
                    placedTraces.add(traces.get(i));
                    continue;
                }
                String existing = jdbc.queryForObject("SELECT content FROM orders WHERE order_id = ?", String.class, order.orderId());
                if (contents.get(i).equals(existing)) {
                    dups++;
                    spans.event(i, "duplicate ignored", Map.of("orderflow.reason", "already recorded with the same content"));
                    LOG.info("Order {} from {} was already recorded with the same content: ignoring the duplicate",
                            order.orderId(), sources.get(i));
                } else {
                    conflicts.add("orderId " + order.orderId()
                            + " conflicts with an order already recorded under that id with different content");
                }
            }
            if (!conflicts.isEmpty()) {
                throw new RejectedInputException(conflicts);
            }
            place(placed, placedTraces, now);
            return new Outcome(placed.size(), dups);
        });
        accepted.increment(outcome.placed());
        duplicates.increment(outcome.duplicates());
        return outcome;
    }

    /** The OrderPlaced event of an order placed at that time, in the trace of that id. */
    public static Event placed(Order order, Instant at, String traceId) {
        ObjectNode data = EventJson.MAPPER.createObjectNode();
        data.set("customer", EventJson.tree(order.customer()));
        data.set("lines", EventJson.tree(order.lines()));
        return Event.create(Event.ORDER_PLACED, order.orderId(), data, at, traceId);
    }

    private void place(List<Order> orders, List<String> traceIds, Timestamp now) {
        if (orders.isEmpty()) {
            return;
        }
        List<Object[]> lines = new ArrayList<>();
        List<Event> events = new ArrayList<>(orders.size());
        for (int o = 0; o < orders.size(); o++) {
            Order order = orders.get(o);
            for (int i = 0; i < order.lines().size(); i++) {
                Order.Line line = order.lines().get(i);
                lines.add(new Object[] {order.orderId(), i + 1, line.sku(), line.quantity()});
            }
            // occurred when the order was placed: the order as it stood at placedAt shows it
            events.add(placed(order, now.toInstant(), traceIds.get(o)));
        }
        jdbc.batchUpdate("INSERT INTO order_line (order_id, line_no, sku, quantity) VALUES (?, ?, ?, ?)", lines);
        outbox.appendAll(events);
        OrderTimeline.record(jdbc, events);
    }
}
