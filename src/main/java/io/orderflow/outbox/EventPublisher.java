package io.orderflow.outbox;

import io.orderflow.broker.Failover;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.DeliveryMode;
import jakarta.jms.JMSException;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

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

    private final ConnectionFactory connectionFactory;
    private final String user;
    private final String password;
    private Connection connection;
    private Session session;
    private MessageProducer producer;

    EventPublisher(ConnectionFactory connectionFactory, String user, String password) {
        this.connectionFactory = connectionFactory;
        this.user = user;
        this.password = password;
    }

    void publish(List<OutboxRow> rows) throws JMSException {
        open();
        for (int attempt = 1; ; attempt++) {
            for (OutboxRow row : rows) {
                producer.send(message(row));
            }
            try {
                session.commit();
                return;
            } catch (JMSException e) {
                session.rollback();
                if (Failover.refusedAsDuplicate(e)) {
                    publishOneByOne(rows);
                    return;
                }
                if (!Failover.rolledBack(e) || attempt == FAILOVER_ATTEMPTS) {
                    throw e;
                }
                // the session is on the backup now: send the batch again at once, with the same
                // duplicate ids; if the cut commit did happen, the broker refuses them as duplicates
                LOG.info("A batch of {} events was rolled back by a broker failover ({}); sending it again", rows.size(),
                        e.getMessage());
            }
        }
    }

    /**
     * Artemis rejects the whole transaction when one message is a duplicate, which happens when
     * rows were sent before a crash or a failover but not marked published. Resend one per
     * transaction: the duplicates are dropped one by one and the rest get through, so the relay
     * never jams.
     */
    private void publishOneByOne(List<OutboxRow> rows) throws JMSException {
        int dropped = 0;
        for (OutboxRow row : rows) {
            producer.send(message(row));
            try {
                session.commit();
            } catch (JMSException one) {
                session.rollback();
                if (!Failover.refusedAsDuplicate(one)) {
                    throw one;
                }
                dropped++;
                LOG.debug("Event {} ({} of order {}) was already published; the broker dropped the duplicate",
                        row.eventId(), row.eventType(), row.orderId());
            }
        }
        LOG.info("{} of a batch of {} events had been published before (sent again after a restart or a lost "
                + "acknowledgement); the broker dropped them and took the rest, one per transaction", dropped, rows.size());
    }

    private TextMessage message(OutboxRow row) throws JMSException {
        TextMessage message = session.createTextMessage(row.payload());
        EventHeaders.set(message, row.eventId(), row.eventType(), row.orderId(), row.payload());
        message.setStringProperty(DUPLICATE_ID, row.eventId());
        return message;
    }

    private void open() throws JMSException {
        if (session != null) {
            return;
        }
        try {
            connection = user.isEmpty() ? connectionFactory.createConnection()
                    : connectionFactory.createConnection(user, password);
            session = connection.createSession(true, Session.SESSION_TRANSACTED);
            producer = session.createProducer(session.createTopic(ADDRESS));
            producer.setDeliveryMode(DeliveryMode.PERSISTENT);
        } catch (JMSException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Drops the connection; the next publish opens a new one. */
    @Override
    public void close() {
        if (connection != null) {
            try {
                connection.close();
            } catch (JMSException | RuntimeException e) {
                LOG.debug("Closing broker connection failed", e);
            }
        }
        connection = null;
        session = null;
        producer = null;
    }
}
