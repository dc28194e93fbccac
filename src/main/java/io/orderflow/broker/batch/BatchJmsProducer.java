package io.orderflow.broker.batch;

import io.orderflow.broker.MessageCopy;

import jakarta.jms.Connection;
import jakarta.jms.DeliveryMode;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultProducer;

import java.util.List;
import java.util.Map;

/**
 * Sends to a queue inside the broker transaction of the batch being processed (so it commits with
 * the receive), or in a transaction of its own outside a batch. A body of deliveries is sent as
 * copies of the original messages (same type, body and properties); any other body as text. The
 * exchange's own headers (a rejection reason, a failure reason) are added as string properties.
 */
final class BatchJmsProducer extends DefaultProducer {

    private final BatchJmsEndpoint endpoint;

    BatchJmsProducer(BatchJmsEndpoint endpoint) {
        super(endpoint);
        this.endpoint = endpoint;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        Session session = exchange.getProperty(BatchJmsConsumer.SESSION, Session.class);
        if (session != null) {
            send(session, exchange);
            return;
        }
        try (Connection connection = endpoint.getComponent().connect()) {
            Session own = connection.createSession(true, Session.SESSION_TRANSACTED);
            send(own, exchange);
            own.commit();
        }
    }

    private void send(Session session, Exchange exchange) throws JMSException {
        MessageProducer producer = session.createProducer(session.createQueue(endpoint.getQueue()));
        try {
            producer.setDeliveryMode(DeliveryMode.PERSISTENT);
            Object body = exchange.getIn().getBody();
            if (body instanceof List<?> list && !list.isEmpty() && list.get(0) instanceof Delivery) {
                for (Object d : list) {
                    Message copy = MessageCopy.of(session, ((Delivery) d).message());
                    addHeaders(exchange, copy);
                    producer.send(copy);
                }
            } else {
                TextMessage text = session.createTextMessage(exchange.getIn().getBody(String.class));
                addHeaders(exchange, text);
                producer.send(text);
            }
        } finally {
            producer.close();
        }
    }

    /** The exchange's own headers: not JMS's, not Camel's, not the batch's. */
    private static void addHeaders(Exchange exchange, Message message) throws JMSException {
        for (Map.Entry<String, Object> h : exchange.getIn().getHeaders().entrySet()) {
            String name = h.getKey();
            Object value = h.getValue();
            if (value == null || name.startsWith("JMS") || name.startsWith("Camel") || name.startsWith("_AMQ")
                    || name.equals(BatchJmsConsumer.BATCH_SIZE) || !isIdentifier(name)) {
                continue;
            }
            if (value instanceof String || value instanceof Number || value instanceof Boolean) {
                message.setObjectProperty(name, value);
            }
        }
    }

    private static boolean isIdentifier(String name) {
        if (name.isEmpty() || !Character.isJavaIdentifierStart(name.charAt(0))) {
            return false;
        }
        return name.chars().skip(1).allMatch(Character::isJavaIdentifierPart);
    }
}
