package io.orderflow.operate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orderflow.outbox.EventJson;
import jakarta.jms.JMSException;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The admin endpoints' steps (routes/70-admin.yaml): the bearer-token check, then the dead-letter
 * office's list, show, retry and discard, and the audit record. Every refusal is a JSON answer
 * with a 4xx status and its reason; a refused call changes nothing.
 */
public final class AdminApi {

    private static final Logger LOG = LoggerFactory.getLogger(AdminApi.class);
    static final int MAX_BODY = 1024 * 1024;
    private static final Set<String> QUERY = Set.of("offset", "limit");
    private static final Set<String> BODY_FIELDS = Set.of("ids", "filter", "reason");

    private static final Set<String> REPLAY_FIELDS = Set.of("orderId", "since", "until", "eventType", "queue", "dryRun");

    private final byte[] token;
    private final DeadLetterOffice office;
    private final AdminAudit audit;
    private final Replay replay;

    /** The admin API over the broker's dead-letter queues, the failed notifications and the audit table. */
    public static AdminApi create(String token, jakarta.jms.ConnectionFactory connections, String brokerUser, String brokerPassword,
                                  org.springframework.jdbc.core.JdbcTemplate jdbc, io.orderflow.db.Transactions transactions,
                                  io.orderflow.email.FailedNotifications notifications,
                                  org.apache.activemq.artemis.api.core.client.ServerLocator locator,
                                  java.util.Optional<java.time.Duration> outboxRetention) {
        AdminAudit audit = new AdminAudit(jdbc, transactions);
        ParkedMessages parked = new ParkedMessages(connections, brokerUser, brokerPassword);
        Replay replay = new Replay(jdbc, connections, locator, brokerUser, brokerPassword, outboxRetention);
        return new AdminApi(token, new DeadLetterOffice(parked, notifications, audit, transactions), audit, replay);
    }

    AdminApi(String token, DeadLetterOffice office, AdminAudit audit, Replay replay) {
        this.token = token.getBytes(StandardCharsets.UTF_8);
        this.office = office;
        this.audit = audit;
        this.replay = replay;
    }

    /** Replays events from the outbox history; a dry run says how many would go, and where. */
    public void replay(Exchange exchange) throws Exception {
        ObjectNode body = object(exchange, REPLAY_FIELDS);
        String orderId = text(body, "orderId");
        String since = text(body, "since");
        String until = text(body, "until");
        if ((orderId == null) == (since == null)) {
            throw new BadRequestException("select the events by \"orderId\" or by a time range \"since\" (and \"until\", default now), "
                    + (orderId == null ? "not neither" : "not both"));
        }
        if (orderId != null && until != null) {
            throw new BadRequestException("\"until\" goes with \"since\", not with \"orderId\"");
        }
        java.time.Instant from = since == null ? null : instant("since", since);
        java.time.Instant to = until == null ? java.time.Instant.now() : instant("until", until);
        if (from != null && !from.isBefore(to)) {
            throw new BadRequestException("the time range from " + from + " to " + to + " is " + (from.equals(to) ? "empty" : "inverted"));
        }
        boolean dryRun = body.has("dryRun") && body.get("dryRun").asBoolean();
        Replay.Selection selection = new Replay.Selection(orderId, from, orderId == null ? to : null, text(body, "eventType"));
        Replay.Outcome outcome = replay.run(selection, text(body, "queue"), dryRun);
        if (!dryRun) {
            audit.recordReplay(selection.describe(), outcome.sentTo(), outcome.events(), orderId, text(body, "eventType"), client(exchange));
        }
        write(exchange, 200, outcome);
    }

    private static java.time.Instant instant(String name, String value) {
        try {
            return java.time.Instant.parse(value);
        } catch (java.time.format.DateTimeParseException e) {
            throw new BadRequestException(name + " must be an ISO-8601 instant such as 2026-12-01T10:00:00Z, not '" + value + "'");
        }
    }

