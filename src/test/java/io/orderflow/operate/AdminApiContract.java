package io.orderflow.operate;

import com.fasterxml.jackson.databind.JsonNode;
import io.orderflow.outbox.Event;
import io.orderflow.outbox.EventJson;
import io.orderflow.support.FlowTestSupport;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The admin API on the real flow: listing, showing, retrying and discarding parked events and
 * rejected order messages; replaying the event history; the token, the audit, and bad requests
 * that change nothing.
 * Run against each database by a small subclass.
 */
abstract class AdminApiContract extends FlowTestSupport {

    static final String TOKEN = "test-admin-token-0123456789";

    protected Map<String, String> databaseSettings() {
        return Map.of();
    }

    @Override
    protected Map<String, String> settingsOverrides() {
        Map<String, String> s = new HashMap<>(databaseSettings());
        s.put("orderflow.admin.token", TOKEN);
        return s;
    }

    @Test
    void should_refuse_admin_calls_without_the_token_and_change_nothing() throws Exception {
        String id = unique("TOK");
        park("{not json", id);

        assertThat(call("GET", "/admin/dead-letters", null, null).statusCode()).isEqualTo(401);
        assertThat(call("GET", "/admin/dead-letters", null, "wrong-token-0123456789").statusCode()).isEqualTo(401);
        HttpResponse<String> refused = call("POST", "/admin/dead-letters/discard",
                "{\"filter\":{\"orderId\":\"" + id + "\"},\"reason\":\"no\"}", "wrong-token-0123456789");
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(refused.headers().firstValue("WWW-Authenticate")).contains("Bearer");

        JsonNode list = json(admin("GET", "/admin/dead-letters?orderId=" + id, null));
        assertThat(list.get("total").asInt()).isEqualTo(1);
        // read-only endpoints stay open
        assertThat(get("/observe/health").statusCode()).isIn(200, 503);
    }

