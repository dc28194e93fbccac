package io.orderflow.broker;

import org.apache.activemq.artemis.api.core.Message;
import org.apache.activemq.artemis.core.server.transformer.Transformer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * Marks an order message that the broker diverts from orders.in to orders.in.rejected because it
 * is over orderflow.orders.max-file-size. The divert (see {@link EmbeddedBroker}) acts on the size
 * Artemis knows before anyone reads the body, so the message never reaches a consumer's heap (a
 * JMS client reads a text message's whole body when it receives it); its body stays as it was
 * sent, and this adds the reason the other rejected messages carry.
 */
public final class OversizedOrderMessages implements Transformer {

    static final String LIMIT = "limit";
    /** Headers and properties of a message, on top of its body. */
    private static final long HEADER_ROOM = 64 * 1024;
    private static final Logger LOG = LoggerFactory.getLogger(OversizedOrderMessages.class);

    private long limit;

    @Override
    public void init(Map<String, String> properties) {
        limit = Long.parseLong(properties.get(LIMIT));
    }

    /** The stored size over which an order message cannot be within the limit, whatever its encoding. */
    static long threshold(long limit) {
        return 2 * limit + HEADER_ROOM;
    }

    @Override
    public Message transform(Message message) {
        Long largeBody = message.getLongProperty(Message.HDR_LARGE_BODY_SIZE);
        long size = Math.max(message.getWholeMessageSize(), largeBody == null ? 0 : largeBody);
        String reason = "message of " + size + " bytes as stored by the broker is over the limit of " + limit
                + " bytes (orderflow.orders.max-file-size; the broker stores text as two bytes a character); rejected unread";
        message.putStringProperty("rejectReason", reason);
        LOG.warn("Rejected order message {}: {}", message.getMessageID(), reason);
        return message;
    }
}
