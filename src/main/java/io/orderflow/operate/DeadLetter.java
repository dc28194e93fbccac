package io.orderflow.operate;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.Map;

/**
 * One dead letter as an operator sees it: an event parked on orderflow.dead-letter, an order
 * message moved to orders.in.rejected, or a notification the mail server refused. {@code retryTo}
 * is where a retry sends it back; {@code body} and {@code properties} are shown by one look-up only.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DeadLetter(String id, String source, String retryTo, String eventType, String eventId, String orderId,
                         String reason, String failedAt, Integer attempts, String body, Map<String, Object> properties) {

    public static final String EVENTS = "orderflow.dead-letter";
    public static final String REJECTED_ORDERS = "orders.in.rejected";
    public static final String NOTIFICATIONS = "notifications";

    DeadLetter summary() {
        return new DeadLetter(id, source, retryTo, eventType, eventId, orderId, reason, failedAt, attempts, null, null);
    }
}
