package io.orderflow.email;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import io.orderflow.contract.EventSchemas;
import io.orderflow.outbox.Event;
import io.orderflow.support.FlowTestSupport;
import io.orderflow.support.OrderflowProcess;
import io.orderflow.support.RefusingSmtpProxy;
import jakarta.mail.MessagingException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A mail server that refuses one recipient for good (550) and defers another (451), through a
 * recipient policy in front of a real SMTP server: the refusal is not retried, shows on the
 * order and among the dead letters, and is sent once an operator retries it; the deferral keeps
 * its backoff. Run against each database by a small subclass.
 */
abstract class MailRefusalContract extends FlowTestSupport {

    private static final String TOKEN = "mail-refusal-test-token-0123";
    private GreenMail smtp;
    private RefusingSmtpProxy policy;

    protected Map<String, String> databaseSettings() {
        return Map.of();
    }

    @Override
    protected Map<String, String> settingsOverrides() {
        try {
            ServerSetup setup = new ServerSetup(OrderflowProcess.freePort(), "127.0.0.1", ServerSetup.PROTOCOL_SMTP);
            smtp = new GreenMail(setup);
            smtp.start();
            policy = new RefusingSmtpProxy(setup.getPort());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> s = new HashMap<>(databaseSettings());
        s.put("orderflow.mail.mode", "smtp");
        s.put("orderflow.mail.smtp.host", "127.0.0.1");
        s.put("orderflow.mail.smtp.port", String.valueOf(policy.port()));
        s.put("orderflow.admin.token", TOKEN);
        return s;
    }

    @AfterAll
    void stopMail() throws Exception {
        context.stop();
        policy.close();
        smtp.stop();
    }

    @Test
    void should_not_retry_a_permanent_refusal_show_it_and_send_it_when_an_operator_retries() throws Exception {
        String sku = unique("MAIL");
        stock("sku,quantity\n" + sku + ",10\n");
        String refusedTo = unique("nobody") + "@example.com";
        policy.answer(refusedTo, "550 5.1.1 <" + refusedTo + ">: mailbox unavailable");
        String id = unique("R");
        drop("orders", id + ".json", order(id, refusedTo, sku, "1"));

        await().atMost(TIMEOUT).until(() -> "FAILED".equals(notificationStatus(id)));
        assertThat(jdbc().queryForObject("SELECT last_error FROM email_notification WHERE order_id = ?", String.class, id))
                .contains("550 5.1.1", "mailbox unavailable");
        await().atMost(TIMEOUT).until(() -> get("/api/orders/" + id).body().contains("\"notificationFailure\""));
        String order = get("/api/orders/" + id).body();
        assertThat(order).contains("550 5.1.1", "\"NotificationFailed\"", "\"notifiedAt\" : null");
        assertThat(new EventSchemas().assertEveryOutboxEventConforms(jdbc())).contains(Event.NOTIFICATION_FAILED);
        String listed = admin("GET", "/admin/dead-letters?source=notifications&orderId=" + id, null);
        assertThat(listed).contains("\"total\" : 1", "notification:" + id, "550 5.1.1");
        assertThat(meter("orderflow_notifications_refused_total")).isGreaterThanOrEqualTo(1);

        // other customers are mailed meanwhile, and the refused one is not tried again
        String other = unique("S");
        drop("orders", other + ".json", order(other, "someone@example.com", sku, "1"));
        awaitNotified(other);
        assertThat(count("SELECT attempts FROM email_notification WHERE order_id = ?", id)).isEqualTo(1);

        policy.accept(refusedTo);
        assertThat(admin("POST", "/admin/dead-letters/retry", "{\"ids\":[\"notification:" + id + "\"]}")).contains("\"count\" : 1");
        awaitNotified(id);
        assertThat(messagesTo(refusedTo)).isEqualTo(1);
        await().atMost(TIMEOUT).until(() -> !get("/api/orders/" + id).body().contains("\"notificationFailure\""));
        assertThat(count("SELECT COUNT(*) FROM admin_audit WHERE target = ? AND action = 'RETRY'", "notification:" + id)).isEqualTo(1);
        assertThat(admin("GET", "/admin/dead-letters?source=notifications&orderId=" + id, null)).contains("\"total\" : 0");
    }

    @Test
    void should_keep_retrying_a_deferral_with_its_backoff() throws Exception {
        String sku = unique("LATER");
        stock("sku,quantity\n" + sku + ",10\n");
        String deferredTo = unique("later") + "@example.com";
        policy.answer(deferredTo, "451 4.3.0 <" + deferredTo + ">: try again later");
        String id = unique("T");
        drop("orders", id + ".json", order(id, deferredTo, sku, "1"));

        await().atMost(TIMEOUT).until(() -> count("SELECT COALESCE(MAX(attempts), 0) FROM email_notification WHERE order_id = ?", id) >= 2);
        assertThat(notificationStatus(id)).isEqualTo("PENDING");
        assertThat(jdbc().queryForObject("SELECT last_error FROM email_notification WHERE order_id = ?", String.class, id)).contains("451");

        policy.accept(deferredTo);
        awaitNotified(id);
        assertThat(messagesTo(deferredTo)).isEqualTo(1);
    }

    private String notificationStatus(String orderId) {
        return jdbc().query("SELECT status FROM email_notification WHERE order_id = ?", rs -> rs.next() ? rs.getString(1) : null, orderId);
    }

    private long messagesTo(String recipient) {
        return Arrays.stream(smtp.getReceivedMessages()).filter(m -> {
            try {
                return m.getAllRecipients()[0].toString().equals(recipient);
            } catch (MessagingException e) {
                return false;
            }
        }).count();
    }

    private double meter(String name) throws Exception {
        return get("/observe/metrics").body().lines().filter(l -> l.startsWith(name))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private String admin(String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + TOKEN)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> response = HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response.body();
    }
}
