package io.orderflow.trace;

/**
 * One order's part of a stage's batch, as the trace names it: the order, the event or input it
 * came with, and the W3C traceparent of what caused it (null when none came).
 */
public record Work(String orderId, String eventId, String eventType, String parent) {

    /** An order taken in: its sender's traceparent, if any. */
    public static Work order(String orderId, String traceparent) {
        return new Work(orderId, null, null, traceparent);
    }
}
