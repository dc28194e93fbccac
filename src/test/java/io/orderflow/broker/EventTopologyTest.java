package io.orderflow.broker;

import io.orderflow.config.Settings;
import org.apache.activemq.artemis.api.core.QueueConfiguration;
import org.apache.activemq.artemis.api.core.RoutingType;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.api.core.client.ActiveMQClient;
import org.apache.activemq.artemis.api.core.client.ClientMessage;
import org.apache.activemq.artemis.api.core.client.ClientProducer;
import org.apache.activemq.artemis.api.core.client.ClientSession;
import org.apache.activemq.artemis.api.core.client.ClientSessionFactory;
import org.apache.activemq.artemis.api.core.client.ServerLocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/** The flow's queues on a real embedded broker, including one declared by an earlier version. */
class EventTopologyTest {

    @TempDir
    Path dataDir;

    @Test
    void should_update_the_filter_of_an_event_queue_declared_by_an_earlier_version() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Settings settings = Settings.load(Map.of(), new Properties(), Map.of("orderflow.data-dir", dataDir.toString(),
                "orderflow.broker.listen", "tcp://127.0.0.1:" + port));
        String url = "tcp://127.0.0.1:" + port;
        try (EmbeddedBroker broker = new EmbeddedBroker(settings)) {
            broker.start();
            try (ServerLocator locator = ActiveMQClient.createServerLocator(url);
                 ClientSessionFactory factory = locator.createSessionFactory();
                 ClientSession session = factory.createSession()) {
                session.createAddress(SimpleString.of(EventTopology.EVENTS), RoutingType.MULTICAST, false);
                session.createQueue(QueueConfiguration.of("orderflow.events.order").setAddress(EventTopology.EVENTS)
                        .setRoutingType(RoutingType.MULTICAST).setDurable(true)
                        .setFilterString("eventType IN ('StockReserved', 'OutOfStock', 'CustomerNotified')"));

            }
            EventTopology.declare(url, "", "");
            try (ServerLocator locator = ActiveMQClient.createServerLocator(url);
                 ClientSessionFactory factory = locator.createSessionFactory();
                 ClientSession session = factory.createSession()) {
                // what matters is routing: a NotificationFailed now reaches the order service's queue
                ClientProducer producer = session.createProducer(EventTopology.EVENTS);
                ClientMessage event = session.createMessage(true);
                event.putStringProperty("eventType", "NotificationFailed");
                producer.send(event);
                assertThat(session.queueQuery(SimpleString.of("orderflow.events.order")).getMessageCount()).isEqualTo(1);
            }
        }
    }
}
