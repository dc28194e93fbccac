package io.orderflow.flow;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.awaitility.Awaitility.await;

/** The flow on the embedded defaults: H2 under the data dir, notifications written as .eml files. */
class H2FlowTest extends FlowContract {

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
