package io.orderflow.support;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import io.orderflow.broker.EmbeddedBroker;
import io.orderflow.broker.EventTopology;
import io.orderflow.broker.Failover;
import io.orderflow.check.InvariantCheck;
import io.orderflow.config.Settings;
import io.orderflow.db.Database;
import jakarta.jms.Connection;
import jakarta.jms.DeliveryMode;
import jakarta.jms.JMSException;
import jakarta.jms.MessageProducer;
import jakarta.jms.QueueBrowser;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The flow the failover tests run through their failures: a client sending orders over JMS at a
 * steady rate, and the checks that every order was applied once, mailed once, and neither rejected
 * nor dead-lettered.
 */
public final class FailoverFlow {

    private static final int SKUS = 50;
    /** SKU-SCARCE has this many; every 50th order also wants one. */
    private static final int SCARCE = 100;

    private final String prefix;
    private final int orders;
    /** Orders the client has had taken so far (a prefix of 0..orders-1). */
    private volatile int sent;
    private volatile boolean stopped;

    public FailoverFlow(String prefix, int orders) {
        this.prefix = prefix;
        this.orders = orders;
    }

    public int orders() {
        return orders;
    }

    /** Orders the broker has taken from the client so far. */
    public int sent() {
        return sent;
    }

    /** The client stops at its next batch: a test whose failures are done ends its flow there. */
    public void stop() {
        stopped = true;
    }

