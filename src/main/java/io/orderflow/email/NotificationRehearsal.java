package io.orderflow.email;

import io.orderflow.config.Settings;
import io.orderflow.outbox.Event;
import jakarta.mail.MessagingException;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The email service's part of the start-up warm-up: a decision rendered by the notification
 * templates and composed into a MIME message as the sender composes it, then written to nowhere.
 * No mail folder, mail server or database is touched.
 */
public final class NotificationRehearsal {

    private final NotificationTemplates templates;
    private final MailSink sink;

    public NotificationRehearsal(Settings settings) {
        this.templates = new NotificationTemplates(settings);
        // never sends: only its compose is used
        this.sink = new MailSink(null, settings);
    }

    /** Renders and composes the decision's notification; returns its size in bytes. */
    public long rehearse(Event decision) throws MessagingException, IOException {
        Notification n = Notification.of(decision, templates);
        CountingStream out = new CountingStream();
        sink.compose(n).writeTo(out);
        return out.count;
    }

    private static final class CountingStream extends OutputStream {
        private long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
        }
    }
}
