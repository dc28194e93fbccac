package io.orderflow.contract;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

import io.orderflow.outbox.EventJson;
import org.springframework.jdbc.core.JdbcTemplate;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/** The published event schemas (src/main/resources/contract/events), to check events against. */
public final class EventSchemas {

    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    private static final SchemaValidatorsConfig CONFIG = SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
    private final Map<String, JsonSchema> schemas = new ConcurrentHashMap<>();

    /** The schema of a type and version, as its file is named: events/<type>.v<version>.schema.json. */
    public JsonSchema schema(String type, int version) {
        return schemas.computeIfAbsent(type + ".v" + version, key ->
                FACTORY.getSchema(SchemaLocation.of("classpath:contract/events/" + key + ".schema.json"), CONFIG));
    }

    /**
     * Checks every event in the three outboxes, which hold exactly what the relays publish, against
     * its schema; returns the types seen.
     */
    public Set<String> assertEveryOutboxEventConforms(JdbcTemplate jdbc) throws IOException {
        Set<String> types = new TreeSet<>();
        for (String service : List.of("order", "stock", "email")) {
            for (String payload : jdbc.queryForList("SELECT payload FROM " + service + "_outbox", String.class)) {
                JsonNode event = EventJson.MAPPER.readTree(payload);
                assertThat(problems(event)).as("%s against its schema", payload).isEmpty();
                types.add(event.path("type").asText());
            }
        }
        return types;
    }

    /** What is wrong with the event as its own type and version's schema sees it; empty when it conforms. */
    public List<String> problems(JsonNode event) {
        String type = event.path("type").asText();
        int version = event.path("schemaVersion").asInt();
        Set<ValidationMessage> messages = schema(type, version).validate(event);
        return messages.stream().map(ValidationMessage::getMessage).sorted().toList();
    }
}
