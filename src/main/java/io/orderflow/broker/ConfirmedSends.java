package io.orderflow.broker;

import jakarta.jms.ConnectionFactory;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A copy of a broker connection factory whose sessions hear back from the broker for each send:
 * a JMS {@code CompletionListener} then completes when the broker has stored the message (or
 * dropped it as a duplicate), so many sends can be in flight and each one's outcome is still
 * known. Without a confirmation window, Artemis's client (2.43, {@code ClientProducerImpl.send})
 * calls the listener as soon as the message is written to the socket, which says nothing.
 *
 * <p>Only the relay's resend of a batch refused for duplicates uses it; every other session keeps
 * the factory as it is, where a confirmation per send would be a packet per message for nothing.
 */
public final class ConfirmedSends {

    /** The client's resend buffer, in bytes, of sends not yet confirmed (Artemis's documented example value). */
    static final int CONFIRMATION_WINDOW = 1024 * 1024;

    private ConfirmedSends() {
    }

    /** The same servers, credentials, timeouts and reconnect policy as factory, with confirmations. */
    public static ActiveMQConnectionFactory copyOf(ConnectionFactory factory) {
        if (!(factory instanceof ActiveMQConnectionFactory artemis)) {
            throw new IllegalArgumentException("Not an Artemis connection factory: " + factory.getClass().getName());
        }
        ActiveMQConnectionFactory copy;
        try {
            // the URI Artemis itself serialises a factory to: every setting of its locator and credentials
            copy = new ActiveMQConnectionFactory(artemis.toURI().toString());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot copy the broker connection factory", e);
        }
        // the one locator setting of ours the URI leaves out (it has no factory property): see Reconnection
        copy.getServerLocator().setFailoverAttempts(artemis.getServerLocator().getFailoverAttempts());
        copy.setConfirmationWindowSize(CONFIRMATION_WINDOW);
        return copy;
    }
}
