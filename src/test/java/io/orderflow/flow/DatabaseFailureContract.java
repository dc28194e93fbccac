package io.orderflow.flow;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.orderflow.check.InvariantCheck;
import io.orderflow.infra.OutageLog;
import io.orderflow.support.OrderflowTestSupport;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The database fails in a way nobody classified as an outage (closed, read-only) while orders
 * arrive: no valid order is rejected, no event dead-lettered, the log holds no storm (no ERROR
 * line, one WARN line per interval per source), and once the database is back every order is
 * applied exactly once. Run per database by a small subclass that breaks and repairs it.
 */
abstract class DatabaseFailureContract extends OrderflowTestSupport {

    private static final int ORDERS = 200;

    /** Makes the database fail for every write (and maybe every read) until {@link #repairDatabase()}. */
    protected abstract void breakDatabase() throws Exception;

    protected abstract void repairDatabase() throws Exception;

    protected JdbcTemplate jdbc() {
        return configuration.database().jdbc();
    }

    @Test
    void should_hold_every_valid_order_while_the_database_fails_and_apply_each_once_when_it_is_back() throws Exception {
        Files.writeString(dataDir.resolve("stock/inbox/s.csv"), "sku,quantity\nFAIL-1,1000\n", StandardCharsets.UTF_8);
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(dataDir.resolve("stock/done/s.csv")));

        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(log);
        try {
            for (int i = 0; i < ORDERS / 2; i++) {
                template.sendBody("jms:queue:orders.in", order("F-" + i));
            }
            // fail while the first half is in flight, then send the second half into the failure
            await().atMost(Duration.ofSeconds(30)).until(() -> count("SELECT COUNT(*) FROM orders") >= 10);
            breakDatabase();
            long broken = System.nanoTime();
            for (int i = ORDERS / 2; i < ORDERS; i++) {
                template.sendBody("jms:queue:orders.in", order("F-" + i));
            }
            // held: retried in place, again and again, and nothing rejected or parked meanwhile
            await().atMost(Duration.ofSeconds(60)).until(() -> retriedInPlace("order-messages") >= 20
                    && retriedInPlace("order-relay-scan") + retriedInPlace("stock-reservation") + retriedInPlace("email-notifications")
                    + retriedInPlace("order-status") >= 3);
            await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(10)).until(() ->
                    consumer.receiveNoWait("jms:queue:orders.in.rejected") == null
                            && consumer.receiveNoWait("jms:queue:orderflow.dead-letter") == null);
            repairDatabase();
            long outageNanos = System.nanoTime() - broken;

            await().atMost(Duration.ofSeconds(120)).until(() ->
                    count("SELECT COUNT(*) FROM orders WHERE notified_at IS NOT NULL") == ORDERS);
            await().atMost(Duration.ofSeconds(30)).until(() -> new InvariantCheck(jdbc()).run().settled());

            assertThat(consumer.receiveNoWait("jms:queue:orders.in.rejected")).isNull();
            assertThat(consumer.receiveNoWait("jms:queue:orderflow.dead-letter")).isNull();
            assertThat(count("SELECT COUNT(*) FROM orders WHERE status = 'CONFIRMED'")).isEqualTo(ORDERS);
            assertThat(count("SELECT COUNT(*) FROM stock_reservation")).isEqualTo(ORDERS);
            assertThat(count("SELECT COUNT(*) FROM email_notification WHERE status = 'SENT'")).isEqualTo(ORDERS);
            assertThat(jdbc().queryForObject("SELECT reserved FROM stock_item WHERE sku = 'FAIL-1'", Integer.class)).isEqualTo(ORDERS);

            // no log storm: no ERROR line, and each source logged at most one WARN line per interval
            List<ILoggingEvent> events = new ArrayList<>(log.list);
            assertThat(events).filteredOn(e -> e.getLevel() == Level.ERROR).extracting(ILoggingEvent::getFormattedMessage).isEmpty();
            long interval = Long.parseLong(settings.get("orderflow.retry.outage-max-delay-ms"));
            long allowed = outageNanos / 1_000_000 / interval + 3;
            Map<String, Long> perSource = events.stream()
                    .filter(e -> e.getLoggerName().equals(OutageLog.class.getName()) && e.getLevel() == Level.WARN)
                    .collect(Collectors.groupingBy(e -> e.getFormattedMessage().substring(0, e.getFormattedMessage().indexOf(':')),
                            Collectors.counting()));
            assertThat(perSource).isNotEmpty();
            assertThat(perSource.values()).allMatch(n -> n <= allowed, "at most " + allowed + " WARN lines per source");
            System.out.printf("%s: %.1f s of failure, WARN lines per source %s%n", getClass().getSimpleName(), outageNanos / 1e9, perSource);
        } finally {
            root.detachAppender(log);
        }
    }

    private double retriedInPlace(String source) throws Exception {
        return configuration.meters().find("orderflow.retries.in-place").tag("source", source).counters().stream()
                .mapToDouble(c -> c.count()).sum();
    }

    private int count(String sql) {
        try {
            return jdbc().queryForObject(sql, Integer.class);
        } catch (RuntimeException e) {
            return -1;
        }
    }

    private static String order(String id) {
        return "{\"orderId\":\"" + id + "\",\"customer\":{\"email\":\"f@example.com\"},\"lines\":[{\"sku\":\"FAIL-1\",\"quantity\":1}]}";
    }
}
