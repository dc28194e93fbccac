package io.orderflow.db;

/** Thrown in place of a failure that {@link DatabaseUnavailable} judges passing; routes retry it without limit. */
public class DatabaseUnavailableException extends RuntimeException {
    public DatabaseUnavailableException(Throwable cause) {
        super("database unavailable: " + DatabaseUnavailable.reason(cause), cause);
    }
}
