package io.orderflow.operate;

import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.api.core.client.ClientSession;
import org.apache.activemq.artemis.api.core.client.ClientSessionFactory;
import org.apache.activemq.artemis.api.core.client.ServerLocator;
import org.springframework.jdbc.core.JdbcTemplate;

import java.util.List;

/**
 * How many dead letters wait, per source, for the orderflow_dead_letters gauge: the broker's
 * message count of each dead-letter queue, and the notifications the mail server refused. Read at
 * each scrape; NaN when the broker or the database does not answer.
 */
public final class DeadLetterDepth {

    public static final List<String> SOURCES = List.of(DeadLetter.EVENTS, DeadLetter.REJECTED_ORDERS, DeadLetter.NOTIFICATIONS);

    private final ServerLocator locator;
    private final String user;
    private final String password;
    private final JdbcTemplate jdbc;

    public DeadLetterDepth(ServerLocator locator, String user, String password, JdbcTemplate jdbc) {
        this.locator = locator;
        this.user = user;
        this.password = password;
        this.jdbc = jdbc;
    }

    public double depth(String source) {
        try {
            if (source.equals(DeadLetter.NOTIFICATIONS)) {
                Long n = jdbc.queryForObject("SELECT COUNT(*) FROM email_notification WHERE status = 'FAILED'", Long.class);
                return n == null ? 0 : n;
            }
            try (ClientSessionFactory factory = locator.createSessionFactory();
                 ClientSession session = user.isEmpty() ? factory.createSession()
                         : factory.createSession(user, password, false, true, true, false, 0)) {
                ClientSession.QueueQuery q = session.queueQuery(SimpleString.of(source));
                return q.isExists() ? q.getMessageCount() : 0;
            }
        } catch (Exception e) {
            return Double.NaN;
        }
    }
}
