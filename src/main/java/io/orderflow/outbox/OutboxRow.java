package io.orderflow.outbox;

record OutboxRow(long id, String eventId, String eventType, String orderId, String payload) {
}
