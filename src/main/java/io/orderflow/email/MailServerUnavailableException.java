package io.orderflow.email;

/**
 * The mail server could not be reached, or failed the session, while a round was sending: an
 * outage of the server, not a fault of the notification. The sender's route holds it in place
 * with the outage policy (one WARN line per interval, a capped backoff) instead of failing every
 * notification of the batch one by one.
 */
public final class MailServerUnavailableException extends RuntimeException {

    MailServerUnavailableException(String target, String reason, Exception failure) {
        // the reason as the message, not the cause: the outage log names the root cause, and this
        // says which dependency it is
        super("the " + target + " is not available: " + reason);
        addSuppressed(failure);
    }
}
