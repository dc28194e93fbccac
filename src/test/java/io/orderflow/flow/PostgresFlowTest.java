package io.orderflow.flow;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import io.orderflow.support.OrderflowProcess;
import io.orderflow.support.TestPostgres;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The flow on PostgreSQL, with notifications sent through a real SMTP server (GreenMail). */
class PostgresFlowTest extends FlowContract {

    private TestPostgres postgres;
    private ServerSetup smtpSetup;
    private GreenMail smtp;

    @Override
    protected Map<String, String> settingsOverrides() {
        postgres = TestPostgres.create();
        try {
            smtpSetup = new ServerSetup(OrderflowProcess.freePort(), "127.0.0.1", ServerSetup.PROTOCOL_SMTP);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        smtp = new GreenMail(smtpSetup);
        smtp.start();
        return Map.of("orderflow.db.url", postgres.url(), "orderflow.db.user", postgres.user(),
                "orderflow.mail.mode", "smtp", "orderflow.mail.smtp.host", "127.0.0.1",
                "orderflow.mail.smtp.port", String.valueOf(smtpSetup.getPort()));
    }

    @AfterAll
    void stopServers() throws Exception {
        context.stop();
        smtp.stop();
        postgres.close();
    }

    private List<MimeMessage> messagesFor(String orderId) {
        return Arrays.stream(smtp.getReceivedMessages()).filter(m -> {
            try {
                String[] h = m.getHeader("X-Orderflow-Order-Id");
                return h != null && h[0].equals(orderId);
            } catch (MessagingException e) {
                return false;
            }
        }).toList();
    }

    @Override
    protected String awaitEmail(String orderId, String kind) {
        await().atMost(Duration.ofSeconds(30)).until(() -> !messagesFor(orderId).isEmpty());
        return GreenMailUtil.getWholeMessage(messagesFor(orderId).get(0));
    }

    @Override
    protected int emailsFor(String orderId) {
        return messagesFor(orderId).size();
    }

    @Test
    void should_time_out_on_a_mail_server_that_never_answers_and_send_once_it_does() throws Exception {
        String sku = unique("SILENT");
        stock("sku,quantity\n" + sku + ",5\n");
        smtp.stop();
        List<Socket> held = new java.util.concurrent.CopyOnWriteArrayList<>();
        ServerSocket silent = new ServerSocket(smtpSetup.getPort(), 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!silent.isClosed()) {
                try {
                    held.add(silent.accept()); // accepts the connection and never says a word
                } catch (IOException e) {
                    return;
                }
            }
        });
        acceptor.start();
        String id = unique("S");
        try {
            drop("orders", id + ".json", order(id, "s@example.com", sku, "1"));
            awaitStatus(id, "CONFIRMED");
            await().atMost(Duration.ofSeconds(30)).until(() -> count(
                    "SELECT COUNT(*) FROM email_notification WHERE order_id = ? AND status = 'PENDING' AND attempts >= 2 "
                            + "AND LOWER(last_error) LIKE '%timed out%'", id) == 1);
        } finally {
            silent.close();
            for (Socket s : held) {
                s.close();
            }
            acceptor.join();
            smtp = new GreenMail(smtpSetup);
            smtp.start();
        }
        assertThat(awaitEmail(id, "confirmation")).contains("Message-ID: <" + id + ".confirmation@orderflow>");
        awaitNotified(id);
        assertThat(emailsFor(id)).isEqualTo(1);
    }

    @Test
    void should_keep_a_notification_waiting_while_the_mail_server_is_down_and_send_it_when_back() throws Exception {
        String sku = unique("SMTP");
        stock("sku,quantity\n" + sku + ",5\n");
        smtp.stop();
        try {
            String id = unique("M");
            drop("orders", id + ".json", order(id, "m@example.com", sku, "1"));
            awaitStatus(id, "CONFIRMED");
            await().atMost(Duration.ofSeconds(30)).until(() -> count(
                    "SELECT COUNT(*) FROM email_notification WHERE order_id = ? AND status = 'PENDING' AND attempts >= 2 "
                            + "AND last_error IS NOT NULL", id) == 1);
            assertThat(status(id)).isEqualTo("CONFIRMED");

            smtp = new GreenMail(smtpSetup);
            smtp.start();
            assertThat(awaitEmail(id, "confirmation")).contains("Message-ID: <" + id + ".confirmation@orderflow>");
            awaitNotified(id);
            assertThat(emailsFor(id)).isEqualTo(1);
        } finally {
            if (!smtp.isRunning()) {
                smtp = new GreenMail(smtpSetup);
                smtp.start();
            }
        }
    }
}
