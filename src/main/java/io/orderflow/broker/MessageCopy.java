package io.orderflow.broker;

import jakarta.jms.BytesMessage;
import jakarta.jms.JMSException;
import jakarta.jms.MapMessage;
import jakarta.jms.Message;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.jms.client.ActiveMQMessage;

import java.util.Enumeration;
import java.util.Set;

/**
 * A new message with another's body and application properties, to send elsewhere. The broker's
 * own properties (_AMQ*, JMSX* but the group) stay behind: above all the duplicate-detection id,
 * which would make the broker drop a copy sent back to the address the original came from.
 */
public final class MessageCopy {

    private MessageCopy() {
    }

    public static Message of(Session session, Message original) throws JMSException {
        return of(session, original, Set.of());
    }

    /** A copy without the named properties either. */
    public static Message of(Session session, Message original, Set<String> leftOut) throws JMSException {
        Message copy;
        if (original instanceof TextMessage t) {
            copy = session.createTextMessage(t.getText());
        } else if (original instanceof BytesMessage b) {
            BytesMessage bytes = session.createBytesMessage();
            byte[] content = new byte[(int) b.getBodyLength()];
            b.reset();
            b.readBytes(content);
            bytes.writeBytes(content);
            copy = bytes;
        } else if (original instanceof MapMessage m) {
            MapMessage map = session.createMapMessage();
            for (Enumeration<?> names = m.getMapNames(); names.hasMoreElements(); ) {
                String name = (String) names.nextElement();
                map.setObject(name, m.getObject(name));
            }
            copy = map;
        } else {
            copy = session.createMessage();
        }
        for (Enumeration<?> names = original.getPropertyNames(); names.hasMoreElements(); ) {
            String name = (String) names.nextElement();
            if (!name.startsWith("JMSX") && !name.startsWith("_AMQ") && !leftOut.contains(name)) {
                setProperty(copy, name, original.getObjectProperty(name));
            }
        }
        if (original.propertyExists("JMSXGroupID")) {
            copy.setStringProperty("JMSXGroupID", original.getStringProperty("JMSXGroupID"));
        }
        return copy;
    }

    /**
     * A STOMP client's headers and an AMQP client's application properties arrive as properties
     * whose names need not be Java identifiers ({@code content-length}, {@code destination-type}).
     * JMS refuses to set such a name; Artemis's own message takes it, so the copy keeps what the
     * client sent.
     */
    private static void setProperty(Message copy, String name, Object value) throws JMSException {
        if (isIdentifier(name) || !(copy instanceof ActiveMQMessage artemis)) {
            if (isIdentifier(name)) {
                copy.setObjectProperty(name, value);
            }
            return;
        }
        artemis.getCoreMessage().putObjectProperty(SimpleString.of(name), value);
    }

    static boolean isIdentifier(String name) {
        if (name.isEmpty() || !Character.isJavaIdentifierStart(name.charAt(0))) {
            return false;
        }
        return name.chars().skip(1).allMatch(Character::isJavaIdentifierPart);
    }
}
