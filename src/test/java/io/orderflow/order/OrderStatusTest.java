package io.orderflow.order;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orderflow.config.Settings;
import io.orderflow.db.Database;
import io.orderflow.outbox.Event;
import io.orderflow.outbox.EventJson;
import io.orderflow.broker.batch.Delivery;
import io.orderflow.observe.ConsumerMetrics;
import io.orderflow.outbox.EventConsumer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.JdbcTemplate;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The order service never records an event as processed when its update changed nothing and the
 * order does not show the fact: a redelivery would otherwise be skipped as a duplicate and the fact
 * lost for good. Run on a real H2 database; the lost update is injected by a JdbcTemplate that
 * drops the one statement. Also what the consumer notes for the console: the delivery that applied
 * an event, and the duplicates it skipped.
 */
class OrderStatusTest {

    @TempDir
    Path dir;

    private Database db;

    @BeforeEach
    void open() {
        db = Database.open(Settings.load(Map.of(), new Properties(), Map.of("orderflow.data-dir", dir.toString(), "orderflow.db.embedded", "h2")));
        db.migrate(100);
        db.jdbc().update("INSERT INTO orders (order_id, customer_email, content, source, status, placed_at) "
                + "VALUES ('O-1', 'a@example.com', '{}', 'test', 'CONFIRMED', CURRENT_TIMESTAMP)");
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void should_fail_the_transaction_when_a_notification_changed_nothing_on_an_order_not_yet_notified() {
        JdbcTemplate losing = new JdbcTemplate(db.dataSource()) {
            @Override
            public int[] batchUpdate(String sql, List<Object[]> args) {
                // the update reaches no row, as a read that misses a committed row would
                return sql.contains("notified_at = ?") ? new int[args.size()] : super.batchUpdate(sql, args);
            }
        };
        Event notified = notified("O-1");

        assertThatThrownBy(() -> db.transactions().inTransaction(() -> new OrderStatus(losing).apply(List.of(notified))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("changed nothing on order O-1");
        // rolled back: the event is not recorded, so its redelivery applies it
        assertThat(db.jdbc().queryForObject("SELECT COUNT(*) FROM order_event", Integer.class)).isZero();

        db.transactions().inTransaction(() -> new OrderStatus(db.jdbc()).apply(List.of(notified)));
        assertThat(db.jdbc().queryForObject("SELECT notification_message_id FROM orders WHERE order_id = 'O-1'", String.class))
                .isEqualTo("<O-1@test>");
    }

    @Test
    void should_accept_a_second_notification_that_changes_nothing_because_the_order_is_notified() {
        db.transactions().inTransaction(() -> new OrderStatus(db.jdbc()).apply(List.of(notified("O-1"))));
        Event another = notified("O-1");

        assertThat(db.transactions().inTransaction(() -> new OrderStatus(db.jdbc()).apply(List.of(another)))).isEmpty();
        assertThat(db.jdbc().queryForObject("SELECT COUNT(*) FROM order_event", Integer.class)).isEqualTo(2);
    }

    @Test
    void should_note_the_delivery_that_applied_an_event_and_count_a_duplicate_for_the_console() {
        Event notified = notified("O-1");
        EventConsumer consumer = new EventConsumer("order", db.transactions(), new ConsumerMetrics(new SimpleMeterRegistry()),
                new OrderStatus(db.jdbc()));

        // the third delivery applied it (two before it failed), then it came once more
        consumer.consume(List.of(new Delivery(null, "ID:1", EventJson.write(notified), 3)));
        consumer.consume(List.of(new Delivery(null, "ID:1", EventJson.write(notified), 4)));

        assertThat(db.jdbc().queryForObject("SELECT applied_at_delivery FROM order_event WHERE event_id = ?", Integer.class,
                notified.eventId())).isEqualTo(3);
        assertThat(db.jdbc().queryForObject("SELECT duplicates FROM order_event WHERE event_id = ?", Integer.class,
                notified.eventId())).isEqualTo(1);
    }

    @Test
    void should_apply_an_event_whose_batch_holds_it_twice_as_after_a_broker_failover() {
        db.jdbc().update("INSERT INTO orders (order_id, customer_email, content, source, status, placed_at) "
                + "VALUES ('O-2', 'b@example.com', '{}', 'test', 'PLACED', CURRENT_TIMESTAMP)");
        Event reserved = Event.create(Event.STOCK_RESERVED, "O-2", EventJson.MAPPER.createObjectNode());
        EventConsumer consumer = new EventConsumer("order", db.transactions(), new ConsumerMetrics(new SimpleMeterRegistry()),
                new OrderStatus(db.jdbc()));

        // the backup delivered it again while the first copy was still in the consumer's hands
        consumer.consume(List.of(new Delivery(null, "ID:1", EventJson.write(reserved), 1),
                new Delivery(null, "ID:2", EventJson.write(reserved), 1)));

        assertThat(db.jdbc().queryForObject("SELECT status FROM orders WHERE order_id = 'O-2'", String.class)).isEqualTo("CONFIRMED");
        assertThat(db.jdbc().queryForObject("SELECT duplicates FROM order_event WHERE event_id = ?", Integer.class,
                reserved.eventId())).isZero();
    }

    private static Event notified(String orderId) {
        ObjectNode data = EventJson.MAPPER.createObjectNode();
        data.put("kind", "confirmation");
        data.put("messageId", "<" + orderId + "@test>");
        data.put("recipient", "a@example.com");
        return Event.create(Event.CUSTOMER_NOTIFIED, orderId, data);
    }
}
