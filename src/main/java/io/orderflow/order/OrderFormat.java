package io.orderflow.order;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.orderflow.intake.RejectedInputException;
import io.orderflow.intake.Utf8Text;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads orders: strict UTF-8, strict JSON (no duplicate keys, nothing after the value), one order
 * or an array of orders, each validated against the published JSON Schema
 * (src/main/resources/schema/order.schema.json) with format checks on. Every problem is reported,
 * naming the order and the field.
 */
public final class OrderFormat {

    static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();

    private final JsonSchema schema;

    public OrderFormat() {
        SchemaValidatorsConfig config = SchemaValidatorsConfig.builder()
                .formatAssertionsEnabled(true)
                .pathType(PathType.JSON_POINTER)
                .locale(Locale.ENGLISH)
                .build();
        this.schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                .getSchema(SchemaLocation.of("classpath:schema/order.schema.json"), config);
    }

    /** Parses a file or message: one order object or a JSON array of them. */
    public List<Order> parse(byte[] content) {
        if (content.length == 0) {
            throw new RejectedInputException("empty input: expected an order object or an array of orders");
        }
        String text = Utf8Text.decode(content);
        if (text.isBlank()) {
            throw new RejectedInputException("empty input: expected an order object or an array of orders");
        }
        JsonNode root;
        try {
            root = STRICT.readTree(text);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw new RejectedInputException("not valid JSON" + where + ": " + e.getOriginalMessage());
        }
        List<JsonNode> nodes = new ArrayList<>();
        boolean array = root.isArray();
        if (array) {
            root.forEach(nodes::add);
            if (nodes.isEmpty()) {
                throw new RejectedInputException("the array holds no orders");
            }
        } else {
            nodes.add(root);
        }
        List<String> problems = new ArrayList<>();
        List<Order> orders = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < nodes.size(); i++) {
            JsonNode node = nodes.get(i);
            String label = label(array, i, node);
            List<String> found = validate(node);
            if (!found.isEmpty()) {
                found.forEach(p -> problems.add(label + ": " + p));
                continue;
            }
            Order order = toOrder(node);
            if (!ids.add(order.orderId())) {
                problems.add(label + ": orderId " + order.orderId() + " appears more than once in this input (conflict)");
                continue;
            }
            orders.add(order);
        }
        if (!problems.isEmpty()) {
            throw new RejectedInputException(problems);
        }
        return orders;
    }

    private static String label(boolean array, int index, JsonNode node) {
        JsonNode id = node.path("orderId");
        String named = id.isTextual() ? " (orderId " + id.asText() + ")" : "";
        return (array ? "order #" + (index + 1) : "order") + named;
    }

    private List<String> validate(JsonNode node) {
        List<String> problems = new ArrayList<>();
        schema.validate(node).stream()
                .sorted(Comparator.comparing((ValidationMessage m) -> m.getInstanceLocation().toString())
                        .thenComparing(ValidationMessage::getMessage))
                .forEach(m -> problems.add(m.getMessage().startsWith(": ") ? "/" + m.getMessage() : m.getMessage()));
        JsonNode email = node.path("customer").path("email");
        if (problems.isEmpty() && email.isTextual()) {
            try {
                new InternetAddress(email.asText(), true).validate();
            } catch (AddressException e) {
                problems.add("/customer/email: not a valid email address (" + e.getMessage() + ")");
            }
        }
        return problems;
    }

    private static Order toOrder(JsonNode node) {
        JsonNode customer = node.get("customer");
        String name = customer.hasNonNull("name") ? customer.get("name").asText() : null;
        List<Order.Line> lines = new ArrayList<>();
        node.get("lines").forEach(l -> lines.add(new Order.Line(l.get("sku").asText(), l.get("quantity").intValue())));
        return new Order(node.get("orderId").asText(), new Order.Customer(name, customer.get("email").asText()), List.copyOf(lines));
    }

    /** The canonical JSON of an order: two submissions are the same order when these are equal. */
    public static String canonical(Order order) {
        try {
            return STRICT.writeValueAsString(order);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
