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
        // the search: by id, email, status and time, newest first, a page at a time
        assertThat(get("/api/orders?orderId=" + id).body()).contains("\"orderId\" : \"" + id + "\"", "\"hasMore\" : false");
        assertThat(get("/api/orders?email=api@example.com&status=CONFIRMED&limit=1").body()).contains(id);
        assertThat(get("/api/orders?email=api@example.com&status=REJECTED").body()).doesNotContain(id);
        assertThat(get("/api/orders?until=" + placedAt).body()).as("until is exclusive").doesNotContain(id);
        assertThat(get("/api/orders?status=LOST").statusCode()).isEqualTo(400);
        assertThat(get("/api/orders?since=2026-12-02T10:00:00Z&until=2026-12-01T10:00:00Z").body()).contains("inverted");
        assertThat(get("/api/orders?limit=5000").statusCode()).isEqualTo(400);
        assertThat(get("/api/orders?colour=red").body()).contains("unknown parameter 'colour'");

        HttpResponse<String> invariants = get("/observe/invariants");
        assertThat(invariants.statusCode()).isEqualTo(200);
        assertThat(invariants.body()).containsPattern("\"violations\"\\s*:\\s*\\[\\s*\\]").contains("\"checkedSince\"");
    }
}
