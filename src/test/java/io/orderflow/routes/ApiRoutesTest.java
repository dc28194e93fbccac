package io.orderflow.routes;

import io.orderflow.support.FlowTestSupport;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** routes/50-api.yaml: the read-only HTTP API. */
class ApiRoutesTest extends FlowTestSupport {

    @Test
    void should_serve_an_order_its_stock_and_the_invariants_and_answer_404_for_an_unknown_order() throws Exception {
        String sku = unique("API");
        stock("sku,quantity\n" + sku + ",4\n");
        String id = unique("API");
        drop("orders", id + ".json", order(id, "api@example.com", sku, "1"));
        awaitNotified(id);

        HttpResponse<String> order = get("/api/orders/" + id);
        assertThat(order.statusCode()).isEqualTo(200);
        assertThat(order.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        assertThat(order.body()).containsPattern("\"status\"\\s*:\\s*\"CONFIRMED\"").contains(id);

        HttpResponse<String> stock = get("/api/stock/" + sku);
        assertThat(stock.statusCode()).isEqualTo(200);
        assertThat(stock.body()).containsPattern("\"available\"\\s*:\\s*3\\b");

        assertThat(get("/api/orders/NOPE-" + id).statusCode()).isEqualTo(404);

        // as it stood at an instant: placed, not decided yet
        String placedAt = jdbc().queryForObject("SELECT placed_at FROM orders WHERE order_id = ?", java.sql.Timestamp.class, id)
                .toInstant().toString();
        HttpResponse<String> then = get("/api/orders/" + id + "?at=" + placedAt);
        assertThat(then.statusCode()).isEqualTo(200);
        assertThat(then.body()).containsPattern("\"status\"\\s*:\\s*\"PLACED\"").contains("\"at\" : \"" + placedAt)
                .contains("OrderPlaced").doesNotContain("StockReserved", "CustomerNotified");
        assertThat(get("/api/orders/" + id + "?at=" + java.time.Instant.now()).body()).contains("CONFIRMED", "CustomerNotified");
        assertThat(get("/api/orders/" + id + "?at=2020-01-01T00:00:00Z").statusCode()).as("not placed yet").isEqualTo(404);
        HttpResponse<String> malformed = get("/api/orders/" + id + "?at=yesterday");
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(malformed.body()).contains("ISO-8601 instant");
        HttpResponse<String> invariants = get("/observe/invariants");
        assertThat(invariants.statusCode()).isEqualTo(200);
        assertThat(invariants.body()).containsPattern("\"violations\"\\s*:\\s*\\[\\s*\\]").contains("\"checkedSince\"");
    }
}
