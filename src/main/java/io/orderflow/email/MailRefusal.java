package io.orderflow.email;

import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;

import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Tells a mail server's permanent refusal of one message (a 5xx answer to its recipient or its
 * content, RFC 5321 4.2.1) from a failure worth retrying: a 4xx answer, a timeout, a refused
 * connection, a failed login. Only the first is given up on; sending it again would get the same
 * answer.
 */
final class MailRefusal {

    private MailRefusal() {
    }

    /**
     * Whether the failure is the server's answer to this message (a 4xx or 5xx to its sender,
     * recipient or content), as opposed to the server itself failing: no connection, a bad
     * greeting, a dropped session, a timeout, a failed login, a mail file that could not be written.
     */
    static boolean aboutTheMessage(Throwable failure) {
        Set<Throwable> seen = new HashSet<>();
        Throwable t = failure;
        boolean answered = false;
        while (t != null && seen.add(t)) {
            int code = t instanceof SMTPAddressFailedException a ? a.getReturnCode()
                    : t instanceof SMTPSendFailedException s ? s.getReturnCode() : 0;
            if (code == 421) {
                // "service not available, closing transmission channel": the server, whatever it answered
                return false;
            }
            answered |= t instanceof SendFailedException || t instanceof SMTPAddressFailedException;
            t = t instanceof MessagingException m && m.getNextException() != null ? m.getNextException() : t.getCause();
        }
        return answered;
    }

    /** The server's answer, when the failure is a permanent refusal of this message. */
    static Optional<String> permanent(Throwable failure) {
        Set<Throwable> seen = new HashSet<>();
        Throwable t = failure;
        while (t != null && seen.add(t)) {
            int code = t instanceof SMTPAddressFailedException a ? a.getReturnCode()
                    : t instanceof SMTPSendFailedException s ? s.getReturnCode() : 0;
            if (code >= 500 && code <= 599) {
                return Optional.of(t.getMessage() == null ? String.valueOf(code) : t.getMessage().trim());
            }
            // Jakarta Mail chains the per-recipient answers as "next" exceptions
            t = t instanceof MessagingException m && m.getNextException() != null ? m.getNextException() : t.getCause();
        }
        return Optional.empty();
    }
}
