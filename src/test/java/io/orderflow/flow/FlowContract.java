package io.orderflow.flow;

import io.orderflow.contract.EventSchemas;
import io.orderflow.outbox.Event;
import io.orderflow.support.FlowTestSupport;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The whole flow, end to end, on real components: files and JMS in, events through the embedded
 * broker, emails out. Run against each database by a small subclass.
 */
abstract class FlowContract extends FlowTestSupport {

    /** The raw RFC 5322 text of the notification of this kind for the order, waiting for it. */
    protected abstract String awaitEmail(String orderId, String kind);

    /** How many emails were sent for the order. */
    protected abstract int emailsFor(String orderId);

    // ------------------------------------------------------------------ the flow

    @Test
    void should_confirm_an_order_from_a_file_reserve_its_stock_and_email_the_customer() throws Exception {
        String sku = unique("BOOK");
        stock("sku,quantity\n" + sku + ",10\n");
        String id = unique("A");
        drop("orders", id + ".json", order(id, "ann@example.com", sku, "2"));

        awaitMoved("orders", id + ".json", "done");
        awaitStatus(id, "CONFIRMED");
        awaitNotified(id);
        assertThat(stockOf(sku)).containsExactly(10, 2);
        String email = awaitEmail(id, "confirmation");
        assertThat(email).contains("Message-ID: <" + id + ".confirmation@orderflow>", "To: ann@example.com", "2 x " + sku,
                "multipart/alternative", "text/plain", "text/html");
        assertThat(count("SELECT COUNT(*) FROM order_event WHERE order_id = ?", id)).isEqualTo(3);
    }

    @Test
    void should_answer_each_of_concurrent_posts_by_its_own_order() throws Exception {
        String sku = unique("GROUP");
        stock("sku,quantity\n" + sku + ",100\n");
        // 40 requests at once: 20 distinct orders, and two
        // different orders under one id, ten times each
        String taken = unique("GT");
        List<String> bodies = new ArrayList<>();
        List<String> distinct = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            distinct.add(unique("GC"));
            bodies.add(order(distinct.get(i), "g" + i + "@example.com", sku, "1"));
            bodies.add(order(taken, (i % 2 == 0 ? "first" : "second") + "@example.com", sku, "1"));
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(20);
        List<java.util.concurrent.Future<HttpResponse<String>>> answers = new ArrayList<>();
        for (String body : bodies) {
            answers.add(pool.submit(() -> post("/api/orders", "application/json", body)));
        }
        Map<String, Map<Integer, Integer>> byContent = new HashMap<>();
        for (int i = 0; i < bodies.size(); i++) {
            HttpResponse<String> r = answers.get(i).get();
            String key = i % 2 == 0 ? "distinct" : bodies.get(i).contains("first@") ? "first" : "second";
            byContent.computeIfAbsent(key, k -> new HashMap<>()).merge(r.statusCode(), 1, Integer::sum);
        }
        pool.shutdown();
        assertThat(byContent.get("distinct")).containsExactlyEntriesOf(Map.of(201, 20));
        // whichever content came first is recorded once (one 201, its repeats 200); every request of the other gets 409
        Map<Integer, Integer> first = byContent.get("first");
        Map<Integer, Integer> second = byContent.get("second");
        Map<Integer, Integer> winner = first.containsKey(201) ? first : second;
        Map<Integer, Integer> loser = winner == first ? second : first;
        assertThat(winner).containsExactlyInAnyOrderEntriesOf(Map.of(201, 1, 200, 9));
        assertThat(loser).containsExactlyEntriesOf(Map.of(409, 10));
        for (String id : distinct) {
            awaitNotified(id);
        }
        awaitNotified(taken);
        assertThat(count("SELECT COUNT(*) FROM order_event WHERE order_id = ? AND event_type = 'OrderPlaced'", taken)).isEqualTo(1);
    }

