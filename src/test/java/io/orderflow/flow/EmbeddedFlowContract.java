package io.orderflow.flow;

import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.camel.component.activemq.ActiveMQComponent;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The flow on an embedded database under the data dir, notifications written as .eml files (the
 * defaults): on the embedded PostgreSQL and on the H2 file.
 */
abstract class EmbeddedFlowContract extends FlowContract {

    @Test
    void should_take_an_order_sent_by_an_activemq_classic_client_over_openwire() throws Exception {
        String sku = unique("OW");
        stock("sku,quantity\n" + sku + ",1\n");
        String id = unique("OW");
        // another Camel application, on ActiveMQ Classic's component and client (OpenWire)
        ActiveMQComponent classic = new ActiveMQComponent();
        classic.setConnectionFactory(new ActiveMQConnectionFactory("tcp://127.0.0.1:" + brokerPort));
        context.addComponent("classic", classic);
        template.sendBody("classic:queue:orders.in", order(id, "ow@example.com", sku, "1"));
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
