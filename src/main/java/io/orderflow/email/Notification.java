package io.orderflow.email;

import com.fasterxml.jackson.databind.JsonNode;
import io.orderflow.outbox.Event;

/**
 * What the customer is told about an order. Its Message-ID is derived from the order and the kind
 * of notification, so a notification sent twice (the process died between the send and the
 * commit) carries the same Message-ID both times and is recognisable as a duplicate.
 */
record Notification(String orderId, String kind, String recipient, String messageId, String subject, String body) {

    static final String CONFIRMATION = "confirmation";
    static final String OUT_OF_STOCK = "out-of-stock";

    static Notification of(Event decision) {
        JsonNode customer = decision.data().path("customer");
        String name = customer.hasNonNull("name") ? customer.get("name").asText() : null;
        String email = customer.path("email").asText();
        String orderId = decision.orderId();
        StringBuilder body = new StringBuilder();
        body.append(name == null ? "Hello," : "Hello " + name + ",").append("\r\n\r\n");
        String kind;
        String subject;
        if (Event.STOCK_RESERVED.equals(decision.type())) {
            kind = CONFIRMATION;
            subject = "Your order " + orderId + " is confirmed";
            body.append("Thank you for your order ").append(orderId).append(". Everything is reserved for you:\r\n\r\n");
            for (JsonNode line : decision.data().path("lines")) {
                body.append("  ").append(line.path("quantity").asInt()).append(" x ").append(line.path("sku").asText()).append("\r\n");
            }
        } else {
            kind = OUT_OF_STOCK;
            subject = "Your order " + orderId + " cannot be fulfilled";
            body.append("We are sorry: we cannot fulfil your order ").append(orderId)
                    .append(", because these items are not available in the quantity you ordered:\r\n\r\n");
            for (JsonNode m : decision.data().path("missing")) {
                body.append("  ").append(m.path("sku").asText()).append(": ordered ").append(m.path("requested").asInt())
                        .append(", available ").append(m.path("available").asInt()).append("\r\n");
            }
            body.append("\r\nNothing has been reserved or charged for this order.\r\n");
        }
        body.append("\r\n-- \r\norderflow\r\n");
        return new Notification(orderId, kind, email, messageId(orderId, kind), subject, body.toString());
    }

    static String messageId(String orderId, String kind) {
        return "<" + orderId + "." + kind + "@orderflow>";
    }

    /** The .eml file name: one per notification, so rewriting it replaces it. */
    String fileName() {
        return orderId + "." + kind + ".eml";
    }
}
