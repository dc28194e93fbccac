package io.orderflow.trace;

import java.util.Map;

/**
 * The spans of one stage's batch: one per order, each the child of what caused it and linked to
 * a span for the batch (when there is more than one order), never the batch's child. While open,
 * what the stage writes for an order (an outbox event, a notification) is stamped with that
 * order's span, so the next stage's span becomes its child. Close it on the thread that opened it.
 */
public interface StageSpans extends AutoCloseable {

    /** The order's trace id for the i-th work (its span's), or null when traces are off. */
    String traceId(int i);

    /** The traceparent of the i-th work's span, to be carried on; null when traces are off. */
    String traceparent(int i);

    /** An event on the i-th work's span: a duplicate skipped, a redelivery, a refusal. */
    void event(int i, String name, Map<String, Object> attributes);

    /** An attribute of the i-th work's span. */
    void attribute(int i, String key, Object value);

    /** The stage failed for every order of the batch: it is retried (or, if not, parked) elsewhere. */
    void failed(Throwable cause, String outcome);

    /** The i-th work failed on its own. */
    void failed(int i, String reason, String outcome);

    @Override
    void close();

    /** Nothing is traced. */
    StageSpans NONE = new StageSpans() {
        @Override
        public String traceId(int i) {
            return null;
        }

        @Override
        public String traceparent(int i) {
            return null;
        }

        @Override
        public void event(int i, String name, Map<String, Object> attributes) {
        }

        @Override
        public void attribute(int i, String key, Object value) {
        }

        @Override
        public void failed(Throwable cause, String outcome) {
        }

        @Override
        public void failed(int i, String reason, String outcome) {
        }

        @Override
        public void close() {
        }
    };
}
