package io.orderflow.config;

import io.orderflow.email.NotificationRehearsal;
import io.orderflow.infra.TraceContext;
import io.orderflow.order.Order;
import io.orderflow.order.OrderFormat;
import io.orderflow.order.OrderIntake;
import io.orderflow.outbox.Event;
import io.orderflow.outbox.EventJson;
import io.orderflow.stock.StockReservation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.orderflow.db.Database;
import io.orderflow.outbox.EventHeaders;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.DeliveryMode;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.jms.TemporaryQueue;
import jakarta.jms.TextMessage;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A warm-up the service runs on itself when it starts ({@code orderflow.startup.warmup-ms}).
 * <p>
 * Right after a start the JIT has compiled nothing of a lone order's path, and on two cores its
 * compiler threads compete with the flow for the first minute: orders sent at 100/s from the moment
 * the service was ready took seconds each until it caught up. So before anything else starts, it
 * sends made-up orders through the in-memory part of that path, over and over for the time budget:
 * the order parsed and validated, its OrderPlaced built, written and read as JSON, the stock
 * decision taken against made-up levels and written and read, the notification rendered and
 * composed as a MIME message. The JIT then compiles that code while the database and the broker
 * start. Measured on 2 cores, it ran first rather than beside their start: beside it, the
 * compiler's work landed on the first orders instead (docs/performance.md).
 * <p>
 * It touches no data: no database, broker, folder or mail server; what it makes is dropped. What
 * it cannot warm is the JDBC, JMS and file I/O around that path: {@link #connected} warms the JDBC
 * and JMS part once the database and the embedded broker run ({@code
 * orderflow.startup.connected-warmup-ms}), still touching no data. Measured on 2 cores, it took
 * about a third of the broker's, the drivers' and Camel's compiles out of the first minute
 * under load (docs/performance.md).
 */
public final class Warmup {

    private static final Logger LOG = LoggerFactory.getLogger(Warmup.class);
    private static final Map<String, Integer> LEVELS = Map.of("BOOK-42", Integer.MAX_VALUE, "PEN-1", Integer.MAX_VALUE);

    private final OrderFormat format;
    private final NotificationRehearsal mail;

    /** What the warm-up did: orders rehearsed, in how long, when it ended, and why it stopped early if it did. */
    public record Result(long orders, long elapsedMs, Instant endedAt, String failure) {
    }

    private Warmup(OrderFormat format, NotificationRehearsal mail) {
        this.format = format;
        this.mail = mail;
    }

    /**
     * Runs the warm-up on this thread for the budget (and the round under way), logs what it did
     * and returns it; a budget of 0 or less runs nothing. A failure ends it early, with a WARN line.
     */
    public static Result run(long budgetMs, OrderFormat format, Settings settings) {
        if (budgetMs <= 0) {
            return new Result(0, 0, Instant.now(), null);
        }
        long start = System.nanoTime();
        long end = start + TimeUnit.MILLISECONDS.toNanos(budgetMs);
        long orders = 0;
        String failure = null;
        try {
            Warmup warmup = new Warmup(format, new NotificationRehearsal(settings));
            while (System.nanoTime() < end) {
                warmup.rehearse(orders);
                orders++;
            }
        } catch (Exception | LinkageError e) {
            failure = e.toString();
        }
        Result r = new Result(orders, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), Instant.now(), failure);
        if (failure != null) {
            LOG.warn("Start-up warm-up stopped after {} made-up orders in {} ms: {}; the first orders may be slower",
                    r.orders(), r.elapsedMs(), failure);
        } else {
            LOG.info("Start-up warm-up: {} made-up orders through parsing, events and email composing in {} ms, in memory "
                    + "(nothing stored, sent or written; orderflow.startup.warmup-ms={})", r.orders(), r.elapsedMs(), budgetMs);
        }
        return r;
    }

    /**
     * The second part, once the database and the broker run and before any route takes input: the
     * made-up orders' events sent to a temporary queue of the broker and received back, in
     * transactions of one to four as the relays and consumers do, and look-ups of the flow's tables
     * run read-only for each. The temporary queue is not durable and goes with its connection: no
     * journal record, no database row. A failure ends it early with a WARN line; the start goes on.
     */
    public static Result connected(long budgetMs, OrderFormat format, ConnectionFactory factory, String user, String password,
            Database db) {
        if (budgetMs <= 0) {
            return new Result(0, 0, Instant.now(), null);
        }
        long start = System.nanoTime();
        long end = start + TimeUnit.MILLISECONDS.toNanos(budgetMs);
        long events = 0;
        String failure = null;
        try (Connection connection = user.isEmpty() ? factory.createConnection() : factory.createConnection(user, password)) {
            connection.start();
            Session sending = connection.createSession(true, Session.SESSION_TRANSACTED);
            Session receiving = connection.createSession(true, Session.SESSION_TRANSACTED);
            TemporaryQueue queue = sending.createTemporaryQueue();
            MessageProducer producer = sending.createProducer(queue);
            producer.setDeliveryMode(DeliveryMode.PERSISTENT);
            MessageConsumer consumer = receiving.createConsumer(queue);
            for (long round = 0; System.nanoTime() < end; round++) {
                // batches of one to four: a trickle's paths and a small backlog's
                int batch = (int) (round % 4) + 1;
                for (int i = 0; i < batch; i++) {
                    Event placed = placed(format, events);
                    String payload = EventJson.write(placed);
                    TextMessage message = sending.createTextMessage(payload);
                    EventHeaders.set(message, placed.eventId(), placed.type(), placed.orderId(), payload);
                    producer.send(message);
                    events++;
                }
                sending.commit();
                for (int i = 0; i < batch; i++) {
                    TextMessage message = (TextMessage) consumer.receive(10_000);
                    if (message == null) {
                        throw new IllegalStateException("a warm-up message sent to a temporary queue did not come back within 10 s");
                    }
                    Event back = EventJson.read(message.getText());
                    db.transactions().inTransaction(() -> {
                        db.jdbc().queryForList("SELECT status FROM orders WHERE order_id = ?", String.class, back.orderId());
                        db.jdbc().queryForList("SELECT on_hand - reserved FROM stock_item WHERE sku = ?", Integer.class, "BOOK-42");
                        db.jdbc().queryForList("SELECT event_id FROM stock_processed_event WHERE event_id = ?", String.class,
                                back.eventId());
                    });
                }
                receiving.commit();
            }
        } catch (Exception | LinkageError e) {
            failure = e.toString();
        }
        Result r = new Result(events, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), Instant.now(), failure);
        if (failure != null) {
            LOG.warn("Start-up warm-up with the broker and database stopped after {} made-up events in {} ms: {}; the first orders "
                    + "may be slower", r.orders(), r.elapsedMs(), failure);
        } else {
            LOG.info("Start-up warm-up: {} made-up events through a temporary broker queue and read-only database look-ups in {} ms "
                    + "(nothing stored; orderflow.startup.connected-warmup-ms={})", r.orders(), r.elapsedMs(), budgetMs);
        }
        return r;
    }

    /** One lone order's in-memory path; every other order is out of stock, so both notifications are rehearsed. */
    private void rehearse(long n) throws Exception {
        boolean fits = n % 2 == 0;
        Event placed = EventJson.read(EventJson.write(placed(format, n)));
        Event decision = StockReservation.decide(placed, new HashMap<>(LEVELS), new ArrayList<>());
        if (fits != Event.STOCK_RESERVED.equals(decision.type())) {
            throw new IllegalStateException("made-up order " + n + " was decided " + decision.type());
        }
        mail.rehearse(EventJson.read(EventJson.write(decision)));
    }

    /** Made-up order n's OrderPlaced: an even n fits the made-up stock levels, an odd one asks for a SKU not stocked. */
    private static Event placed(OrderFormat format, long n) {
        String json = "{\"orderId\": \"WARMUP-" + n + "\", \"customer\": {\"name\": \"Warm Up\", \"email\": \"warmup"
                + (n % 100) + "@example.com\"}, \"lines\": [{\"sku\": \"BOOK-42\", \"quantity\": " + (1 + n % 3)
                + "}, {\"sku\": \"" + (n % 2 == 0 ? "PEN-1" : "NOT-STOCKED") + "\", \"quantity\": 5}]}";
        List<Order> orders = format.parse(json.getBytes(StandardCharsets.UTF_8));
        return OrderIntake.placed(orders.get(0), Instant.now(), TraceContext.newTraceId());
    }
}
