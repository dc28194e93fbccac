package io.orderflow.broker;

import org.apache.activemq.artemis.api.core.ActiveMQQueueExistsException;
import org.apache.activemq.artemis.api.core.QueueConfiguration;
import org.apache.activemq.artemis.api.core.client.ClientMessage;
import org.apache.activemq.artemis.api.core.client.ClientRequestor;
import org.apache.activemq.artemis.api.core.management.ManagementHelper;
import org.apache.activemq.artemis.api.core.management.ResourceNames;
import org.apache.activemq.artemis.api.core.RoutingType;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.api.core.client.ActiveMQClient;
import org.apache.activemq.artemis.api.core.client.ClientSession;
import org.apache.activemq.artemis.api.core.client.ClientSessionFactory;
import org.apache.activemq.artemis.api.core.client.ServerLocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The addresses and queues of the flow, declared before any consumer starts (a consumer on a
 * missing queue would make the broker auto-create a wrong, anycast one). Safe to run at every
 * start, by every instance, against the embedded or an external broker.
 *
 * <p>Events go to the multicast address {@value #EVENTS}; each consuming service has its own
 * durable queue on it, filtered to the event types it handles.
 */
public final class EventTopology {

    public static final String EVENTS = "orderflow.events";
    public static final String ORDERS_IN = "orders.in";
    public static final String ORDERS_REJECTED = "orders.in.rejected";

    /** queue -> filter */
    public static final Map<String, String> EVENT_QUEUES = new LinkedHashMap<>();

    static {
        EVENT_QUEUES.put("orderflow.events.stock", "eventType = 'OrderPlaced'");
        EVENT_QUEUES.put("orderflow.events.email", "eventType IN ('StockReserved', 'OutOfStock')");
        EVENT_QUEUES.put("orderflow.events.order", "eventType IN ('StockReserved', 'OutOfStock', 'CustomerNotified', 'NotificationFailed')");
    }

    private static final Logger LOG = LoggerFactory.getLogger(EventTopology.class);

    private EventTopology() {
    }

    public static void declare(String brokerUrl, String user, String password) throws Exception {
        try (ServerLocator locator = ActiveMQClient.createServerLocator(brokerUrl)) {
            locator.setCallTimeout(10_000);
            try (ClientSessionFactory factory = locator.createSessionFactory();
                 ClientSession session = user.isEmpty() ? factory.createSession()
                         : factory.createSession(user, password, false, true, true, false, 0)) {
                address(session, EVENTS, RoutingType.MULTICAST);
                for (Map.Entry<String, String> q : EVENT_QUEUES.entrySet()) {
                    queue(session, EVENTS, q.getKey(), RoutingType.MULTICAST, q.getValue());
                }
                for (String name : new String[] {ORDERS_IN, ORDERS_REJECTED, EmbeddedBroker.DEAD_LETTER, EmbeddedBroker.EXPIRED}) {
                    address(session, name, RoutingType.ANYCAST);
                    queue(session, name, name, RoutingType.ANYCAST, null);
                }
            }
        }
    }

    private static void address(ClientSession session, String name, RoutingType type) throws Exception {
        if (!session.addressQuery(SimpleString.of(name)).isExists()) {
            session.createAddress(SimpleString.of(name), EnumSet.of(type), false);
        }
    }

    /** Through the broker's management address: the queue and the messages on it stay. */
    private static void updateFilter(ClientSession session, String address, String name, RoutingType type, String filter,
                                     String actual) throws Exception {
        String configuration = QueueConfiguration.of(name).setAddress(address).setRoutingType(type).setFilterString(filter)
                .setDurable(true).toJSON();
        try (ClientRequestor requestor = new ClientRequestor(session, "activemq.management")) {
            ClientMessage request = session.createMessage(false);
            ManagementHelper.putOperationInvocation(request, ResourceNames.BROKER, "updateQueue", configuration);
            session.start();
            ClientMessage reply = requestor.request(request, 10_000);
            if (reply != null && ManagementHelper.hasOperationSucceeded(reply)) {
                LOG.info("Queue {}: filter [{}] updated to [{}]", name, actual, filter);
                return;
            }
            LOG.warn("Queue {} has filter [{}], expected [{}], and the broker refused to update it ({}); events may be misrouted: "
                    + "update it with the broker's tools", name, actual, filter,
                    reply == null ? "no answer" : ManagementHelper.getResult(reply));
        }
    }

    private static void queue(ClientSession session, String address, String name, RoutingType type, String filter) throws Exception {
        ClientSession.QueueQuery existing = session.queueQuery(SimpleString.of(name));
        if (existing.isExists()) {
            String actual = existing.getFilterString() == null ? null : existing.getFilterString().toString();
            if (filter != null && !filter.equals(actual)) {
                // declared by an earlier version, which consumed fewer event types
                updateFilter(session, address, name, type, filter, actual);
            }
            return;
        }
        try {
            session.createQueue(QueueConfiguration.of(name).setAddress(address).setRoutingType(type)
                    .setFilterString(filter).setDurable(true).setAutoCreateAddress(false));
        } catch (ActiveMQQueueExistsException raced) {
            // another instance declared it at the same moment
        }
    }
}
