package io.orderflow.flow;

import jakarta.jms.Connection;
import jakarta.jms.Session;
import org.apache.activemq.ActiveMQConnectionFactory;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The flow on the embedded defaults: H2 under the data dir, notifications written as .eml files. */
class H2FlowTest extends FlowContract {

    @Test
    void should_take_an_order_sent_by_an_activemq_classic_client_over_openwire() throws Exception {
        String sku = unique("OW");
        stock("sku,quantity\n" + sku + ",1\n");
        String id = unique("OW");
        ActiveMQConnectionFactory classic = new ActiveMQConnectionFactory("tcp://127.0.0.1:" + brokerPort);
        try (Connection connection = classic.createConnection();
             Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE)) {
            session.createProducer(session.createQueue("orders.in")).send(session.createTextMessage(order(id, "ow@example.com", sku, "1")));
        }
        awaitStatus(id, "CONFIRMED");
        assertThat(awaitEmail(id, "confirmation")).contains("To: ow@example.com");
    }

    @Override
    protected String awaitEmail(String orderId, String kind) {
        Path eml = dataDir.resolve("mail").resolve(orderId + "." + kind + ".eml");
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(eml));
        try {
            return Files.readString(eml);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected int emailsFor(String orderId) {
        return count("SELECT COUNT(*) FROM email_notification WHERE order_id = ? AND status = 'SENT'", orderId);
    }
}
