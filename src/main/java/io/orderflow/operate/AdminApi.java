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

    private final byte[] token;
    private final DeadLetterOffice office;
    private final AdminAudit audit;

    /** The admin API over the broker's dead-letter queues, the failed notifications and the audit table. */
    public static AdminApi create(String token, jakarta.jms.ConnectionFactory connections, String brokerUser, String brokerPassword,
                                  org.springframework.jdbc.core.JdbcTemplate jdbc, io.orderflow.db.Transactions transactions,
                                  io.orderflow.email.FailedNotifications notifications) {
        AdminAudit audit = new AdminAudit(jdbc, transactions);
        ParkedMessages parked = new ParkedMessages(connections, brokerUser, brokerPassword);
        return new AdminApi(token, new DeadLetterOffice(parked, notifications, audit, transactions), audit);
    }

    AdminApi(String token, DeadLetterOffice office, AdminAudit audit) {
        this.token = token.getBytes(StandardCharsets.UTF_8);
        this.office = office;
        this.audit = audit;
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
            if (!BODY_FIELDS.contains(name)) {
                throw new BadRequestException("unknown field '" + name + "' (fields: ids, filter, reason)");
            }
        }
        if (object.has("ids") == object.has("filter")) {
            throw new BadRequestException("name the dead letters by \"ids\" or by a \"filter\" (an empty filter means all), not "
                    + (object.has("ids") ? "both" : "neither"));
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
