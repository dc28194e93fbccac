package io.orderflow.outbox;

/** @param traceparent the span that wrote the event (W3C), carried on to its message; null when traces were off */
record OutboxRow(long id, String eventId, String eventType, String orderId, String payload, String traceparent) {
}
