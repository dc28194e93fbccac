package io.orderflow.outbox;

/** An event body that no retry can make readable: it goes straight to the dead-letter queue. */
public class UnreadableEventException extends RuntimeException {
    public UnreadableEventException(String message) {
        super(message);
    }
}
