package io.orderflow.email;

import io.orderflow.outbox.Event;

/**
 * What the customer is told about an order. Its Message-ID is derived from the order and the kind
 * of notification, so a notification sent twice (the process died between the send and the
 * commit) carries the same Message-ID both times and is recognisable as a duplicate.
 */
record Notification(String orderId, String kind, String recipient, String messageId, String subject, String body,
                    String html, String traceId, String traceparent) {

    static final String CONFIRMATION = "confirmation";
    static final String OUT_OF_STOCK = "out-of-stock";

    static Notification of(Event decision, NotificationTemplates templates) {
        String kind = Event.STOCK_RESERVED.equals(decision.type()) ? CONFIRMATION : OUT_OF_STOCK;
        String orderId = decision.orderId();
        NotificationTemplates.Rendered text = templates.render(kind, decision);
        return new Notification(orderId, kind, decision.data().path("customer").path("email").asText(), messageId(orderId, kind),
                text.subject(), text.body(), text.html(), decision.traceId(), null);
    }

    static String messageId(String orderId, String kind) {
        return "<" + orderId + "." + kind + "@orderflow>";
    }

    /** The .eml file name: one per notification, so rewriting it replaces it. */
    String fileName() {
        return orderId + "." + kind + ".eml";
    }
}
