package io.orderflow.broker.batch;

import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.jms.client.ActiveMQMessage;

/**
 * One message of a batch taken by a {@code jms-batch:} consumer: the received JMS message, with
 * what its handlers read of it. Its delivery count is the broker's (JMSXDeliveryCount).
 */
public record Delivery(Message message, String messageId, String text, int deliveryCount) {

    static Delivery of(Message message) throws JMSException {
        int count = message.propertyExists("JMSXDeliveryCount") ? message.getIntProperty("JMSXDeliveryCount") : 1;
        String text = message instanceof TextMessage t ? t.getText() : null;
        return new Delivery(message, idOf(message), text, count);
    }

    /**
     * The JMS message id, or for a message without one (AMQP and STOMP clients need not set it)
     * the broker's own id of the message, so that a log line and an order's source still name it.
     */
    private static String idOf(Message message) throws JMSException {
        String id = message.getJMSMessageID();
        if (id == null && message instanceof ActiveMQMessage artemis) {
            return "#" + artemis.getCoreMessage().getMessageID();
        }
        return id;
    }

    /** A string property of the message, or null. */
    public String property(String name) {
        try {
            return message.getStringProperty(name);
        } catch (JMSException e) {
            return null;
        }
    }
}
