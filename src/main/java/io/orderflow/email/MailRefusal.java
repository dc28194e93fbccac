package io.orderflow.email;

import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;

import java.util.LinkedHashSet;
import java.util.List;
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
        boolean answered = false;
        for (Throwable t : chain(failure)) {
            if (code(t) == 421) {
                // "service not available, closing transmission channel": the server, whatever it answered
                return false;
            }
            answered |= t instanceof SendFailedException || t instanceof SMTPAddressFailedException;
        }
        return answered;
    }

    /** The server's answer, when the failure is a permanent refusal of this message. */
    static Optional<String> permanent(Throwable failure) {
        for (Throwable t : chain(failure)) {
            int code = code(t);
            if (code >= 500 && code <= 599) {
                return Optional.of(t.getMessage() == null ? String.valueOf(code) : t.getMessage().trim());
            }
        }
        return Optional.empty();
    }

    /** The failure, its causes and, as Jakarta Mail chains the per-recipient answers, its "next" exceptions. */
    private static List<Throwable> chain(Throwable failure) {
        Set<Throwable> seen = new LinkedHashSet<>();
        Throwable t = failure;
        while (t != null && seen.add(t)) {
            t = t instanceof MessagingException m && m.getNextException() != null ? m.getNextException() : t.getCause();
        }
        return List.copyOf(seen);
    }

    /** The SMTP reply code an answer carries, 0 for anything else. */
    private static int code(Throwable t) {
        return t instanceof SMTPAddressFailedException a ? a.getReturnCode()
                : t instanceof SMTPSendFailedException s ? s.getReturnCode() : 0;
    }
}
