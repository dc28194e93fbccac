package io.orderflow.routes;

import io.orderflow.outbox.Event;
import io.orderflow.support.FlowTestSupport;
import org.apache.camel.builder.NotifyBuilder;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** routes/30-email.yaml: recording notifications and sending them, with the email service alone. */
class EmailRoutesTest extends FlowTestSupport {

    @Override
    protected Map<String, String> settingsOverrides() {
        return Map.of("orderflow.services", "email");
    }

    @Test
    void should_record_a_decision_as_one_notification_send_it_and_emit_customer_notified() throws Exception {
        String id = unique("E");
        String reserved = event(Event.STOCK_RESERVED, id, "2026-01-01T00:00:00Z",
                "{\"customer\":{\"name\":\"Ada\",\"email\":\"ada@example.com\"},\"lines\":[{\"sku\":\"MUG-1\",\"quantity\":2}]}");
        NotifyBuilder recorded = new NotifyBuilder(context).fromRoute("email-notifications").whenCompleted(2).create();
        template.sendBodyAndHeader("jms:topic:orderflow.events::orderflow.events.email", reserved, "eventType", Event.STOCK_RESERVED);
        // the same event again: a duplicate, recorded once
        template.sendBodyAndHeader("jms:topic:orderflow.events::orderflow.events.email", reserved, "eventType", Event.STOCK_RESERVED);
        assertThat(recorded.matches(30, TimeUnit.SECONDS)).isTrue();

        Path eml = dataDir.resolve("mail").resolve(id + ".confirmation.eml");
        await().atMost(TIMEOUT).until(() -> Files.exists(eml));
        assertThat(Files.readString(eml)).contains("To: ada@example.com").contains("Message-ID: <" + id + ".confirmation@");
        assertThat(count("SELECT COUNT(*) FROM email_notification WHERE order_id = ? AND status = 'SENT'", id)).isEqualTo(1);

        var notified = awaitEvent("order", id);
        assertThat(notified.getMessage().getHeader("eventType")).isEqualTo(Event.CUSTOMER_NOTIFIED);
        assertThat(notified.getMessage().getBody(String.class)).contains("ada@example.com");
        assertThat(count("SELECT COUNT(*) FROM email_outbox WHERE order_id = ?", id)).isEqualTo(1);
    }
}
