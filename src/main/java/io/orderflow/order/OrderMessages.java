package io.orderflow.order;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.orderflow.intake.RejectedInputException;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Orders from the JMS queue orders.in: one order per text message. */
public final class OrderMessages {

    public static final String REJECT_REASON = "rejectReason";
    private static final Logger LOG = LoggerFactory.getLogger(OrderMessages.class);

    private final OrderFormat format;
    private final OrderIntake intake;
    private final Counter rejected;
    private final long maxSize;

    /** @param maxSize orderflow.orders.max-file-size; the broker diverts messages far over it before they are read */
    public OrderMessages(OrderFormat format, OrderIntake intake, long maxSize, MeterRegistry meters) {
        this.format = format;
        this.intake = intake;
        this.maxSize = maxSize;
        this.rejected = Counter.builder("orderflow.messages.rejected")
                .description("Order messages moved to orders.in.rejected").register(meters);
    }

    public void accept(Exchange exchange) {
        Object body = exchange.getIn().getBody();
        String messageId = exchange.getIn().getHeader("JMSMessageID", String.class);
        if (body == null) {
            throw new RejectedInputException("empty message: expected a text message holding one order as JSON");
        }
        if (!(body instanceof String text)) {
            String type = body instanceof byte[] ? "a bytes message" : body instanceof Map ? "a map message"
                    : "a " + body.getClass().getSimpleName() + " message";
            throw new RejectedInputException("expected a text message holding one order as JSON, got " + type);
        }
        if (text.trim().startsWith("[")) {
            throw new RejectedInputException("expected one order per message, got a JSON array");
        }
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        if (utf8.length > maxSize) {
            throw new RejectedInputException("message is " + utf8.length + " bytes, over the limit of " + maxSize
                    + " bytes (orderflow.orders.max-file-size)");
        }
        List<Order> orders = format.parse(utf8);
        OrderIntake.Outcome outcome = intake.accept(orders, "message " + messageId);
        LOG.info("Accepted order message {} (order {}){}", messageId, orders.get(0).orderId(),
                outcome.duplicates() > 0 ? ": a duplicate, ignored" : "");
    }

    /** Sets the rejectReason property for the copy that goes to orders.in.rejected. */
    public void reject(Exchange exchange) {
        Throwable failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String reason = failure instanceof RejectedInputException r ? String.join("; ", r.problems())
                : "could not be processed: " + failure;
        exchange.getIn().setHeader(REJECT_REASON, reason);
        rejected.increment();
        LOG.warn("Rejected order message {}: {}", exchange.getIn().getHeader("JMSMessageID"), reason);
    }
}
