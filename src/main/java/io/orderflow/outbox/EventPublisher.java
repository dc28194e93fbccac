package io.orderflow.outbox;

import io.orderflow.broker.ConfirmedSends;
import io.orderflow.broker.Failover;
import jakarta.jms.CompletionListener;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.DeliveryMode;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import io.opentelemetry.api.trace.SpanKind;
import io.orderflow.infra.TraceContext;
import io.orderflow.trace.OrderTraces;
import io.orderflow.trace.StageSpans;
import io.orderflow.trace.Work;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Publishes outbox rows to the multicast address orderflow.events, a batch per broker transaction.
 * Each message carries the event id as Artemis's duplicate-detection id, so a batch resent after a
 * crash (sent, but not yet marked published) is dropped by the broker instead of delivered twice.
 */
final class EventPublisher implements AutoCloseable {

    static final String ADDRESS = "orderflow.events";
    /** Artemis's duplicate detection header (Message.HDR_DUPLICATE_DETECTION_ID). */
    static final String DUPLICATE_ID = "_AMQ_DUPL_ID";

    private static final Logger LOG = LoggerFactory.getLogger(EventPublisher.class);
    /** Sends of one batch a run of failovers may cut before the relay counts it as an outage. */
    private static final int FAILOVER_ATTEMPTS = 3;

    private final String name;
    private final ConnectionFactory connectionFactory;
    private final String user;
    private final String password;
    /** The transacted session every batch goes on. */
    private Link link;
    /** For the resend of a batch refused for duplicates only, opened when one is: see publishConfirmedEach. */
    private ActiveMQConnectionFactory confirmingFactory;
    private Link confirming;

    /** @param name the relay's, naming its spans ("order-relay publish OrderPlaced") */
    EventPublisher(String name, ConnectionFactory connectionFactory, String user, String password) {
        this.name = name;
        this.connectionFactory = connectionFactory;
        this.user = user;
        this.password = password;
    }

    void publish(List<OutboxRow> rows) throws JMSException {
        OrderTraces tracing = OrderTraces.current();
        StageSpans spans = tracing.enabled() ? tracing.stage(name + " publish", SpanKind.PRODUCER,
                rows.stream().map(r -> new Work(r.orderId(), r.eventId(), r.eventType(), r.traceparent())).toList())
                : StageSpans.NONE;
        try {
            publish(rows, spans);
        } catch (JMSException | RuntimeException e) {
            // the rows stay unpublished: the relay sends them again
            spans.failed(e, "retried");
            throw e;
        } finally {
            spans.close();
        }
    }

    private void publish(List<OutboxRow> rows, StageSpans spans) throws JMSException {
        if (link == null) {
            link = Link.open(connectionFactory, user, password, true);
        }
        Session session = link.session();
        for (int attempt = 1; ; attempt++) {
            for (int i = 0; i < rows.size(); i++) {
                link.producer().send(message(session, rows.get(i), spans.traceparent(i)));
            }
            try {
                session.commit();
                return;
            } catch (JMSException e) {
                session.rollback();
                if (Failover.refusedAsDuplicate(e)) {
                    for (int i = 0; i < rows.size(); i++) {
                        spans.event(i, "sent again without a transaction", Map.of("orderflow.reason", String.valueOf(e.getMessage())));
                    }
                    publishConfirmedEach(rows, spans);
                    return;
                }
                if (!Failover.rolledBack(e) || attempt == FAILOVER_ATTEMPTS) {
                    throw e;
                }
                // the session is on the backup now: send the batch again at once, with the same
                // duplicate ids; if the cut commit did happen, the broker refuses them as duplicates
                LOG.info("A batch of {} events was rolled back by a broker failover ({}); sending it again", rows.size(),
                        e.getMessage());
                for (int i = 0; i < rows.size(); i++) {
                    spans.event(i, "sent again after a failover", Map.of("orderflow.reason", String.valueOf(e.getMessage())));
                }
            }
        }
    }

