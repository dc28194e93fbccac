package io.orderflow.outbox;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.UUID;

/**
 * An event as it travels between services: JSON with eventId (UUID), type, orderId, occurredAt
 * (ISO-8601 UTC), schemaVersion, the type's data, and the order's W3C traceId (absent on events
 * written before it was carried). The eventId is what consumers deduplicate on.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Event(String eventId, String type, String orderId, String occurredAt, int schemaVersion, JsonNode data,
                    String traceId) {

    public Event(String eventId, String type, String orderId, String occurredAt, int schemaVersion, JsonNode data) {
        this(eventId, type, orderId, occurredAt, schemaVersion, data, null);
    }

    public static final String ORDER_PLACED = "OrderPlaced";
    public static final String STOCK_RESERVED = "StockReserved";
    public static final String OUT_OF_STOCK = "OutOfStock";
    public static final String CUSTOMER_NOTIFIED = "CustomerNotified";
    /** The mail server refused the order's notification for good; data: kind, messageId, recipient, reason. */
    public static final String NOTIFICATION_FAILED = "NotificationFailed";

    public static final int SCHEMA_VERSION = 1;

    public static Event create(String type, String orderId, JsonNode data) {
        return create(type, orderId, data, Instant.now());
    }

    /** An event that occurred at the instant the change it reports was recorded. */
    public static Event create(String type, String orderId, JsonNode data, Instant occurredAt) {
        return create(type, orderId, data, occurredAt, null);
    }

    public static Event create(String type, String orderId, JsonNode data, Instant occurredAt, String traceId) {
        return new Event(UUID.randomUUID().toString(), type, orderId, occurredAt.toString(), SCHEMA_VERSION, data, traceId);
    }

    /** An event this one caused: about the same order, in the same trace. */
    public Event next(String type, JsonNode data) {
        return create(type, orderId, data, Instant.now(), traceId);
    }
}
