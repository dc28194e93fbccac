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

    @Test
    void should_mark_a_mail_sent_before_the_database_failed_without_sending_it_again() {
        db.jdbc().update("INSERT INTO email_notification (order_id, kind, recipient, message_id, subject, body, status, attempts, "
                + "next_attempt_at, created_at) VALUES ('O-1', 'CONFIRMATION', 'a@example.com', '<O-1@orderflow>', 'Your order', "
                + "'Hello', 'PENDING', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)");
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