    /**
     * Artemis rejects the whole transaction when one message is a duplicate, which happens when
     * rows were sent before a crash or a failover but not marked published. Outside a transaction
     * it drops a duplicate and stores the rest, so the batch goes again without one, on a session
     * with send confirmations: every send in flight at once, each one's outcome heard. One
     * transaction per event would cost a synced commit each, 200 of them for a whole batch the
     * broker had, on a broker that has often just started after a failover (about 6 s on a busy
     * machine, crash/BrokerPairRacesIT). The broker keeps the events' order: one producer, one
     * session.
     */
    private void publishConfirmedEach(List<OutboxRow> rows, StageSpans spans) throws JMSException {
        long started = System.nanoTime();
        if (confirming == null) {
            confirmingFactory = ConfirmedSends.copyOf(connectionFactory);
            try {
                confirming = Link.open(confirmingFactory, user, password, false);
            } catch (JMSException | RuntimeException e) {
                closeConfirming();
                throw e;
            }
        }
        Confirmations confirmations = new Confirmations(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            confirming.producer().send(message(confirming.session(), rows.get(i), spans.traceparent(i)), confirmations);
        }
        try {
            confirmations.await(confirmingFactory.getCallTimeout());
        } catch (JMSException e) {
            closeConfirming();
            throw e;
        }
        LOG.info("A batch of {} events held events the broker had before (sent before a restart, or by a commit whose "
                + "answer a failover cut); sent again without a transaction, the broker dropped those it had and stored the rest, in {} ms",
                rows.size(), (System.nanoTime() - started) / 1_000_000);
    }

    /** Counts a resend's confirmations; the first failure, or a silence of a blocking call's timeout, fails it. */
    private static final class Confirmations implements CompletionListener {

        private int pending;
        private JMSException failure;
        private long lastHeard = System.nanoTime();

        Confirmations(int sends) {
            this.pending = sends;
        }

        @Override
        public synchronized void onCompletion(Message message) {
            pending--;
            lastHeard = System.nanoTime();
            notifyAll();
        }

        @Override
        public synchronized void onException(Message message, Exception exception) {
            if (failure == null) {
                failure = exception instanceof JMSException jms ? jms : new JMSException(String.valueOf(exception.getMessage()));
                if (failure != exception) {
                    failure.setLinkedException(exception);
                }
            }
            notifyAll();
        }

        /**
         * Waits for every confirmation. A failover to the other broker forgets the sends it cut
         * without telling their listeners, hence the bound on silence, not on the whole batch.
         */
        synchronized void await(long silenceMs) throws JMSException {
            long silence = TimeUnit.MILLISECONDS.toNanos(silenceMs);
            while (pending > 0 && failure == null) {
                long left = lastHeard + silence - System.nanoTime();
                if (left <= 0) {
                    throw new JMSException("The broker confirmed no send of the batch's resend for " + silenceMs + " ms; "
                            + pending + " of them unconfirmed");
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new JMSException("Interrupted while waiting for the broker to confirm a resend");
                }
            }
            if (failure != null) {
                throw failure;
            }
        }
    }

    /** @param traceparent the publish span's, or null: the row's own (its writer's span) is carried on */
    private static TextMessage message(Session session, OutboxRow row, String traceparent) throws JMSException {
        TextMessage message = session.createTextMessage(row.payload());
        EventHeaders.set(message, row.eventId(), row.eventType(), row.orderId(), row.payload());
        message.setStringProperty(DUPLICATE_ID, row.eventId());
        String parent = traceparent != null ? traceparent : row.traceparent();
        if (parent != null) {
            message.setStringProperty(TraceContext.TRACEPARENT, parent);
        }
        return message;
    }

    private void closeConfirming() {
        if (confirming != null) {
            confirming.close();
        }
        if (confirmingFactory != null) {
            confirmingFactory.close();
        }
        confirming = null;
        confirmingFactory = null;
    }

    /** Drops the connections; the next publish opens new ones. */
    @Override
    public void close() {
        closeConfirming();
        if (link != null) {
            link.close();
        }
        link = null;
    }

    /** A connection with one session and its producer of persistent messages to the events address. */
    private record Link(Connection connection, Session session, MessageProducer producer) {

        static Link open(ConnectionFactory factory, String user, String password, boolean transacted) throws JMSException {
            Connection connection = user.isEmpty() ? factory.createConnection() : factory.createConnection(user, password);
            try {
                Session session = transacted ? connection.createSession(true, Session.SESSION_TRANSACTED)
                        : connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
                MessageProducer producer = session.createProducer(session.createTopic(ADDRESS));
                producer.setDeliveryMode(DeliveryMode.PERSISTENT);
                return new Link(connection, session, producer);
            } catch (JMSException | RuntimeException e) {
                close(connection);
                throw e;
            }
        }

        void close() {
            close(connection);
        }

        private static void close(Connection connection) {
            try {
                connection.close();
            } catch (JMSException | RuntimeException e) {
                LOG.debug("Closing broker connection failed", e);
            }
        }
    }
}
