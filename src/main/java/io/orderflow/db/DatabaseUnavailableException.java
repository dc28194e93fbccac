package io.orderflow.db;

import io.orderflow.infra.Failures;

/** Thrown in place of a failure that {@link DatabaseUnavailable} judges passing; routes retry it without limit. */
public class DatabaseUnavailableException extends RuntimeException {
    public DatabaseUnavailableException(Throwable cause) {
        super("database unavailable: " + Failures.reason(cause), cause);
    }
}