    @Test
    void should_list_show_retry_and_discard_a_parked_event_and_audit_it() throws Exception {
        String id = unique("DL");
        park("{not json", id);

        JsonNode list = json(admin("GET", "/admin/dead-letters?source=orderflow.dead-letter&eventType=OrderPlaced&orderId=" + id
                + "&reason=" + URLEncoder.encode("not valid JSON", StandardCharsets.UTF_8), null));
        assertThat(list.get("total").asInt()).isEqualTo(1);
        JsonNode letter = list.get("deadLetters").get(0);
        assertThat(letter.get("source").asText()).isEqualTo("orderflow.dead-letter");
        assertThat(letter.get("retryTo").asText()).isEqualTo("orderflow.events::orderflow.events.stock");
        assertThat(letter.get("orderId").asText()).isEqualTo(id);
        assertThat(letter.get("reason").asText()).contains("not valid JSON");
        assertThat(letter.has("body")).isFalse();
        String letterId = letter.get("id").asText();
        assertThat(json(admin("GET", "/admin/dead-letters?orderId=" + id + "&olderThan=PT1H", null)).get("total").asInt()).isZero();
        assertThat(get("/observe/metrics").body().lines().filter(l -> l.startsWith("orderflow_dead_letters{source=\"orderflow.dead-letter\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum()).isGreaterThanOrEqualTo(1);

        JsonNode shown = json(admin("GET", "/admin/dead-letters/" + URLEncoder.encode(letterId, StandardCharsets.UTF_8), null));
        assertThat(shown.get("body").asText()).isEqualTo("{not json");
        assertThat(shown.get("properties").get("failedRoute").asText()).isEqualTo("stock-reservation");

        // retried: still unreadable, so it is parked again, as a new dead letter with a fresh reason
        JsonNode retried = json(admin("POST", "/admin/dead-letters/retry", "{\"ids\":[\"" + letterId + "\"]}"));
        assertThat(retried.get("count").asInt()).isEqualTo(1);
        await().atMost(TIMEOUT).until(() -> {
            JsonNode again = json(admin("GET", "/admin/dead-letters?orderId=" + id, null));
            return again.get("total").asInt() == 1 && !again.get("deadLetters").get(0).get("id").asText().equals(letterId);
        });
        JsonNode parkedAgain = json(admin("GET", "/admin/dead-letters?orderId=" + id, null)).get("deadLetters").get(0);
        assertThat(json(admin("GET", "/admin/dead-letters/" + URLEncoder.encode(parkedAgain.get("id").asText(), StandardCharsets.UTF_8), null))
                .get("properties").get("retriedFrom").asText()).isEqualTo(letterId);

        JsonNode discarded = json(admin("POST", "/admin/dead-letters/discard",
                "{\"filter\":{\"orderId\":\"" + id + "\"},\"reason\":\"garbage from a test producer\"}"));
        assertThat(discarded.get("count").asInt()).isEqualTo(1);
        assertThat(json(admin("GET", "/admin/dead-letters?orderId=" + id, null)).get("total").asInt()).isZero();

        assertThat(count("SELECT COUNT(*) FROM admin_audit WHERE order_id = ? AND action = 'RETRY' "
                + "AND moved_to = 'orderflow.events::orderflow.events.stock'", id)).isEqualTo(1);
        assertThat(jdbc().queryForObject("SELECT reason FROM admin_audit WHERE order_id = ? AND action = 'DISCARD'", String.class, id))
                .isEqualTo("garbage from a test producer");
        JsonNode audit = json(admin("GET", "/admin/audit?limit=10", null));
        assertThat(audit.get("records").toString()).contains(id, "DISCARD", "garbage from a test producer");
    }

    @Test
    void should_count_a_retried_event_that_was_already_applied_as_a_duplicate_and_change_nothing() throws Exception {
        String sku = unique("DUPDL");
        stock("sku,quantity\n" + sku + ",10\n");
        String id = unique("DA");
        drop("orders", id + ".json", order(id, "da@example.com", sku, "3"));
        awaitNotified(id);
        String placed = jdbc().queryForObject("SELECT payload FROM order_outbox WHERE order_id = ?", String.class, id);
        // as if it had been parked on a database failure that has since passed, after it was applied
        Map<String, Object> headers = new HashMap<>();
        headers.put("eventType", Event.ORDER_PLACED);
        headers.put("orderId", id);
        headers.put("failedQueue", "orderflow.events::orderflow.events.stock");
        headers.put("failureReason", "a test's reason");
        template.sendBodyAndHeaders("jms:queue:orderflow.dead-letter", placed, headers);
        double duplicates = meter("service=\"stock\"");

        JsonNode retried = json(admin("POST", "/admin/dead-letters/retry", "{\"filter\":{\"orderId\":\"" + id + "\"}}"));
        assertThat(retried.get("count").asInt()).isEqualTo(1);

        await().atMost(TIMEOUT).until(() -> meter("service=\"stock\"") > duplicates);
        assertThat(stockOf(sku)).containsExactly(10, 3);
        assertThat(count("SELECT COUNT(*) FROM stock_outbox WHERE order_id = ?", id)).isEqualTo(1);
        assertThat(json(admin("GET", "/admin/dead-letters?orderId=" + id, null)).get("total").asInt()).isZero();
    }

    @Test
    void should_retry_a_rejected_order_message_back_to_orders_in() throws Exception {
        String sku = unique("REJ");
        stock("sku,quantity\n" + sku + ",5\n");
        String id = unique("RO");
        // a valid order rejected under an earlier rule (say a lower size limit), now acceptable
        template.sendBodyAndHeader("jms:queue:orders.in.rejected", order(id, "ro@example.com", sku, "1"), "rejectReason",
                "order message is 900 bytes, over the limit of 500 bytes");
        JsonNode list = json(admin("GET", "/admin/dead-letters?source=orders.in.rejected&reason=900", null));
        assertThat(list.get("total").asInt()).isEqualTo(1);
        assertThat(list.get("deadLetters").get(0).get("retryTo").asText()).isEqualTo("orders.in");

        admin("POST", "/admin/dead-letters/retry", "{\"ids\":[\"" + list.get("deadLetters").get(0).get("id").asText() + "\"]}");

        awaitStatus(id, "CONFIRMED");
        awaitNotified(id);
        assertThat(json(admin("GET", "/admin/dead-letters?source=orders.in.rejected&reason=900", null)).get("total").asInt()).isZero();
    }

    @Test
    void should_answer_bad_requests_with_a_reason_and_change_nothing() throws Exception {
        String id = unique("BAD");
        park("{not json", id);
        String letterId = json(admin("GET", "/admin/dead-letters?orderId=" + id, null)).get("deadLetters").get(0).get("id").asText();

        assertThat(call("GET", "/admin/dead-letters/ID:no-such-letter", null, TOKEN).statusCode()).isEqualTo(404);
        HttpResponse<String> unknown = call("POST", "/admin/dead-letters/discard",
                "{\"ids\":[\"" + letterId + "\",\"ID:no-such-letter\"],\"reason\":\"x\"}", TOKEN);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body()).contains("ID:no-such-letter", "nothing was changed");
        HttpResponse<String> age = call("GET", "/admin/dead-letters?olderThan=yesterday", null, TOKEN);
        assertThat(age.statusCode()).isEqualTo(400);
        assertThat(age.body()).contains("ISO-8601 duration");
        assertThat(call("GET", "/admin/dead-letters?source=nowhere", null, TOKEN).statusCode()).isEqualTo(400);
        assertThat(call("GET", "/admin/dead-letters?limit=0", null, TOKEN).statusCode()).isEqualTo(400);
        assertThat(call("POST", "/admin/dead-letters/retry", "{\"ids\":[\"" + letterId + "\"],\"filter\":{}}", TOKEN).statusCode())
                .isEqualTo(400);
        assertThat(call("POST", "/admin/dead-letters/retry", "{not json", TOKEN).statusCode()).isEqualTo(400);
        assertThat(call("POST", "/admin/dead-letters/discard", "{\"ids\":[\"" + letterId + "\"]}", TOKEN).body()).contains("reason");
        HttpResponse<String> big = call("POST", "/admin/dead-letters/retry",
                "{\"ids\":[\"" + "x".repeat(1_100_000) + "\"]}", TOKEN);
        assertThat(big.statusCode()).isEqualTo(413);

        assertThat(json(admin("GET", "/admin/dead-letters?orderId=" + id, null)).get("deadLetters").get(0).get("id").asText())
                .isEqualTo(letterId);
        assertThat(count("SELECT COUNT(*) FROM admin_audit WHERE order_id = ?", id)).isZero();
    }

    @Test
    void should_list_retry_and_discard_from_the_command_line() throws Exception {
        String id = unique("CLI");
        park("{not json", id);

        CommandOutput list = command("list", "--order-id=" + id);
        assertThat(list.code).isZero();
        assertThat(list.text).contains("1 dead letter(s)", "orderflow.dead-letter", "OrderPlaced", id, "not valid JSON");
        String letterId = list.text.lines().filter(l -> l.contains(id)).findFirst().orElseThrow().split("  ")[0];

        CommandOutput shown = command("show", letterId);
        assertThat(shown.code).isZero();
        assertThat(shown.text).contains("\"body\" : \"{not json\"");
        assertThat(command("discard", letterId).code).as("a discard without --because").isEqualTo(1);
        assertThat(command("retry", "--all", "--older-than=soon").text).contains("400", "ISO-8601");
        assertThat(command("frobnicate").code).isEqualTo(2);

        CommandOutput discarded = command("discard", "--because=test garbage", "--all", "--order-id=" + id);
        assertThat(discarded.code).isZero();
        assertThat(discarded.text).contains("\"count\" : 1");
        assertThat(command("list", "--order-id=" + id).text).contains("0 dead letter(s)");
        assertThat(command("audit", "--limit=5").text).contains(id, "test garbage", "orderflow-cli");
    }

    private record CommandOutput(int code, String text) {
    }

    private CommandOutput command(String... args) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        String[] all = new String[args.length + 1];
        all[0] = "dead-letters";
        System.arraycopy(args, 0, all, 1, args.length);
        int code = AdminCommand.run(settings, all, new java.io.PrintStream(bytes, true, StandardCharsets.UTF_8));
        return new CommandOutput(code, bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void should_replay_an_orders_events_to_every_subscriber_as_duplicates_that_change_nothing() throws Exception {
        String sku = unique("RPL");
        stock("sku,quantity\n" + sku + ",10\n");
        String id = unique("RP");
        drop("orders", id + ".json", order(id, "rp@example.com", sku, "2"));
        awaitNotified(id);
        await().atMost(TIMEOUT).until(() -> count("SELECT COUNT(*) FROM email_outbox WHERE order_id = ? AND published_at IS NOT NULL", id) == 1);

        JsonNode dry = json(admin("POST", "/admin/replay", "{\"orderId\":\"" + id + "\",\"dryRun\":true}"));
        assertThat(dry.get("events").asInt()).isEqualTo(3);
        assertThat(dry.get("byQueue").get("orderflow.events.stock").asInt()).isEqualTo(1);
        assertThat(dry.get("byQueue").get("orderflow.events.email").asInt()).isEqualTo(1);
        assertThat(dry.get("byQueue").get("orderflow.events.order").asInt()).isEqualTo(2);
        assertThat(dry.get("byType").toString()).contains("OrderPlaced", "StockReserved", "CustomerNotified");
        double stockDuplicates = meter("service=\"stock\"");
        double emailDuplicates = meter("service=\"email\"");
        double orderDuplicates = meter("service=\"order\"");

        JsonNode replayed = json(admin("POST", "/admin/replay", "{\"orderId\":\"" + id + "\"}"));
        assertThat(replayed.get("events").asInt()).isEqualTo(3);
        assertThat(replayed.get("dryRun").asBoolean()).isFalse();

        await().atMost(TIMEOUT).until(() -> meter("service=\"stock\"") >= stockDuplicates + 1
                && meter("service=\"email\"") >= emailDuplicates + 1 && meter("service=\"order\"") >= orderDuplicates + 2);
        assertThat(stockOf(sku)).containsExactly(10, 2);
        assertThat(count("SELECT COUNT(*) FROM stock_outbox WHERE order_id = ?", id)).isEqualTo(1);
        assertThat(count("SELECT COUNT(*) FROM email_notification WHERE order_id = ?", id)).isEqualTo(1);
        assertThat(count("SELECT COUNT(*) FROM email_outbox WHERE order_id = ?", id)).isEqualTo(1);
        assertThat(count("SELECT COUNT(*) FROM admin_audit WHERE action = 'REPLAY' AND order_id = ?", id)).isEqualTo(1);
    }

    @Test
    void should_let_a_new_subscriber_catch_up_on_history_by_a_time_range() throws Exception {
        java.time.Instant start = java.time.Instant.now().minusSeconds(1);
        String sku = unique("SUB");
        stock("sku,quantity\n" + sku + ",10\n");
        String id = unique("SB");
        drop("orders", id + ".json", order(id, "sb@example.com", sku, "1"));
        awaitNotified(id);
        await().atMost(TIMEOUT).until(() -> count("SELECT COUNT(*) FROM email_outbox WHERE order_id = ? AND published_at IS NOT NULL", id) == 1);
        String queue = unique("billing");
        // a third party's queue on orderflow.events, for the decisions only, created after the fact
        try (var locator = org.apache.activemq.artemis.api.core.client.ActiveMQClient.createServerLocator("tcp://127.0.0.1:" + brokerPort);
             var factory = locator.createSessionFactory(); var session = factory.createSession()) {
            session.createQueue(org.apache.activemq.artemis.api.core.QueueConfiguration.of(queue).setAddress("orderflow.events")
                    .setRoutingType(org.apache.activemq.artemis.api.core.RoutingType.MULTICAST).setDurable(true)
                    .setFilterString("eventType IN ('StockReserved', 'OutOfStock')"));
        }
        double stockDuplicates = meter("service=\"stock\"");

        String range = "\"since\":\"" + start + "\",\"until\":\"" + java.time.Instant.now().plusSeconds(1) + "\"";
        JsonNode dry = json(admin("POST", "/admin/replay", "{" + range + ",\"queue\":\"" + queue + "\",\"dryRun\":true}"));
        assertThat(dry.get("byQueue").get(queue).asInt()).isEqualTo(dry.get("events").asInt()).isGreaterThanOrEqualTo(1);
        assertThat(dry.get("sentTo").asText()).isEqualTo("orderflow.events::" + queue);
        JsonNode replayed = json(admin("POST", "/admin/replay", "{" + range + ",\"queue\":\"" + queue + "\"}"));

        String decision = jdbc().queryForObject("SELECT event_id FROM stock_outbox WHERE order_id = ?", String.class, id);
        boolean found = false;
        for (int i = 0; i < replayed.get("events").asInt(); i++) {
            Exchange e = consumer.receive("jms:queue:orderflow.events::" + queue, 10_000);
            assertThat(e).isNotNull();
            assertThat(e.getIn().getHeader("eventType", String.class)).isIn("StockReserved", "OutOfStock");
            // a replayed event is the same CloudEvent as when it was first published
            assertThat(e.getIn().getHeader("cloudEvents_id", String.class)).isEqualTo(e.getIn().getHeader("eventId", String.class));
            assertThat(e.getIn().getHeader("cloudEvents_source", String.class)).isEqualTo("/orderflow/stock");
            found |= decision.equals(e.getIn().getHeader("eventId", String.class));
        }
        assertThat(found).as("the order's StockReserved, with its event id").isTrue();
        assertThat(meter("service=\"stock\"")).as("orderflow's own queues got nothing").isEqualTo(stockDuplicates);

        // the same from the shell
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        int code = AdminCommand.replay(settings, new String[] {"replay", "--order-id=" + id, "--queue=" + queue, "--dry-run"},
                new java.io.PrintStream(bytes, true, StandardCharsets.UTF_8));
        assertThat(code).isZero();
        assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("\"events\" : 1", "\"dryRun\" : true", queue);
    }

    @Test
    void should_refuse_a_replay_that_makes_no_sense_and_send_nothing() throws Exception {
        long before = count("SELECT COUNT(*) FROM admin_audit WHERE action = 'REPLAY'");
        String now = java.time.Instant.now().toString();
        assertThat(call("POST", "/admin/replay", "{\"since\":\"" + now + "\",\"until\":\"2020-01-01T00:00:00Z\"}", TOKEN).body())
                .contains("inverted");
        assertThat(call("POST", "/admin/replay", "{\"since\":\"" + now + "\",\"until\":\"" + now + "\"}", TOKEN).body())
                .contains("empty");
        HttpResponse<String> malformed = call("POST", "/admin/replay", "{\"since\":\"last week\"}", TOKEN);
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(malformed.body()).contains("ISO-8601 instant");
        assertThat(call("POST", "/admin/replay", "{}", TOKEN).statusCode()).isEqualTo(400);
        HttpResponse<String> nowhere = call("POST", "/admin/replay", "{\"orderId\":\"X\",\"queue\":\"no-such-queue\"}", TOKEN);
        assertThat(nowhere.statusCode()).isEqualTo(400);
        assertThat(nowhere.body()).contains("no queue 'no-such-queue'", "orderflow.events.stock");
        assertThat(call("POST", "/admin/replay", "{\"orderId\":\"X\",\"to\":\"x\"}", TOKEN).body()).contains("unknown field 'to'");
        assertThat(count("SELECT COUNT(*) FROM admin_audit WHERE action = 'REPLAY'")).isEqualTo((int) before);
    }

    /** An unreadable OrderPlaced about the order, parked by the stock service. */
    private void park(String body, String orderId) {
        Map<String, Object> headers = new HashMap<>();
        headers.put("eventType", Event.ORDER_PLACED);
        headers.put("orderId", orderId);
        template.sendBodyAndHeaders("jms:topic:orderflow.events", body, headers);
        await().atMost(TIMEOUT).until(() -> json(admin("GET", "/admin/dead-letters?orderId=" + orderId, null)).get("total").asInt() == 1);
    }

    private double meter(String tag) throws Exception {
        return get("/observe/metrics").body().lines().filter(l -> l.startsWith("orderflow_events_duplicates_total") && l.contains(tag))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private String admin(String method, String path, String body) throws Exception {
        HttpResponse<String> response = call(method, path, body, TOKEN);
        assertThat(response.statusCode()).as(method + " " + path + ": " + response.body()).isEqualTo(200);
        return response.body();
    }

    private HttpResponse<String> call(String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(String body) throws Exception {
        return EventJson.MAPPER.readTree(body);
    }
}
