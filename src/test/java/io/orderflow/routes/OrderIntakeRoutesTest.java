package io.orderflow.routes;

import io.orderflow.order.OrderMessages;
import io.orderflow.outbox.Event;
import io.orderflow.support.FlowTestSupport;
import org.apache.camel.Exchange;
import org.apache.camel.builder.NotifyBuilder;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** routes/10-order-intake.yaml: orders from files and from orders.in, with the order service alone. */
class OrderIntakeRoutesTest extends FlowTestSupport {

    @Override
    protected Map<String, String> settingsOverrides() {
        return Map.of("orderflow.services", "order");
    }

    @Test
    void should_record_an_order_file_with_its_order_placed_and_move_it_to_done() throws Exception {
        String id = unique("IF");
        NotifyBuilder done = new NotifyBuilder(context).fromRoute("order-files").whenDone(1).create();
        drop("orders", id + ".json", order(id, "if@example.com", "SKU-1", "2"));
        assertThat(done.matches(30, TimeUnit.SECONDS)).isTrue();
        awaitMoved("orders", id + ".json", "done");
        assertThat(status(id)).isEqualTo("PLACED");
        assertThat(count("SELECT COUNT(*) FROM order_outbox WHERE order_id = ? AND event_type = ?", id, Event.ORDER_PLACED)).isEqualTo(1);
    }

    @Test
    void should_record_the_valid_messages_of_a_batch_and_reject_the_invalid_one_with_its_reason() throws Exception {
        String a = unique("IM");
        String b = unique("IM");
        NotifyBuilder taken = new NotifyBuilder(context).fromRoute("order-messages").whenDone(1).create();
        template.sendBody("jms:queue:orders.in", order(a, "a@example.com", "SKU-1", "1"));
        template.sendBody("jms:queue:orders.in", "{\"orderId\":\"" + unique("BAD") + "\"}");
        template.sendBody("jms:queue:orders.in", order(b, "b@example.com", "SKU-1", "1"));
        assertThat(taken.matches(30, TimeUnit.SECONDS)).isTrue();

        Exchange rejected = consumer.receive("jms:queue:orders.in.rejected", 30_000);
        assertThat(rejected).isNotNull();
        assertThat(rejected.getMessage().getHeader(OrderMessages.REJECT_REASON, String.class)).contains("customer");
        awaitStatus(a, "PLACED");
        awaitStatus(b, "PLACED");
        assertThat(Files.exists(inbox("orders"))).isTrue();
    }
}