    @Test
    void should_take_an_order_over_http_once_whoever_posts_it_and_answer_each_problem_with_its_status() throws Exception {
        String sku = unique("HTTP");
        stock("sku,quantity\n" + sku + ",5\n");
        String id = unique("H");
        String body = order(id, "h@example.com", sku, "1");
        // 100 POSTs of one order from 10 threads at once: one records it, 99 find it recorded
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(10);
        List<java.util.concurrent.Future<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            answers.add(pool.submit(() -> post("/api/orders", "application/json", body)));
        }
        Map<Integer, Integer> byStatus = new HashMap<>();
        for (var a : answers) {
            HttpResponse<String> r = a.get();
            byStatus.merge(r.statusCode(), 1, Integer::sum);
            assertThat(r.headers().firstValue("Location")).hasValue("/api/orders/" + id);
        }
        pool.shutdown();
        assertThat(byStatus).containsExactlyInAnyOrderEntriesOf(Map.of(201, 1, 200, 99));
        awaitNotified(id);
        assertThat(count("SELECT COUNT(*) FROM order_event WHERE order_id = ? AND event_type = 'OrderPlaced'", id)).isEqualTo(1);
        assertThat(stockOf(sku)).containsExactly(5, 1);

        HttpResponse<String> conflict = post("/api/orders", "application/json", order(id, "h@example.com", sku, "2"));
        assertThat(conflict.statusCode()).isEqualTo(409);
        assertThat(conflict.body()).contains("conflicts", id);
        HttpResponse<String> invalid = post("/api/orders", "application/json", "{\"orderId\":\"" + unique("H") + "\",\"lines\":[]}");
        assertThat(invalid.statusCode()).isEqualTo(400);
        assertThat(invalid.body()).contains("problems", "customer", "lines");
        assertThat(post("/api/orders", "application/json", "[" + body + "]").body()).contains("one order per request");
        assertThat(post("/api/orders", "application/json", "").statusCode()).isEqualTo(400);
        assertThat(post("/api/orders", "text/plain", body).statusCode()).isEqualTo(415);
        HttpResponse<String> tooLarge = post("/api/orders", "application/json", " ".repeat(10 * 1024 * 1024 + 1));
        assertThat(tooLarge.statusCode()).isEqualTo(413);
        assertThat(tooLarge.body()).contains("over the limit of 1000000 bytes");
    }

    @Test
    void should_refuse_an_mqtt_client_with_a_connack_that_says_the_server_is_unavailable() throws Exception {
        // MQTT 3.1.1 CONNECT, clean session, client id "mqtt"
        byte[] connect = {0x10, 16, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60, 0, 4, 'm', 'q', 't', 't'};
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", brokerPort)) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(connect);
            socket.getOutputStream().flush();
            // CONNACK (0x20, length 2, no session, return code 3 "server unavailable"), then the broker closes the connection
            assertThat(socket.getInputStream().readAllBytes()).containsExactly(0x20, 2, 0, 3);
        }
    }

    @Test
    void should_answer_408_and_close_when_a_posted_body_does_not_arrive_within_the_read_timeout() throws Exception {
        String id = unique("SLOW");
        String body = order(id, "slow@example.com", unique("SKU"), "1");
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", httpPort)) {
            socket.setSoTimeout(30_000);
            // the headers and half the body, then nothing more: a client stalled, or one trickling its body in
            String head = "POST /api/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length() + "\r\n\r\n" + body.substring(0, body.length() / 2);
            socket.getOutputStream().write(head.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
            // read to the end: the server closes the connection after its answer
            String answer = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 408").contains("did not arrive within 1500 ms", "orderflow.http.read-timeout-ms");
        }
        assertThat(get("/api/orders/" + id).statusCode()).isEqualTo(404);
        assertThat(count("SELECT COUNT(*) FROM orders WHERE order_id = ?", id)).isZero();
    }

    @Test
    void should_emit_every_event_as_its_published_schema_describes() throws Exception {
        String sku = unique("SCHEMA");
        stock("sku,quantity\n" + sku + ",1\n");
        String confirmed = unique("SC");
        String rejected = unique("SR");
        drop("orders", confirmed + ".json", order(confirmed, "sc@example.com", sku, "1"));
        awaitNotified(confirmed);
        drop("orders", rejected + ".json", order(rejected, "sr@example.com", sku, "1", unique("NOPE"), "2"));
        awaitNotified(rejected);

        assertThat(new EventSchemas().assertEveryOutboxEventConforms(jdbc()))
                .contains(Event.ORDER_PLACED, Event.STOCK_RESERVED, Event.OUT_OF_STOCK, Event.CUSTOMER_NOTIFIED);

        // the contract as the API serves it, its relative references resolving against the API too
        HttpResponse<String> asyncapi = get("/api/contract/asyncapi.yaml");
        assertThat(asyncapi.statusCode()).isEqualTo(200);
        assertThat(asyncapi.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/yaml"));
        assertThat(asyncapi.body()).startsWith("asyncapi: 3.0.0").contains("'events/OutOfStock.v1.schema.json'", "'../schema/order.schema.json'");
        assertThat(get("/api/contract/events/OutOfStock.v1.schema.json").body()).contains("\"const\": \"OutOfStock\"");
        assertThat(get("/api/schema/order.schema.json").body()).contains("\"orderId\"");
        assertThat(get("/api/contract/events/Nothing.v1.schema.json").statusCode()).isEqualTo(404);
        assertThat(get("/api/contract/%2e%2e/application.properties").statusCode()).isEqualTo(404);
    }

    @Test
    void should_reject_an_order_out_of_stock_naming_each_missing_item() throws Exception {
        String sku = unique("MUG");
        String unknown = unique("NOPE");
        stock("sku,quantity\n" + sku + ",3\n");
        String id = unique("B");
        drop("orders", id + ".json", order(id, "bob@example.com", sku, "5", unknown, "1"));

        awaitStatus(id, "REJECTED");
        assertThat(jdbc().queryForObject("SELECT rejection_reason FROM orders WHERE order_id = ?", String.class, id))
                .contains(sku + " (ordered 5, available 3)", unknown + " (ordered 1, available 0, unknown SKU)");
        assertThat(stockOf(sku)).containsExactly(3, 0);
        String email = awaitEmail(id, "out-of-stock");
        assertThat(email).contains(sku + ": ordered 5, available 3");
        awaitNotified(id);
    }

    @Test
    void should_accept_every_order_of_an_array_file_or_none() throws Exception {
        String sku = unique("PEN");
        stock("sku,quantity\n" + sku + ",100\n");
        String good = unique("C");
        String bad = unique("C");
        String name = unique("mixed") + ".json";
        drop("orders", name, "[" + order(good, "c@example.com", sku, "1") + "," + order(bad, "c@example.com", sku, "0") + "]");

        awaitMoved("orders", name, "error");
        String report = Files.readString(dataDir.resolve("orders/error/" + name + ".error.txt"));
        assertThat(report).contains("order #2 (orderId " + bad + ")", "/lines/0/quantity");
        assertThat(status(good)).isNull();
        assertThat(status(bad)).isNull();

        String both = unique("both") + ".json";
        String second = unique("C");
        drop("orders", both, "[" + order(good, "c@example.com", sku, "1") + "," + order(second, "c@example.com", sku, "2") + "]");
        awaitStatus(good, "CONFIRMED");
        awaitStatus(second, "CONFIRMED");
        assertThat(stockOf(sku)).containsExactly(100, 3);
    }

    @Test
    void should_ignore_the_same_order_submitted_again_and_reject_a_different_one_with_its_id() throws Exception {
        String sku = unique("CUP");
        stock("sku,quantity\n" + sku + ",10\n");
        String id = unique("D");
        drop("orders", "first.json", order(id, "d@example.com", sku, "1"));
        awaitNotified(id);

        drop("orders", "again.json", order(id, "d@example.com", sku, "1"));
        awaitMoved("orders", "again.json", "done");
        drop("orders", "first.json", order(id, "d@example.com", sku, "1"));
        // the same name is already in done/: the second one gets a unique suffix, nothing is overwritten
        await().atMost(TIMEOUT).until(() -> {
            try (var files = Files.list(dataDir.resolve("orders/done"))) {
                return files.filter(f -> f.getFileName().toString().startsWith("first.")).count() == 2;
            }
        });

        drop("orders", "changed.json", order(id, "d@example.com", sku, "7"));
        awaitMoved("orders", "changed.json", "error");
        assertThat(Files.readString(dataDir.resolve("orders/error/changed.json.error.txt")))
                .contains("orderId " + id + " conflicts");

        assertThat(count("SELECT COUNT(*) FROM order_outbox WHERE order_id = ?", id)).isEqualTo(1);
        assertThat(stockOf(sku)).containsExactly(10, 1);
        assertThat(emailsFor(id)).isEqualTo(1);
    }

    @Test
    void should_apply_a_stock_count_file_twice_without_changing_anything() throws Exception {
        String sku = unique("LAMP");
        stock("sku,quantity\n" + sku + ",5\n");
        String id = unique("E");
        drop("orders", id + ".json", order(id, "e@example.com", sku, "2"));
        awaitStatus(id, "CONFIRMED");
        stock("sku,quantity\n" + sku + ",5\n");
        stock("sku,quantity\n" + sku + ",5\n");
        assertThat(stockOf(sku)).containsExactly(5, 2);
        assertThat(get("/api/stock/" + sku).body()).contains("\"available\" : 3");
    }

    @Test
    void should_take_orders_from_jms_and_move_invalid_messages_to_the_rejected_queue() throws Exception {
        String sku = unique("JMS");
        stock("sku,quantity\n" + sku + ",5\n");
        String id = unique("F");
        template.sendBody("jms:queue:orders.in", order(id, "f@example.com", sku, "4"));
        awaitStatus(id, "CONFIRMED");
        awaitEmail(id, "confirmation");

        String invalid = "{\"orderId\":\"" + unique("G") + "\",\"lines\":[]}";
        template.sendBodyAndHeader("jms:queue:orders.in", invalid, "shop", "test-shop");
        Exchange rejected = consumer.receive("jms:queue:orders.in.rejected", 20_000);
        assertThat(rejected).isNotNull();
        assertThat(rejected.getIn().getBody(String.class)).isEqualTo(invalid);
        assertThat(rejected.getIn().getHeader("rejectReason", String.class)).contains("customer", "lines");
        assertThat(rejected.getIn().getHeader("shop", String.class)).isEqualTo("test-shop");

        // UTF-8 bytes are an order too: AMQP data sections and STOMP frames with a content-length arrive so
        String asBytes = unique("FB");
        template.sendBody("jms:queue:orders.in", order(asBytes, "fb@example.com", sku, "1").getBytes(StandardCharsets.UTF_8));
        awaitStatus(asBytes, "CONFIRMED");

        template.sendBody("jms:queue:orders.in", new byte[] {(byte) 0xC3, 0x28});
        Exchange bytes = consumer.receive("jms:queue:orders.in.rejected", 20_000);
        assertThat(bytes.getIn().getHeader("rejectReason", String.class)).contains("not valid UTF-8");

        template.sendBody("jms:queue:orders.in", Map.of("orderId", "X-1"));
        Exchange map = consumer.receive("jms:queue:orders.in.rejected", 20_000);
        assertThat(map.getIn().getHeader("rejectReason", String.class)).contains("map message");

        template.sendBody("jms:queue:orders.in", "");
        Exchange empty = consumer.receive("jms:queue:orders.in.rejected", 20_000);
        assertThat(empty.getIn().getHeader("rejectReason", String.class)).contains("empty");

        template.sendBody("jms:queue:orders.in", "[" + order(unique("ARR"), "a@example.com", sku, "1") + "]");
        Exchange array = consumer.receive("jms:queue:orders.in.rejected", 20_000);
        assertThat(array.getIn().getHeader("rejectReason", String.class)).contains("one order per message");
    }

    @Test
    void should_apply_a_duplicated_event_once() throws Exception {
        String sku = unique("DUP");
        stock("sku,quantity\n" + sku + ",10\n");
        String id = unique("H");
        drop("orders", id + ".json", order(id, "h@example.com", sku, "3"));
        awaitNotified(id);
        String placed = jdbc().queryForObject("SELECT payload FROM order_outbox WHERE order_id = ?", String.class, id);

        // the same OrderPlaced delivered twice more (no broker duplicate-detection id: as if the broker had lost it)
        Map<String, Object> headers = new HashMap<>();
        headers.put("eventType", Event.ORDER_PLACED);
        headers.put("JMSXGroupID", id);
        template.sendBodyAndHeaders("jms:topic:orderflow.events", placed, headers);
        template.sendBodyAndHeaders("jms:topic:orderflow.events", placed, headers);

        await().atMost(TIMEOUT).until(() -> meter("orderflow_events_duplicates_total", "service=\"stock\"") >= 2);
        assertThat(stockOf(sku)).containsExactly(10, 3);
        // the order's events show it, for the console's timeline
        assertThat(get("/api/orders/" + id).body().replaceAll("\\s", "")).contains("\"duplicatesSkipped\":{\"stock\":2}");
        assertThat(count("SELECT COUNT(*) FROM stock_outbox WHERE order_id = ?", id)).isEqualTo(1);
        assertThat(emailsFor(id)).isEqualTo(1);
    }

    @Test
    void should_reach_the_same_status_whatever_the_order_of_the_events() throws Exception {
        String id = unique("I");
        String sku = unique("ORD");
        stock("sku,quantity\n" + sku + ",1\n");
        // an order placed while stock was counted at 1; its decision and notification arrive reversed
        drop("orders", id + ".json", order(id, "i@example.com", sku, "1"));
        awaitNotified(id);
        String placedAt = jdbc().queryForObject("SELECT status FROM orders WHERE order_id = ?", String.class, id);
        assertThat(placedAt).isEqualTo("CONFIRMED");

        String other = unique("J");
        jdbc().update("INSERT INTO orders (order_id, customer_email, content, source, status, placed_at) "
                + "VALUES (?, 'j@example.com', '{}', 'test', 'PLACED', CURRENT_TIMESTAMP)", other);
        String notified = event(Event.CUSTOMER_NOTIFIED, other, "2026-01-01T00:00:01Z",
                "{\"kind\":\"confirmation\",\"messageId\":\"<" + other + ".confirmation@orderflow>\",\"recipient\":\"j@example.com\"}");
        String reserved = event(Event.STOCK_RESERVED, other, "2026-01-01T00:00:00Z",
                "{\"customer\":{\"email\":\"j@example.com\"},\"lines\":[]}");
        template.sendBodyAndHeader("jms:topic:orderflow.events::orderflow.events.order", notified, "eventType", "CustomerNotified");
        template.sendBodyAndHeader("jms:topic:orderflow.events::orderflow.events.order", reserved, "eventType", "StockReserved");
        awaitStatus(other, "CONFIRMED");
        awaitNotified(other);
    }

    @Test
    void should_park_an_unreadable_event_on_the_dead_letter_queue_with_its_reason() {
        template.sendBodyAndHeader("jms:topic:orderflow.events", "{not json", "eventType", Event.ORDER_PLACED);
        Exchange parked = consumer.receive("jms:queue:orderflow.dead-letter", 20_000);
        assertThat(parked).isNotNull();
        assertThat(parked.getIn().getBody(String.class)).isEqualTo("{not json");
        assertThat(parked.getIn().getHeader("failureReason", String.class)).contains("not valid JSON");
        assertThat(parked.getIn().getHeader("failedRoute", String.class)).isEqualTo("stock-reservation");
    }

    @Test
    void should_serve_orders_and_stock_over_http() throws Exception {
        String sku = unique("API");
        stock("sku,quantity\n" + sku + ",2\n");
        String id = unique("K");
        drop("orders", id + ".json", order(id, "k@example.com", sku, "1"));
        awaitNotified(id);
        HttpResponse<String> order = get("/api/orders/" + id);
        assertThat(order.statusCode()).isEqualTo(200);
        assertThat(order.body()).contains("\"status\" : \"CONFIRMED\"", "\"OrderPlaced\"", "\"StockReserved\"", "\"CustomerNotified\"");
        assertThat(get("/api/orders/no-such-order").statusCode()).isEqualTo(404);
        assertThat(get("/api/stock/no-such-sku").statusCode()).isEqualTo(404);
        // no orderflow.admin.token: the admin endpoints are off
        assertThat(get("/admin/dead-letters").statusCode()).isEqualTo(404);
        assertThat(get("/observe/health").body()).contains("UP");
        assertThat(get("/observe/metrics").body()).contains("orderflow_orders_accepted_total", "orderflow_outbox_backlog");
    }

    @Test
    void should_reject_a_stock_file_with_a_bad_row_and_apply_none_of_it() throws Exception {
        String sku = unique("ROW");
        String name = unique("bad-stock") + ".csv";
        drop("stock", name, "sku,quantity\n" + sku + ",5\nBAD SKU,1\n" + sku + "-2,-3\n");
        awaitMoved("stock", name, "error");
        assertThat(Files.readString(dataDir.resolve("stock/error/" + name + ".error.txt")))
                .contains("line 3", "BAD SKU", "line 4", "-3");
        assertThat(stockOf(sku)).isNull();
    }

    @Test
    void should_reject_an_empty_file_and_a_file_over_the_size_limit_without_reading_it() throws Exception {
        drop("orders", "empty.json", "");
        awaitMoved("orders", "empty.json", "error");
        assertThat(Files.readString(dataDir.resolve("orders/error/empty.json.error.txt"))).contains("empty");

        Path big = inbox("orders").resolve(".big.json.part");
        try (var out = Files.newOutputStream(big)) {
            byte[] chunk = new byte[64 * 1024];
            java.util.Arrays.fill(chunk, (byte) ' ');
            for (int i = 0; i < 20; i++) {
                out.write(chunk);
            }
        }
        Files.move(big, inbox("orders").resolve("big.json"));
        awaitMoved("orders", "big.json", "error");
        assertThat(Files.readString(dataDir.resolve("orders/error/big.json.error.txt")))
                .contains("1310720 bytes", "orderflow.orders.max-file-size");
    }

    @Test
    void should_reject_an_order_message_over_the_size_limit_without_reading_it() throws Exception {
        String id = unique("BIG");
        // a valid order padded past the limit (1,000,000 bytes here) with whitespace
        String big = order(id, "big@example.com", "ANY-1", "1") + " ".repeat(1_200_000);
        template.sendBody("jms:queue:orders.in", big);
        Exchange rejected = consumer.receive("jms:queue:orders.in.rejected", 30_000);
        assertThat(rejected).isNotNull();
        assertThat(rejected.getIn().getHeader("rejectReason", String.class))
                .contains("over the limit of 1000000 bytes", "orderflow.orders.max-file-size", "unread");
        assertThat(rejected.getIn().getBody(String.class)).isEqualTo(big);

        // over the limit, but not so far that the broker can tell: the consumer rejects it on its size
        String over = order(id, "big@example.com", "ANY-1", "1") + " ".repeat(1_000_000);
        template.sendBody("jms:queue:orders.in", over);
        rejected = consumer.receive("jms:queue:orders.in.rejected", 30_000);
        assertThat(rejected).isNotNull();
        assertThat(rejected.getIn().getHeader("rejectReason", String.class))
                .contains("over the limit of 1000000 bytes", "orderflow.orders.max-file-size");
        assertThat(status(id)).isNull();
    }

    @Test
    void should_ignore_an_order_message_sent_twice() throws Exception {
        String sku = unique("TWICE");
        stock("sku,quantity\n" + sku + ",10\n");
        String id = unique("L");
        template.sendBody("jms:queue:orders.in", order(id, "l@example.com", sku, "2"));
        template.sendBody("jms:queue:orders.in", order(id, "l@example.com", sku, "2"));
        awaitNotified(id);
        await().atMost(TIMEOUT).until(() -> meter("orderflow_orders_duplicates_total", "") >= 1);
        assertThat(count("SELECT COUNT(*) FROM order_outbox WHERE order_id = ?", id)).isEqualTo(1);
        assertThat(stockOf(sku)).containsExactly(10, 2);
        assertThat(consumer.receiveNoWait("jms:queue:orders.in.rejected")).isNull();
    }

    @Test
    void should_record_one_notification_and_one_status_change_for_duplicated_events() throws Exception {
        String sku = unique("NOTE");
        stock("sku,quantity\n" + sku + ",10\n");
        String id = unique("N");
        drop("orders", id + ".json", order(id, "n@example.com", sku, "1"));
        awaitNotified(id);
        String decision = jdbc().queryForObject("SELECT payload FROM stock_outbox WHERE order_id = ?", String.class, id);
        String notified = jdbc().queryForObject("SELECT payload FROM email_outbox WHERE order_id = ?", String.class, id);
        double emailDuplicates = meter("orderflow_events_duplicates_total", "service=\"email\"");
        double orderDuplicates = meter("orderflow_events_duplicates_total", "service=\"order\"");

        template.sendBodyAndHeader("jms:topic:orderflow.events", decision, "eventType", Event.STOCK_RESERVED);
        template.sendBodyAndHeader("jms:topic:orderflow.events", notified, "eventType", Event.CUSTOMER_NOTIFIED);

        await().atMost(TIMEOUT).until(() -> meter("orderflow_events_duplicates_total", "service=\"email\"") > emailDuplicates
                && meter("orderflow_events_duplicates_total", "service=\"order\"") >= orderDuplicates + 2);
        assertThat(count("SELECT COUNT(*) FROM email_notification WHERE order_id = ?", id)).isEqualTo(1);
        assertThat(count("SELECT COUNT(*) FROM email_outbox WHERE order_id = ?", id)).isEqualTo(1);
        assertThat(count("SELECT COUNT(*) FROM order_event WHERE order_id = ?", id)).isEqualTo(3);
        assertThat(emailsFor(id)).isEqualTo(1);
    }

    @Test
    void should_park_an_event_that_keeps_failing_after_a_few_attempts_without_holding_up_other_orders() throws Exception {
        String sku = unique("POISON");
        stock("sku,quantity\n" + sku + ",100\n");
        String poisoned = unique("P");
        // an OrderPlaced whose reservation violates a constraint every time: a negative quantity
        String poison = event(Event.ORDER_PLACED, poisoned, "2026-01-01T00:00:00Z",
                "{\"customer\":{\"email\":\"p@example.com\"},\"lines\":[{\"sku\":\"" + sku + "\",\"quantity\":-5}]}");
        Map<String, Object> headers = new HashMap<>();
        headers.put("eventType", Event.ORDER_PLACED);
        headers.put("orderId", poisoned);
        headers.put("JMSXGroupID", poisoned);
        template.sendBodyAndHeaders("jms:topic:orderflow.events", poison, headers);

        String healthy = unique("Q");
        drop("orders", healthy + ".json", order(healthy, "q@example.com", sku, "1"));
        awaitNotified(healthy);

        Exchange parked = consumer.receive("jms:queue:orderflow.dead-letter?selector=orderId='" + poisoned + "'", 30_000);
        assertThat(parked).isNotNull();
        assertThat(parked.getIn().getBody(String.class)).isEqualTo(poison);
        assertThat(parked.getIn().getHeader("failureReason", String.class)).containsIgnoringCase("reserved");
        assertThat(parked.getIn().getHeader("deliveryAttempts", Integer.class))
                .isEqualTo(Integer.parseInt(settings.get("orderflow.retry.max-attempts")));
        assertThat(stockOf(sku)).containsExactly(100, 1);
    }

    @Test
    void should_park_the_one_unreadable_event_of_a_batch_of_a_hundred_and_apply_the_other_ninety_nine() throws Exception {
        String sku = unique("BATCH");
        stock("sku,quantity\n" + sku + ",1000\n");
        // held back, so that the stock service finds all hundred waiting and takes them as one batch
        context.getRouteController().stopRoute("stock-reservation");
        List<String> orders = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            String id = unique("B" + i);
            // orders the order service knows, as if placed through it, so their decisions apply there too
            jdbc().update("INSERT INTO orders (order_id, customer_email, content, source, status, placed_at) "
                    + "VALUES (?, 'b@example.com', '{}', 'test', 'PLACED', CURRENT_TIMESTAMP)", id);
            Map<String, Object> headers = new HashMap<>();
            headers.put("eventType", Event.ORDER_PLACED);
            headers.put("orderId", id);
            headers.put("JMSXGroupID", id);
            String body = i == 50 ? "{not json" : event(Event.ORDER_PLACED, id, "2026-01-01T00:00:00Z",
                    "{\"customer\":{\"email\":\"b@example.com\"},\"lines\":[{\"sku\":\"" + sku + "\",\"quantity\":1}]}");
            template.sendBodyAndHeaders("jms:topic:orderflow.events", body, headers);
            if (i != 50) {
                orders.add(id);
            }
        }
        context.getRouteController().startRoute("stock-reservation");

        Exchange parked = consumer.receive("jms:queue:orderflow.dead-letter", 30_000);
        assertThat(parked).isNotNull();
        assertThat(parked.getIn().getBody(String.class)).isEqualTo("{not json");
        assertThat(parked.getIn().getHeader("failureReason", String.class)).contains("not valid JSON");
        await().atMost(TIMEOUT).until(() -> count("SELECT COUNT(*) FROM stock_reservation WHERE sku = ?", sku) == 99);
        for (String id : orders) {
            assertThat(count("SELECT COUNT(*) FROM stock_outbox WHERE order_id = ? AND event_type = 'StockReserved'", id)).isEqualTo(1);
        }
        assertThat(stockOf(sku)).containsExactly(1000, 99);
        for (String id : orders) {
            awaitStatus(id, "CONFIRMED");
        }
        assertThat(consumer.receiveNoWait("jms:queue:orderflow.dead-letter")).isNull();
    }

    @Test
    void should_carry_the_senders_trace_id_through_every_event_into_the_timeline_the_logs_and_the_email() throws Exception {
        String sku = unique("TRACE");
        stock("sku,quantity\n" + sku + ",10\n");
        String id = unique("TR");
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        template.sendBodyAndHeader("jms:queue:orders.in", order(id, "tr@example.com", sku, "1"), "traceparent",
                "00-" + traceId + "-00f067aa0ba902b7-01");
        awaitNotified(id);

        String order = get("/api/orders/" + id).body();
        assertThat(order.split("\"traceId\" : \"" + traceId + "\"", -1)).as("the order and its three events").hasSize(5);
        for (String table : new String[] {"order_outbox", "stock_outbox", "email_outbox"}) {
            assertThat(jdbc().queryForObject("SELECT payload FROM " + table + " WHERE order_id = ?", String.class, id))
                    .contains("\"traceId\":\"" + traceId + "\"");
        }
        assertThat(awaitEmail(id, "confirmation")).contains("X-Orderflow-Trace-Id: " + traceId);

        // the log lines about the order carry it: a duplicate's INFO line, for one
        ch.qos.logback.classic.Logger log = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
                io.orderflow.observe.ConsumerMetrics.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines = new ch.qos.logback.core.read.ListAppender<>();
        lines.start();
        log.addAppender(lines);
        try {
            String placed = jdbc().queryForObject("SELECT payload FROM order_outbox WHERE order_id = ?", String.class, id);
            template.sendBodyAndHeader("jms:topic:orderflow.events::orderflow.events.stock", placed, "eventType", Event.ORDER_PLACED);
            await().atMost(TIMEOUT).until(() -> lines.list.stream().anyMatch(e -> e.getFormattedMessage().contains(id)));
            assertThat(lines.list.stream().filter(e -> e.getFormattedMessage().contains(id)).findFirst().orElseThrow()
                    .getMDCPropertyMap()).containsEntry("traceId", traceId).containsEntry("orderId", id);
        } finally {
            log.detachAppender(lines);
        }

        // an order that comes without a trace starts its own
        String other = unique("TR");
        drop("orders", other + ".json", order(other, "tr@example.com", sku, "1"));
        awaitNotified(other);
        String generated = jdbc().queryForObject("SELECT trace_id FROM orders WHERE order_id = ?", String.class, other);
        assertThat(generated).matches("[0-9a-f]{32}");
        assertThat(jdbc().queryForObject("SELECT payload FROM email_outbox WHERE order_id = ?", String.class, other)).contains(generated);
    }

    protected double meter(String name, String tag) throws Exception {
        String body = get("/observe/metrics").body();
        return body.lines().filter(l -> l.startsWith(name) && l.contains(tag)).mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }
}
