package io.orderflow.outbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.UUID;

/** Reads and writes events; an event that cannot be read is an {@link UnreadableEventException}, never retried. */
public final class EventJson {

    public static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private EventJson() {
    }

    public static String write(Event event) {
        try {
            return MAPPER.writeValueAsString(event);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Event read(String json) {
        if (json == null || json.isBlank()) {
            throw new UnreadableEventException("empty event body");
        }
        Event event;
        try {
            event = MAPPER.readValue(json, Event.class);
        } catch (JsonProcessingException e) {
            throw new UnreadableEventException("event is not valid JSON: " + e.getOriginalMessage());
        }
        if (event.eventId() == null || event.type() == null || event.orderId() == null || event.data() == null) {
            throw new UnreadableEventException("event lacks eventId, type, orderId or data");
        }
        try {
            UUID.fromString(event.eventId());
        } catch (IllegalArgumentException e) {
            throw new UnreadableEventException("eventId is not a UUID: " + event.eventId());
        }
        try {
            java.time.Instant.parse(event.occurredAt() == null ? "" : event.occurredAt());
        } catch (java.time.format.DateTimeParseException e) {
            throw new UnreadableEventException("occurredAt is not an ISO-8601 instant: " + event.occurredAt());
        }
        if (event.schemaVersion() != Event.SCHEMA_VERSION) {
            throw new UnreadableEventException("unsupported schemaVersion " + event.schemaVersion());
        }
        return event;
    }

    /**
     * The occurredAt of an event's JSON as {@link #write} wrote it, found without parsing the whole
     * event (the relays set it on every message they publish); null if it is not there.
     */
    public static String occurredAt(String json) {
        String key = "\"occurredAt\":\"";
        int start = json.indexOf(key);
        if (start < 0) {
            JsonNode at = readTreeOrNull(json);
            return at == null || !at.path("occurredAt").isTextual() ? null : at.path("occurredAt").asText();
        }
        int from = start + key.length();
        int end = json.indexOf('"', from);
        return end < 0 ? null : json.substring(from, end);
    }

    private static JsonNode readTreeOrNull(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    public static JsonNode tree(Object value) {
        return MAPPER.valueToTree(value);
    }
}
