package io.orderflow.email;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.orderflow.config.Settings;
import io.orderflow.db.Database;
import io.orderflow.outbox.Outbox;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.ParameterizedPreparedStatementSetter;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A sender whose transaction fails after the mail server took its mail (the database went away or
 * failed over before the SENT mark committed) marks it at the next round without sending it again.
 * Real H2 and a real SMTP server (GreenMail); the failure is injected on the one statement.
 */
class NotificationSenderTest {

    @TempDir
    Path dir;

    private Database db;
    private GreenMail smtp;
    private CamelContext camel;
    private MailSink sink;

    @BeforeEach
    void open() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        smtp = new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        smtp.start();
        Settings settings = Settings.load(Map.of(), new Properties(), Map.of("orderflow.data-dir", dir.toString(),
                "orderflow.db.embedded", "h2", "orderflow.mail.mode", "smtp", "orderflow.mail.smtp.host", "127.0.0.1",
                "orderflow.mail.smtp.port", String.valueOf(port)));
        db = Database.open(settings);
        db.migrate(100);
        camel = new DefaultCamelContext();
        camel.start();
        sink = new MailSink(camel.createProducerTemplate(), settings);
    }

    @AfterEach
    void close() {
        camel.stop();
        db.close();
        smtp.stop();
    }

    private void record(String orderId) {
        db.jdbc().update("INSERT INTO email_notification (order_id, kind, recipient, message_id, subject, body, status, attempts, "
                + "next_attempt_at, created_at) VALUES (?, 'CONFIRMATION', 'a@example.com', ?, 'Your order', "
                + "'Hello', 'PENDING', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)", orderId, "<" + orderId + "@orderflow>");
    }

    private int count(String where) {
        return db.jdbc().queryForObject("SELECT COUNT(*) FROM email_notification WHERE " + where, Integer.class);
    }

    /**
     * The mail server down with 30 notifications due: the round stops at the first failure and the
     * sender is held as in an outage; one notification's attempt is counted (a mail that breaks the
     * connection every time cannot hold up the rest), the others are untouched. When the server is
     * back, the first mail it takes makes the ones that waited for it due at once: all are sent in
     * the next rounds, not after their growing delays.
     */
    @Test
    void should_hold_the_round_at_the_first_failure_when_the_mail_server_is_down_and_send_what_waited_once_it_is_back() {
        for (int i = 0; i < 30; i++) {
            record("D-" + i);
        }
        // a long first delay: without the catch-up, the ones tried during the outage would wait a minute
        NotificationSender sender = new NotificationSender(db.jdbc(), db.transactions(), db.dialect(),
                new Outbox("email", db.jdbc(), db.dialect()), sink, 60_000, 300_000, 50, new SimpleMeterRegistry());
        smtp.stop();

        for (int round = 0; round < 3; round++) {
            assertThatThrownBy(sender::sendDue).isInstanceOf(MailServerUnavailableException.class)
                    .hasMessageContaining("the mail server 127.0.0.1:").hasMessageContaining("is not available");
        }
        assertThat(count("attempts = 1")).as("one attempt counted per round").isEqualTo(3);
        assertThat(count("attempts = 0 AND last_error IS NULL")).isEqualTo(27);
        assertThat(count("last_error IS NOT NULL AND next_attempt_at > CURRENT_TIMESTAMP")).isEqualTo(3);

        smtp.start();
        for (int round = 0; round < 5 && count("status = 'PENDING'") > 0; round++) {
            sender.sendDue();
        }

        assertThat(count("status = 'SENT'")).isEqualTo(30);
        assertThat(smtp.getReceivedMessages()).hasSize(30);
    }

    @Test
    void should_mark_a_mail_sent_before_the_database_failed_without_sending_it_again() {
        record("O-1");
        AtomicBoolean failMark = new AtomicBoolean(true);
        JdbcTemplate failing = new JdbcTemplate(db.dataSource()) {
            @Override
            public <T> int[][] batchUpdate(String sql, Collection<T> args, int batchSize, ParameterizedPreparedStatementSetter<T> setter) {
                if (sql.contains("status = 'SENT'") && failMark.getAndSet(false)) {
                    throw new DataAccessResourceFailureException("I/O error: the connection was closed (the database failed over)");
                }
                return super.batchUpdate(sql, args, batchSize, setter);
            }
        };
        NotificationSender sender = new NotificationSender(failing, db.transactions(), db.dialect(),
                new Outbox("email", db.jdbc(), db.dialect()), sink, 100, 1000, 50, new SimpleMeterRegistry());

        assertThatThrownBy(sender::sendDue).isInstanceOf(DataAccessResourceFailureException.class);
        assertThat(smtp.getReceivedMessages()).hasSize(1);
        assertThat(db.jdbc().queryForObject("SELECT status FROM email_notification WHERE order_id = 'O-1'", String.class))
                .isEqualTo("PENDING");

        sender.sendDue();

        assertThat(db.jdbc().queryForObject("SELECT status FROM email_notification WHERE order_id = 'O-1'", String.class))
                .isEqualTo("SENT");
        assertThat(smtp.getReceivedMessages()).as("sent once").hasSize(1);
        assertThat(db.jdbc().queryForObject("SELECT COUNT(*) FROM email_outbox WHERE order_id = 'O-1'", Integer.class)).isEqualTo(1);
    }
}
