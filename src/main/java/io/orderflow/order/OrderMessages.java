package io.orderflow.order;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.orderflow.broker.batch.BatchFailedException;
import io.orderflow.broker.batch.Delivery;
import io.orderflow.infra.TraceContext;
import io.orderflow.intake.RejectedInputException;
import io.orderflow.intake.Utf8Text;
import jakarta.jms.BytesMessage;
import jakarta.jms.JMSException;
import jakarta.jms.MapMessage;
import jakarta.jms.ObjectMessage;
import jakarta.jms.StreamMessage;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Orders from the JMS queue orders.in: one order per text message, a batch of messages recorded in
 * one transaction. A message that breaks an input rule fails its batch, which then runs again one
 * message at a time, so that message alone is rejected.
 */
public final class OrderMessages {

    public static final String REJECT_REASON = "rejectReason";
    /** Where Artemis keeps an AMQP message's content-type when a JMS client reads it. */
    static final String AMQP_CONTENT_TYPE = "JMS_AMQP_ContentType";
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

    /** Route entry: a batch from orders.in. */
    public void accept(List<Delivery> batch) {
        try {
            List<Order> orders = new ArrayList<>(batch.size());
            List<String> sources = new ArrayList<>(batch.size());
            List<String> traceparents = new ArrayList<>(batch.size());
            for (Delivery d : batch) {
                orders.add(parse(d));
                sources.add("message " + d.messageId());
                // the sender's trace, when it passes one (W3C traceparent); a new one otherwise
                traceparents.add(d.property(TraceContext.TRACEPARENT));
            }
            OrderIntake.Outcome outcome = intake.accept(orders, sources, traceparents);
            LOG.debug("Accepted {} order messages: {} placed, {} duplicates ignored", batch.size(), outcome.placed(), outcome.duplicates());
        } catch (RuntimeException e) {
            throw BatchFailedException.unlessSingle(batch.size(), e);
        }
    }

    private Order parse(Delivery d) {
        String contentType = d.property(AMQP_CONTENT_TYPE);
        if (contentType != null && !isJson(contentType)) {
            throw new RejectedInputException("content-type is " + contentType + ": expected application/json");
        }
        String text = d.text() != null ? d.text() : bytesAsText(d);
        if (text.isBlank()) {
            throw new RejectedInputException("empty message: expected one order as JSON");
        }
        if (text.trim().startsWith("[")) {
            throw new RejectedInputException("expected one order per message, got a JSON array");
        }
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        if (utf8.length > maxSize) {
            throw new RejectedInputException(tooLarge(utf8.length));
        }
        return format.parse(utf8).get(0);
    }

    /**
     * An order as bytes: a JMS bytes message, an AMQP data section, or a STOMP frame with a
     * content-length. The bytes must be UTF-8 JSON.
     */
    private String bytesAsText(Delivery d) {
        if (!(d.message() instanceof BytesMessage bytes)) {
            String type = d.message() instanceof MapMessage ? "a map message (an AMQP map)"
                    : d.message() instanceof ObjectMessage ? "an object message"
                    : d.message() instanceof StreamMessage ? "a stream message (an AMQP sequence or list)"
                    : null;
            throw new RejectedInputException(type == null ? "empty message: expected one order as JSON"
                    : "expected one order as JSON text or UTF-8 bytes, got " + type);
        }
        try {
            long length = bytes.getBodyLength();
            if (length == 0) {
                throw new RejectedInputException("empty message: expected one order as JSON");
            }
            if (length > maxSize) {
                throw new RejectedInputException(tooLarge(length));
            }
            byte[] body = new byte[(int) length];
            bytes.reset();
            bytes.readBytes(body);
            return Utf8Text.decode(body);
        } catch (JMSException e) {
            throw new IllegalStateException("could not read the body of bytes message " + d.messageId(), e);
        }
    }

    private String tooLarge(long size) {
        return "message is " + size + " bytes, over the limit of " + maxSize + " bytes (orderflow.orders.max-file-size)";
    }

    /** application/json, or a type with the +json suffix, with or without parameters such as charset. */
    static boolean isJson(String contentType) {
        String type = contentType.split(";", 2)[0].trim().toLowerCase(java.util.Locale.ROOT);
        return type.equals("application/json") || type.endsWith("+json");
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
