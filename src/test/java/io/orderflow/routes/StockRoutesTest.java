package io.orderflow.routes;

import io.orderflow.outbox.Event;
import io.orderflow.support.FlowTestSupport;
import org.apache.camel.builder.NotifyBuilder;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** routes/20-stock.yaml: stock counts from files and reservations from OrderPlaced, with the stock service alone. */
class StockRoutesTest extends FlowTestSupport {

    @Override
    protected Map<String, String> settingsOverrides() {
        return Map.of("orderflow.services", "stock");
    }

    @Test
    void should_reserve_every_line_of_an_order_or_none_and_emit_the_decision() throws Exception {
        String a = unique("SA");
        String b = unique("SB");
        stock("sku,quantity\n" + a + ",5\n" + b + ",1\n");
        assertThat(stockOf(a)).containsExactly(5, 0);

        NotifyBuilder applied = new NotifyBuilder(context).fromRoute("stock-reservation").whenCompleted(2).create();
        // the two orders are independent of each other's outcome, whichever is applied first
        String fits = unique("SF");
        String short_ = unique("SS");
        template.sendBodyAndHeader("jms:topic:orderflow.events::orderflow.events.stock", placed(fits, a, 2, b, 1), "eventType", Event.ORDER_PLACED);
        template.sendBodyAndHeader("jms:topic:orderflow.events::orderflow.events.stock", placed(short_, a, 1, b, 2), "eventType", Event.ORDER_PLACED);
        assertThat(applied.matches(30, TimeUnit.SECONDS)).isTrue();

        assertThat(awaitEvent("email", fits).getMessage().getHeader("eventType")).isEqualTo(Event.STOCK_RESERVED);
        var out = awaitEvent("email", short_);
        assertThat(out.getMessage().getHeader("eventType")).isEqualTo(Event.OUT_OF_STOCK);
        assertThat(out.getMessage().getBody(String.class)).contains(b);
        // the second order reserved nothing, not even the line that was available
        assertThat(stockOf(a)).containsExactly(5, 2);
        assertThat(stockOf(b)).containsExactly(1, 1);
    }

    private static String placed(String orderId, String sku1, int q1, String sku2, int q2) throws Exception {
        return event(Event.ORDER_PLACED, orderId, "2026-01-01T00:00:00Z", "{\"customer\":{\"name\":\"S\",\"email\":\"s@example.com\"},"
                + "\"lines\":[{\"sku\":\"" + sku1 + "\",\"quantity\":" + q1 + "},{\"sku\":\"" + sku2 + "\",\"quantity\":" + q2 + "}]}");
    }
}
