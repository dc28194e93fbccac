package io.orderflow.contract;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.orderflow.outbox.Event;
import io.orderflow.outbox.EventJson;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The published contract holds together: the AsyncAPI document parses, each of its references
 * resolves (in the document, or to a schema file that loads), it covers every channel and event
 * type orderflow has, and every contract file is one the API serves.
 */
class ContractTest {

    private static final Path CONTRACT = Path.of("src/main/resources/contract");
    private static final List<String> EVENT_TYPES = List.of(Event.ORDER_PLACED, Event.STOCK_RESERVED, Event.OUT_OF_STOCK,
            Event.CUSTOMER_NOTIFIED, Event.NOTIFICATION_FAILED);

    private final JsonNode asyncapi = read();
    private final EventSchemas schemas = new EventSchemas();

    private static JsonNode read() {
        try {
            return new ObjectMapper(new YAMLFactory()).readTree(CONTRACT.resolve("asyncapi.yaml").toFile());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void should_be_an_asyncapi_3_document_of_the_three_channels() {
        assertThat(asyncapi.path("asyncapi").asText()).isEqualTo("3.0.0");
        List<String> addresses = new ArrayList<>();
        asyncapi.path("channels").forEach(c -> addresses.add(c.path("address").asText()));
        assertThat(addresses).containsExactlyInAnyOrder("orders.in", "orders.in.rejected", "orderflow.events");
        asyncapi.path("operations").forEach(o -> assertThat(resolve(o.path("channel").path("$ref").asText())).isNotNull());
    }

    @Test
    void should_resolve_every_reference_to_a_place_in_the_document_or_a_schema_file_that_loads() {
        List<String> refs = new ArrayList<>();
        collectRefs(asyncapi, refs);
        assertThat(refs).isNotEmpty();
        for (String ref : refs) {
            if (ref.startsWith("#")) {
                assertThat(resolve(ref)).as(ref).isNotNull();
            } else {
                Path file = CONTRACT.resolve(ref).normalize();
                assertThat(file).as(ref).exists();
                assertThat(file.toString()).endsWith(".schema.json");
            }
        }
    }

    @Test
    void should_name_a_message_and_a_schema_for_every_event_type() throws IOException {
        JsonNode messages = asyncapi.path("components").path("messages");
        List<String> onTheChannel = new ArrayList<>();
        asyncapi.path("channels").path("events").path("messages").forEach(m -> onTheChannel.add(m.path("$ref").asText()));
        for (String type : EVENT_TYPES) {
            assertThat(messages.path(type).path("payload").path("$ref").asText()).isEqualTo("events/" + type + ".v1.schema.json");
            assertThat(onTheChannel).contains("#/components/messages/" + type);
            assertThat(schemas.schema(type, Event.SCHEMA_VERSION)).isNotNull();
        }
        try (Stream<Path> files = Files.list(CONTRACT.resolve("events"))) {
            assertThat(files.map(f -> f.getFileName().toString().replaceFirst("\\.v\\d+\\.schema\\.json$", "")))
                    .as("a schema for no event type").allMatch(EVENT_TYPES::contains);
        }
    }

    @Test
    void should_take_a_valid_event_and_name_what_is_wrong_with_a_broken_one() {
        var data = EventJson.MAPPER.createObjectNode();
        data.put("kind", "confirmation").put("messageId", "<A-1.confirmation@orderflow>").put("recipient", "a@example.com");
        Event good = Event.create(Event.CUSTOMER_NOTIFIED, "A-1", data, Instant.now(), "4bf92f3577b34da6a3ce929d0e0e4736");
        JsonNode json = EventJson.MAPPER.valueToTree(good);
        assertThat(schemas.problems(json)).isEmpty();

        var broken = json.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) broken.get("data")).remove("recipient");
        ((com.fasterxml.jackson.databind.node.ObjectNode) broken).put("eventId", "not-a-uuid");
        assertThat(String.join("; ", schemas.problems(broken))).contains("recipient", "eventId");
    }

    @Test
    void should_serve_every_contract_file() throws IOException {
        try (Stream<Path> files = Files.walk(CONTRACT)) {
            files.filter(Files::isRegularFile).forEach(f -> assertThat(ContractFiles.FILES.matcher(
                    "contract/" + CONTRACT.relativize(f).toString().replace('\\', '/')).matches()).as(f.toString()).isTrue());
        }
        assertThat(ContractFiles.FILES.matcher("schema/order.schema.json").matches()).isTrue();
        assertThat(ContractFiles.FILES.matcher("contract/../../application.properties").matches()).isFalse();
    }

    private JsonNode resolve(String ref) {
        JsonNode node = asyncapi.at(URI.create(ref).getFragment());
        return node.isMissingNode() ? null : node;
    }

    private static void collectRefs(JsonNode node, List<String> refs) {
        if (node.isObject()) {
            node.fields().forEachRemaining(f -> {
                if (f.getKey().equals("$ref")) {
                    refs.add(f.getValue().asText());
                } else {
                    collectRefs(f.getValue(), refs);
                }
            });
        } else if (node.isArray()) {
            node.forEach(n -> collectRefs(n, refs));
        }
    }
}
