package io.orderflow.operate;

import io.orderflow.broker.MessageCopy;
import jakarta.jms.BytesMessage;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.DeliveryMode;
import jakarta.jms.Destination;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.QueueBrowser;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The messages parked on the broker's two dead-letter queues, read and moved with plain JMS, so
 * that it works the same on the embedded broker and on an external one. Browsing changes nothing;
 * retrying and discarding take the messages in transacted chunks: a retry sends a copy back to
 * the queue the message failed on and removes it in the same broker transaction.
 */
final class ParkedMessages {

    static final List<String> QUEUES = List.of(DeadLetter.EVENTS, DeadLetter.REJECTED_ORDERS);
    private static final String ORDERS_IN = "orders.in";
    /** What parking added; a retried message that fails again gets them anew. */
    private static final Set<String> FAILURE_PROPERTIES = Set.of("failureReason", "failedQueue", "failedRoute", "failedAt",
            "deliveryAttempts", "rejectReason");
    private static final int CHUNK = 100;
    private static final int MAX_SHOWN_BODY = 256 * 1024;

    private final ConnectionFactory connections;
    private final String user;
    private final String password;

    ParkedMessages(ConnectionFactory connections, String user, String password) {
        this.connections = connections;
        this.user = user;
        this.password = password;
    }

    /** Every parked message of the queue that matches, oldest first, without its body. */
    List<DeadLetter> list(String queue, DeadLetterFilter filter, Instant now) throws JMSException {
        List<DeadLetter> found = new ArrayList<>();
        try (Connection connection = connect()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            try (QueueBrowser browser = session.createBrowser(session.createQueue(queue), filter.selector(now))) {
                for (Enumeration<?> e = browser.getEnumeration(); e.hasMoreElements(); ) {
                    found.add(describe(queue, (Message) e.nextElement(), false));
                }
            }
        }
        return found;
    }

    /** The parked message with this id, with its body and properties. */
    Optional<DeadLetter> find(String id) throws JMSException {
        try (Connection connection = connect()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            for (String queue : QUEUES) {
                try (QueueBrowser browser = session.createBrowser(session.createQueue(queue), byId(id))) {
                    Enumeration<?> e = browser.getEnumeration();
                    if (e.hasMoreElements()) {
                        return Optional.of(describe(queue, (Message) e.nextElement(), true));
                    }
                }
            }
        }
        return Optional.empty();
    }

    static String byId(String id) {
        return "JMSMessageID = " + DeadLetterFilter.quoted(id);
    }

    /**
     * Takes the queue's messages that match the selector, in chunks of one broker transaction
     * each: {@code retry} sends a copy of each to where it failed, then {@code beforeCommit}
     * records the chunk (the audit), then the chunk commits. Returns what was taken.
     */
    List<DeadLetter> take(String queue, String selector, boolean retry, Consumer<List<DeadLetter>> beforeCommit)
            throws JMSException {
        List<DeadLetter> taken = new ArrayList<>();
        try (Connection connection = connect()) {
            connection.start();
            Session session = connection.createSession(true, Session.SESSION_TRANSACTED);
            MessageConsumer consumer = session.createConsumer(session.createQueue(queue), selector);
            MessageProducer producer = session.createProducer(null);
            producer.setDeliveryMode(DeliveryMode.PERSISTENT);
            List<DeadLetter> chunk = new ArrayList<>();
            Message message;
            while ((message = consumer.receive(1000)) != null) {
                DeadLetter letter = describe(queue, message, false);
                if (retry) {
                    Message copy = MessageCopy.of(session, message, FAILURE_PROPERTIES);
                    copy.setStringProperty("retriedFrom", letter.id());
                    producer.send(destination(session, letter.retryTo()), copy);
                }
                chunk.add(letter);
                if (chunk.size() == CHUNK) {
                    beforeCommit.accept(chunk);
                    session.commit();
                    taken.addAll(chunk);
                    chunk = new ArrayList<>();
                }
            }
            if (!chunk.isEmpty()) {
                beforeCommit.accept(chunk);
                session.commit();
                taken.addAll(chunk);
            }
        }
        return taken;
    }

    /** An event queue is a queue on the multicast address orderflow.events, named as address::queue. */
    private static Destination destination(Session session, String name) throws JMSException {
        return name.contains("::") ? session.createTopic(name) : session.createQueue(name);
    }

    private Connection connect() throws JMSException {
        return user.isEmpty() ? connections.createConnection() : connections.createConnection(user, password);
    }

    private static DeadLetter describe(String queue, Message m, boolean full) throws JMSException {
        boolean event = queue.equals(DeadLetter.EVENTS);
        String reason = event ? m.getStringProperty("failureReason") : m.getStringProperty("rejectReason");
        String failedAt = m.getStringProperty("failedAt");
        if (failedAt == null) {
            failedAt = Instant.ofEpochMilli(m.getJMSTimestamp()).toString();
        }
        Integer attempts = m.propertyExists("deliveryAttempts") ? m.getIntProperty("deliveryAttempts") : null;
        String body = null;
        Map<String, Object> properties = null;
        if (full) {
            body = body(m);
            properties = new LinkedHashMap<>();
            properties.put("JMSMessageID", m.getJMSMessageID());
            properties.put("JMSTimestamp", Instant.ofEpochMilli(m.getJMSTimestamp()).toString());
            for (Enumeration<?> names = m.getPropertyNames(); names.hasMoreElements(); ) {
                String name = (String) names.nextElement();
                properties.put(name, m.getObjectProperty(name));
            }
        }
        return new DeadLetter(m.getJMSMessageID(), queue, event ? m.getStringProperty("failedQueue") : ORDERS_IN,
                m.getStringProperty("eventType"), m.getStringProperty("eventId"), m.getStringProperty("orderId"),
                reason, failedAt, attempts, body, properties);
    }

    /** The body as text when it is text; bytes as UTF-8 when they are, else base64. */
    private static String body(Message m) throws JMSException {
        if (m instanceof TextMessage t) {
            String text = t.getText();
            return text == null || text.length() <= MAX_SHOWN_BODY ? text
                    : text.substring(0, MAX_SHOWN_BODY) + "... (" + text.length() + " characters, cut here)";
        }
        if (m instanceof BytesMessage b) {
            b.reset();
            byte[] content = new byte[(int) Math.min(b.getBodyLength(), MAX_SHOWN_BODY)];
            b.readBytes(content);
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(content)).toString();
            } catch (CharacterCodingException e) {
                return "base64:" + Base64.getEncoder().encodeToString(content);
            }
        }
        return "(" + m.getClass().getSimpleName() + ", no text body)";
    }
}