    private static String text(ObjectNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual() || v.asText().isBlank()) {
            throw new BadRequestException(field + " must be a non-empty string");
        }
        return v.asText().trim();
    }

    /** 401 unless the call carries "Authorization: Bearer <orderflow.admin.token>". */
    public void authorize(Exchange exchange) {
        String header = exchange.getIn().getHeader("Authorization", String.class);
        byte[] given = header != null && header.startsWith("Bearer ")
                ? header.substring("Bearer ".length()).trim().getBytes(StandardCharsets.UTF_8) : new byte[0];
        if (!MessageDigest.isEqual(token, given)) {
            LOG.warn("Refused an admin call to {} {}: {}", exchange.getIn().getHeader(Exchange.HTTP_METHOD),
                    exchange.getIn().getHeader(Exchange.HTTP_PATH), header == null ? "no token" : "wrong token");
            throw new BadRequestException(401, header == null ? "this admin endpoint needs Authorization: Bearer <orderflow.admin.token>"
                    : "wrong admin token");
        }
    }

    public void list(Exchange exchange) throws Exception {
        Map<String, Object> query = query(exchange);
        int offset = number(query.remove("offset"), "offset", 0, 0, Integer.MAX_VALUE);
        int limit = number(query.remove("limit"), "limit", 50, 1, 1000);
        write(exchange, 200, office.list(DeadLetterFilter.from(query), offset, limit));
    }

    public void show(Exchange exchange) throws Exception {
        String id = exchange.getIn().getHeader("id", String.class);
        write(exchange, 200, office.show(id).orElseThrow(() -> new BadRequestException(404, "unknown dead letter id: " + id)));
    }

    public void retry(Exchange exchange) throws Exception {
        ObjectNode body = body(exchange);
        write(exchange, 200, office.retry(ids(body), filter(body), client(exchange)));
    }

    public void discard(Exchange exchange) throws Exception {
        ObjectNode body = body(exchange);
        String reason = body.hasNonNull("reason") ? body.get("reason").asText() : null;
        write(exchange, 200, office.discard(ids(body), filter(body), reason, client(exchange)));
    }

    public void audit(Exchange exchange) throws Exception {
        Map<String, Object> query = query(exchange);
        write(exchange, 200, Map.of("records", audit.latest(number(query.get("limit"), "limit", 100, 1, 10_000))));
    }

    /** The answer to a refused call, or to a broker or database that is not there. */
    public void refuse(Exchange exchange) throws JsonProcessingException {
        Throwable failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (failure instanceof BadRequestException bad) {
            write(exchange, bad.status(), Map.of("error", bad.getMessage()));
            if (bad.status() == 401) {
                exchange.getMessage().setHeader("WWW-Authenticate", "Bearer");
            }
        } else {
            LOG.warn("Admin call {} {} failed: {}", exchange.getIn().getHeader(Exchange.HTTP_METHOD),
                    exchange.getIn().getHeader(Exchange.HTTP_PATH), String.valueOf(failure));
            int status = failure instanceof JMSException || failure instanceof org.springframework.dao.DataAccessException ? 503 : 500;
            write(exchange, status, Map.of("error", String.valueOf(failure)));
        }
    }

    private static Map<String, Object> query(Exchange exchange) {
        String raw = exchange.getIn().getHeader(Exchange.HTTP_QUERY, String.class);
        Map<String, Object> query = new LinkedHashMap<>();
        if (raw != null && !raw.isEmpty()) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                String key = java.net.URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                query.put(key, value);
            }
        }
        return query;
    }

    private static int number(Object value, String name, int otherwise, int min, int max) {
        if (value == null || String.valueOf(value).isEmpty()) {
            return otherwise;
        }
        try {
            int n = Integer.parseInt(String.valueOf(value));
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new BadRequestException(name + " must be a whole number from " + min + " to " + max + ", not '" + value + "'");
    }

    private static ObjectNode body(Exchange exchange) {
        ObjectNode object = object(exchange, BODY_FIELDS);
        if (object.has("ids") == object.has("filter")) {
            throw new BadRequestException("name the dead letters by \"ids\" or by a \"filter\" (an empty filter means all), not "
                    + (object.has("ids") ? "both" : "neither"));
        }
        return object;
    }

    private static ObjectNode object(Exchange exchange, Set<String> fields) {
        byte[] raw = exchange.getIn().getBody(byte[].class);
        if (raw == null || raw.length == 0) {
            throw new BadRequestException("the request needs a JSON body: {\"ids\": [...]} or {\"filter\": {...}}");
        }
        if (raw.length > MAX_BODY) {
            throw new BadRequestException(413, "the request body is " + raw.length + " bytes, over the limit of " + MAX_BODY);
        }
        JsonNode node;
        try {
            node = EventJson.MAPPER.readTree(raw);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new BadRequestException("the request body is not valid JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new BadRequestException("the request body could not be read: " + e.getMessage());
        }
        if (!(node instanceof ObjectNode object)) {
            throw new BadRequestException("the request body must be a JSON object");
        }
        for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!fields.contains(name)) {
                throw new BadRequestException("unknown field '" + name + "' (fields: " + String.join(", ", fields.stream().sorted().toList()) + ")");
            }
        }
        return object;
    }

    private static List<String> ids(ObjectNode body) {
        if (!body.has("ids")) {
            return null;
        }
        JsonNode ids = body.get("ids");
        if (!ids.isArray() || ids.isEmpty()) {
            throw new BadRequestException("ids must be a non-empty array of dead letter ids");
        }
        List<String> list = new ArrayList<>();
        for (JsonNode id : ids) {
            if (!id.isTextual()) {
                throw new BadRequestException("ids must be strings, not " + id);
            }
            list.add(id.asText());
        }
        return list;
    }

    private static DeadLetterFilter filter(ObjectNode body) {
        if (!body.has("filter")) {
            return null;
        }
        if (!body.get("filter").isObject()) {
            throw new BadRequestException("filter must be a JSON object, e.g. {\"source\": \"orderflow.dead-letter\"}");
        }
        Map<String, Object> values = new LinkedHashMap<>();
        body.get("filter").fields().forEachRemaining(f -> values.put(f.getKey(), f.getValue().isTextual() ? f.getValue().asText() : f.getValue()));
        return DeadLetterFilter.from(values);
    }

    private static String client(Exchange exchange) {
        String agent = exchange.getIn().getHeader("User-Agent", String.class);
        return agent == null ? "http" : agent;
    }

    private static void write(Exchange exchange, int status, Object body) throws JsonProcessingException {
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        exchange.getMessage().setBody(EventJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(body));
    }
}
