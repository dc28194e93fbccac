package io.orderflow.outbox;

import jakarta.jms.JMSException;
import jakarta.jms.Message;

import java.util.Map;

/**
 * The properties of every event message on orderflow.events, wherever it is sent from (a relay, a
 * replay): orderflow's own (eventType, eventId, orderId, and the order as the message group), and
 * the CloudEvents 1.0 attributes as the CloudEvents AMQP binding names its application properties
 * ({@code cloudEvents_id} and so on; the binding's underscore form, which JMS can name and select
 * on too). A CloudEvents SDK in any language reads an event as it arrives; its data is the event's
 * JSON, and its content-type is application/json.
 */
public final class EventHeaders {

    static final String CLOUDEVENTS_PREFIX = "cloudEvents_";
    /** Where Artemis keeps an AMQP message's content-type; an AMQP consumer receives it as content-type. */
    static final String AMQP_CONTENT_TYPE = "JMS_AMQP_ContentType";
    private static final Map<String, String> SERVICE_OF = Map.of(Event.ORDER_PLACED, "order", Event.STOCK_RESERVED, "stock",
            Event.OUT_OF_STOCK, "stock", Event.CUSTOMER_NOTIFIED, "email", Event.NOTIFICATION_FAILED, "email");

    private EventHeaders() {
    }

    public static void set(Message message, String eventId, String type, String orderId, String payload) throws JMSException {
        message.setStringProperty("eventType", type);
        message.setStringProperty("eventId", eventId);
        message.setStringProperty("orderId", orderId);
        // one message group per order: its events are consumed in the order they were published
        message.setStringProperty("JMSXGroupID", orderId);
        message.setStringProperty(CLOUDEVENTS_PREFIX + "specversion", "1.0");
        message.setStringProperty(CLOUDEVENTS_PREFIX + "id", eventId);
        message.setStringProperty(CLOUDEVENTS_PREFIX + "source", source(type));
        message.setStringProperty(CLOUDEVENTS_PREFIX + "type", type);
        message.setStringProperty(CLOUDEVENTS_PREFIX + "subject", orderId);
        String time = EventJson.occurredAt(payload);
        if (time != null) {
            message.setStringProperty(CLOUDEVENTS_PREFIX + "time", time);
        }
        message.setStringProperty(AMQP_CONTENT_TYPE, "application/json");
    }

    /** The emitting service, as a URI reference: /orderflow/order, /orderflow/stock, /orderflow/email. */
    static String source(String type) {
        return "/orderflow/" + SERVICE_OF.getOrDefault(type, "unknown");
    }
}