    /** A real SMTP server on a free port, started. */
    public static GreenMail smtp() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        GreenMail smtp = new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        smtp.start();
        return smtp;
    }

    /** The process mails through that server. */
    public static OrderflowProcess mailingTo(OrderflowProcess process, GreenMail smtp) {
        return process.with("orderflow.mail.mode", "smtp").with("orderflow.mail.smtp.host", "127.0.0.1")
                .with("orderflow.mail.smtp.port", String.valueOf(smtp.getSmtp().getPort()));
    }

    /** The test's own connection to the flow's database, for its progress and its checks. */
    public static Database database(String url, String user, Path dataDir) {
        return Database.open(Settings.load(Map.of(), new Properties(), Map.of("orderflow.db.url", url,
                "orderflow.db.user", user, "orderflow.data-dir", dataDir.toString())));
    }

    /** Stock for every order, except SKU-SCARCE, which runs out. */
    public void stock(OrderflowProcess process) throws Exception {
        StringBuilder stock = new StringBuilder("sku,quantity\nSKU-SCARCE," + SCARCE + "\n");
        for (int s = 0; s < SKUS; s++) {
            stock.append("SKU-").append(s).append(",1000000\n");
        }
        OrderflowProcess.drop(process.dataDir().resolve("stock/inbox"), "stock.csv", stock.toString());
        Path done = process.dataDir().resolve("stock/done/stock.csv");
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(done));
    }

    String order(int n) {
        String scarce = n % 50 == 0 ? ",{\"sku\":\"SKU-SCARCE\",\"quantity\":1}" : "";
        return "{\"orderId\":\"" + prefix + n + "\",\"customer\":{\"email\":\"c" + n + "@example.com\"},\"lines\":[{\"sku\":\"SKU-"
                + (n % SKUS) + "\",\"quantity\":1}" + scarce + "]}";
    }

    /**
     * The client: one transacted batch of 10 orders at a time, at the given rate (orders a second),
     * to orders.in. A commit a failover cut is sent again; a batch the broker already has (a commit
     * whose outcome was unknown) is refused whole by its duplicate ids. Returns how many batches
     * were sent again.
     */
    public int send(String url, String user, String password, double rate) {
        return send(url, user, password, rate, 0, orders);
    }

    /** The same for orders from (inclusive) to to (exclusive), after those before from were sent. */
    public int send(String url, String user, String password, double rate, int from, int to) {
        return send(url, user, password, from, to, 0, rate, () -> false);
    }

    /**
     * A burst of orders sent at once (a backlog for every stage), then orders at the rate until
     * done says so: a client that keeps sending through whatever happens meanwhile. Continues after
     * the orders sent so far.
     */
    public int sendBurstThenUntil(String url, String user, String password, int burst, double rate, BooleanSupplier done) {
        return send(url, user, password, sent, Integer.MAX_VALUE - 10, burst, rate, done);
    }

    private int send(String url, String user, String password, int from, int to, int burst, double rate, BooleanSupplier done) {
        int resent = 0;
        try (ActiveMQConnectionFactory cf = new ActiveMQConnectionFactory(url, user, password);
             Connection c = cf.createConnection()) {
            Session session = c.createSession(true, Session.SESSION_TRANSACTED);
            MessageProducer producer = session.createProducer(session.createQueue(EventTopology.ORDERS_IN));
            producer.setDeliveryMode(DeliveryMode.PERSISTENT);
            long start = System.nanoTime();
            for (int i = from; i < to && !stopped && !done.getAsBoolean(); i += 10) {
                // paced to an intended time, not synchronised on anything
                LockSupport.parkNanos(start + (long) (Math.max(0, i - from - burst) / rate * 1e9) - System.nanoTime());
                for (int attempt = 0; ; attempt++) {
                    try {
                        for (int n = i; n < Math.min(to, i + 10); n++) {
                            TextMessage m = session.createTextMessage(order(n));
                            m.setStringProperty("_AMQ_DUPL_ID", prefix + n);
                            producer.send(m);
                        }
                        session.commit();
                        sent = Math.min(to, i + 10);
                        break;
                    } catch (JMSException e) {
                        rollbackQuietly(session);
                        if (Failover.refusedAsDuplicate(e)) {
                            sent = Math.min(to, i + 10);
                            break;
                        }
                        resent++;
                        if (attempt > 3000) {
                            throw new IllegalStateException("the broker did not take batch " + i, e);
                        }
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
                    }
                }
            }
        } catch (JMSException e) {
            throw new IllegalStateException(e);
        }
        return resent;
    }

    private static void rollbackQuietly(Session session) {
        try {
            session.rollback();
        } catch (JMSException ignored) {
            // the session is failing over; the next send waits for it
        }
    }

    /**
     * Waits (briefly) until the failure about to be injected cuts a flow, not an idle system: the
     * client is still sending, and orders the broker took are not yet mailed. A failover test that
     * killed after its load had ended would pass without having shown anything.
     */
    public void awaitInFlight(Database db, CompletableFuture<?> sending) {
        assertThat(sending.isDone()).as("the client was still sending at the failure").isFalse();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                .untilAsserted(() -> assertThat(sent - mailed(db)).as("orders in flight at the failure (taken by the broker, not yet mailed)")
                        .isPositive());
    }

    /** Notifications sent, from the database: the failover tests' measure of progress. */
    public static int mailed(Database db) {
        return db.jdbc().queryForObject("SELECT COUNT(*) FROM email_notification WHERE status = 'SENT'", Integer.class);
    }

    /**
     * The stall around an instant: seconds from the last event published before it to the first
     * one published after it (published_at, set when a relay's broker commit has succeeded).
     */
    public static double stall(Database db, Instant at) {
        Timestamp t = Timestamp.from(at);
        String published = "SELECT published_at FROM order_outbox UNION ALL SELECT published_at FROM stock_outbox "
                + "UNION ALL SELECT published_at FROM email_outbox";
        Timestamp before = db.jdbc().queryForObject("SELECT MAX(published_at) FROM (" + published + ") p WHERE published_at <= ?",
                Timestamp.class, t);
        Timestamp after = db.jdbc().queryForObject("SELECT MIN(published_at) FROM (" + published + ") p WHERE published_at > ?",
                Timestamp.class, t);
        return before == null || after == null ? Double.NaN : (after.getTime() - before.getTime()) / 1000.0;
    }

    /**
     * How long after an instant (a broker serving again) the whole flow moved: seconds until every
     * service's outbox had published an event after it, or NaN if one has not yet. One relay that
     * published is not enough: a stage stuck on a dead connection holds its part of every order.
     */
    public static double resumed(Database db, Instant at) {
        Timestamp t = Timestamp.from(at);
        double slowest = 0;
        for (String outbox : List.of("order_outbox", "stock_outbox", "email_outbox")) {
            Timestamp first = db.jdbc().queryForObject("SELECT MIN(published_at) FROM " + outbox + " WHERE published_at > ?",
                    Timestamp.class, t);
            if (first == null) {
                return Double.NaN;
            }
            slowest = Math.max(slowest, (first.getTime() - at.toEpochMilli()) / 1000.0);
        }
        return slowest;
    }

    /** "p50 x s, p99 y s" by nearest rank: of 20 values the p99 is the worst. */
    public static String percentiles(List<Double> seconds) {
        List<Double> sorted = seconds.stream().filter(d -> !d.isNaN()).sorted().toList();
        if (sorted.isEmpty()) {
            return "none";
        }
        return String.format("p50 %.2f s, p99 %.2f s (of %d)", rank(sorted, 0.50), rank(sorted, 0.99), sorted.size());
    }

    private static double rank(List<Double> sorted, double q) {
        return sorted.get(Math.max(0, (int) Math.ceil(q * sorted.size()) - 1));
    }

    /**
     * Waits for every order to be mailed and settled, then checks: the invariants clean, every order
     * applied once (the scarce SKU never oversold), every email sent once by its Message-ID (up to
     * duplicatesAllowed more, for a mail sent whose SENT mark a failover cut), and nothing rejected or
     * dead-lettered on the broker. Returns the number of emails sent twice.
     */
    public int assertEveryOrderOnce(Database db, GreenMail smtp, String brokerUrl, String user, String password,
                                    int duplicatesAllowed) throws JMSException, MessagingException {
        int taken = sent;
        await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(500)).until(() -> mailed(db) >= taken);
        InvariantCheck check = new InvariantCheck(db.jdbc());
        await().atMost(Duration.ofMinutes(2)).until(() -> check.run().settled());
        InvariantCheck.Report report = check.run();
        assertThat(report.violations()).isEmpty();
        assertThat(report.orders()).isEqualTo(taken);
        int scarceOrders = (taken + 49) / 50;
        assertThat(db.jdbc().queryForObject("SELECT COUNT(*) FROM orders WHERE status = 'CONFIRMED'", Integer.class))
                .isEqualTo(taken - Math.max(0, scarceOrders - SCARCE));
        assertThat(db.jdbc().queryForObject("SELECT reserved FROM stock_item WHERE sku = 'SKU-SCARCE'", Integer.class))
                .isEqualTo(Math.min(SCARCE, scarceOrders));
        assertThat(db.jdbc().queryForObject("SELECT COUNT(*) FROM email_notification WHERE status <> 'SENT'", Integer.class))
                .isZero();

        MimeMessage[] mails = smtp.getReceivedMessages();
        Set<String> ids = new HashSet<>();
        for (MimeMessage m : mails) {
            ids.add(m.getMessageID());
        }
        assertThat(ids).as("one email per order, by Message-ID").hasSize(taken);
        int twice = mails.length - ids.size();
        assertThat(twice).as("emails sent twice").isLessThanOrEqualTo(duplicatesAllowed);

        try (ActiveMQConnectionFactory cf = new ActiveMQConnectionFactory(brokerUrl, user, password);
             Connection c = cf.createConnection()) {
            c.start();
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            assertThat(depth(s, EmbeddedBroker.DEAD_LETTER)).as("dead letters").isZero();
            assertThat(depth(s, EventTopology.ORDERS_REJECTED)).as("rejected orders").isZero();
        }
        return twice;
    }

    private static int depth(Session s, String queue) throws JMSException {
        QueueBrowser browser = s.createBrowser(s.createQueue(queue));
        return Collections.list(browser.getEnumeration()).size();
    }
}
