package io.orderflow.email;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.orderflow.db.Dialect;
import io.orderflow.db.Transactions;
import io.orderflow.infra.FaultPoint;
import io.orderflow.infra.worker.Wakeable;
import io.orderflow.outbox.Event;
import io.orderflow.outbox.EventJson;
import io.orderflow.outbox.Outbox;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.opentelemetry.api.trace.SpanKind;
import io.orderflow.trace.OrderTraces;
import io.orderflow.trace.StageSpans;
import io.orderflow.trace.Work;
import org.slf4j.MDC;
import org.springframework.jdbc.core.JdbcTemplate;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sends recorded notifications, a batch per transaction: take the due notifications (claimed in
 * memory against the process's other senders, and on PostgreSQL locked against other processes'),
 * send each, mark those sent and emit their CustomerNotified, commit. It is the step of the
 * notification-sender worker route (routes/30-email.yaml), which runs it on several threads and is
 * woken when a notification is recorded. A slow mail server holds up one thread's batch, not the
 * others. A send that fails is retried later with a growing,
 * capped delay; the notification waits in the database meanwhile and nothing is rolled back.
 * A permanent refusal by the mail server (a 5xx answer to the recipient or the message) is not
 * retried: the notification becomes FAILED with the server's answer and a NotificationFailed
 * event tells the order service; an operator retries it with the dead-letter admin API.
 *
 * <p>Guarantee: every notification is sent at least once. If the process dies after the mail
 * server accepted it and before the commit, it is sent again, with the same Message-ID. If only
 * the transaction fails (the database went away or failed over), the process remembers what it
 * sent and the next round marks it without sending it again.
 */
public final class NotificationSender implements Wakeable {

    private static final Logger LOG = LoggerFactory.getLogger(NotificationSender.class);

    private final JdbcTemplate jdbc;
    private final Transactions transactions;
    private final Dialect dialect;
    private final Outbox outbox;
    private final MailSink sink;
    private final long initialDelayMs;
    private final long maxDelayMs;
    private final int batchSize;
    private final Counter sent;
    private final Counter failed;
    private final Counter refused;

    private final Set<String> claims = ConcurrentHashMap.newKeySet();
    /**
     * Notifications the mail server accepted in a round whose transaction then failed (the
     * database went away, or failed over to its standby): order id -> the attempt count they were
     * sent at, and when. While this process lives, the next round marks them SENT without sending
     * them again, so an outage or failover of the database sends no mail twice. A crash still can
     * (the guarantee is at least once).
     */
    private final Map<String, SentUnmarked> sentUnmarked = new ConcurrentHashMap<>();
    private static final long SENT_UNMARKED_KEPT_MS = 3_600_000;
    private volatile Runnable wake = () -> { };
    /**
     * With nothing due, a sender's round looks in the database again only when woken (a
     * notification recorded or retried here), when a retry it scheduled comes due, or after
     * {@link #IDLE_LOOK_MS} (work recorded by another process); the route still wakes at its poll
     * interval, and returns at once. At idle, two senders' looks every second were a large part of
     * the database's work.
     */
    static final long IDLE_LOOK_MS = 10_000;
    private volatile boolean woken = true;
    private volatile long lookAgainAt;
    private final AtomicLong retryAt = new AtomicLong(Long.MAX_VALUE);
    /** When a round of this process first found the mail server unreachable, 0 while it answers. */
    private final AtomicLong serverDownSince = new AtomicLong();

    public NotificationSender(JdbcTemplate jdbc, Transactions transactions, Dialect dialect, Outbox outbox,
                              MailSink sink, long initialDelayMs, long maxDelayMs, int batchSize, MeterRegistry meters) {
        this.jdbc = jdbc;
        this.transactions = transactions;
        this.dialect = dialect;
        this.outbox = outbox;
        this.sink = sink;
        this.initialDelayMs = initialDelayMs;
        this.maxDelayMs = maxDelayMs;
        this.batchSize = batchSize;
        this.sent = Counter.builder("orderflow.notifications.sent").register(meters);
        this.failed = Counter.builder("orderflow.notifications.failed")
                .description("Failed attempts to send a notification (retried)").register(meters);
        this.refused = Counter.builder("orderflow.notifications.refused")
                .description("Notifications the mail server refused for good (5xx): FAILED, not retried").register(meters);
    }

    @Override
    public void wakeWith(Runnable wake) {
        this.wake = wake;
    }

    /** A notification was recorded: a waiting sender thread goes at once. */
    public void wake() {
        woken = true;
        wake.run();
    }

    /**
     * Sends up to one batch of due notifications in one transaction; true if there may be more.
     * Throws {@link MailServerUnavailableException} after committing the round when the mail server
     * could not be reached: the route holds the sender in place as an outage.
     */
    public boolean sendDue() {
        long now = System.currentTimeMillis();
        if (!woken && now < lookAgainAt && now < retryAt.get()) {
            return false;
        }
        woken = false;
        if (now >= retryAt.get()) {
            retryAt.set(Long.MAX_VALUE);
        }
        boolean more;
        Round round = new Round();
        try {
            more = transactions.inTransaction(() -> sendBatch(round));
        } catch (RuntimeException e) {
            // the round is retried (an outage, in place): it must look in the database again. What
            // it sent stays in sentUnmarked, to be marked, not sent, by the next round.
            woken = true;
            throw e;
        }
        round.sent.forEach(sentUnmarked::remove);
        if (!sentUnmarked.isEmpty()) {
            // rows marked by another process or by a commit whose outcome was unknown are never due again
            sentUnmarked.values().removeIf(u -> u.at() < now - SENT_UNMARKED_KEPT_MS);
        }
        if (round.serverFailure != null) {
            woken = true;
            serverDownSince.compareAndSet(0, now);
            throw round.serverFailure;
        }
        if (round.delivered > 0 && serverDownSince.get() != 0) {
            serverAnswersAgain();
            more = true;
        }
        lookAgainAt = more ? 0 : now + IDLE_LOOK_MS;
        return more;
    }

    /**
     * The mail server took a mail again after it could not be reached. The notifications that met
     * it down meanwhile were each given a growing delay; they are made due now, so that the
     * customers who waited get their mail within a round or two, not minutes after the server is back.
     */
    private void serverAnswersAgain() {
        long since = serverDownSince.get();
        Timestamp now = Timestamp.from(Instant.now());
        int due = transactions.inTransaction(() -> jdbc.update(
                "UPDATE email_notification SET next_attempt_at = ? WHERE status = 'PENDING' AND attempts > 0 AND next_attempt_at > ?",
                now, now));
        // only now: if the update failed, the next round that sends makes them due
        if (serverDownSince.compareAndSet(since, 0)) {
            LOG.info("The {} takes mail again, {} s after it could not be reached; {} notifications that waited for it are due now",
                    sink.destination(), (System.currentTimeMillis() - since) / 1000, due);
        }
    }

    private boolean sendBatch(Round round) {
        Timestamp now = Timestamp.from(Instant.now());
        List<Due> due = new ArrayList<>(batchSize);
        List<Due> found = jdbc.query(dialect.dueNotifications(), (rs, i) -> new Due(
                new Notification(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6),
                        rs.getString(9), rs.getString(8), rs.getString(10)),
                rs.getInt(7)), now, 2 * batchSize);
        for (Due d : found) {
            // the sender threads of this process divide the rows among themselves: a claim lasts until the transaction ends
            if (due.size() < batchSize && claims.add(d.notification().orderId())) {
                due.add(d);
                Transactions.afterCompletion(() -> claims.remove(d.notification().orderId()));
            }
        }
        if (due.isEmpty()) {
            return false;
        }
        // read the rows again, now that this sender holds them: another sender may have sent one
        // and released it since the query's read (on H2 also under FOR UPDATE, which does not
        // re-check); leave those whose status or attempt count changed. PostgreSQL's FOR UPDATE
        // re-checked them on their newest version already.
        Map<String, Integer> pending = new HashMap<>();
        if (dialect.rechecksLockedRows()) {
            due.forEach(d -> pending.put(d.notification().orderId(), d.attempts()));
        } else {
            jdbc.query("SELECT order_id, attempts FROM email_notification WHERE status = 'PENDING' AND order_id IN ("
                            + String.join(", ", Collections.nCopies(due.size(), "?")) + ")",
                    rs -> {
                        pending.put(rs.getString(1), rs.getInt(2));
                    }, due.stream().map(d -> d.notification().orderId()).toArray());
        }
        // those another sender has taken since the query's read are left to it
        List<Due> mine = due.stream().filter(d -> Integer.valueOf(d.attempts()).equals(pending.get(d.notification().orderId()))).toList();
        OrderTraces tracing = OrderTraces.current();
        // one span per notification, the child of the email service's span that recorded it; the
        // CustomerNotified or NotificationFailed written below becomes its child in turn
        try (StageSpans spans = tracing.enabled() ? tracing.stage("email send", SpanKind.CLIENT, mine.stream().map(d -> new Work(
                d.notification().orderId(), null, d.notification().kind(), d.notification().traceparent())).toList()) : StageSpans.NONE) {
            send(round, mine, spans);
        }
        // more only if the query was cut at its limit: a notification recorded since wakes a sender anyway
        return found.size() >= 2 * batchSize || due.size() >= batchSize;
    }

    private void send(Round round, List<Due> due, StageSpans spans) {
        List<Notification> sentNow = new ArrayList<>();
        List<Notification> refusedNow = new ArrayList<>();
        List<String> refusals = new ArrayList<>();
        try (MailSink.Batch mail = sink.open()) {
            for (int i = 0; i < due.size(); i++) {
                Due d = due.get(i);
                Notification n = d.notification();
                spans.attribute(i, "orderflow.email.message_id", n.messageId());
                spans.attribute(i, "orderflow.email.attempt", d.attempts() + 1);
                SentUnmarked before = sentUnmarked.get(n.orderId());
                if (before != null && before.attempts() == d.attempts()) {
                    LOG.info("Notification {} for order {} was sent before the database failed; marking it sent, not sending it again",
                            n.messageId(), n.orderId());
                    spans.event(i, "not sent again", Map.of("orderflow.reason", "sent before the database failed; marked sent now"));
                    sentNow.add(n);
                    round.sent.add(n.orderId());
                    continue;
                }
                MDC.put("orderId", n.orderId());
                if (n.traceId() != null) {
                    MDC.put("traceId", n.traceId());
                }
                String traceparent = spans.traceparent(i);
                if (traceparent != null) {
                    MDC.put("spanId", traceparent.substring(36, 52));
                }
                try {
                    spans.attribute(i, "orderflow.email.reply", mail.send(n));
                    round.delivered++;
                    sentUnmarked.put(n.orderId(), new SentUnmarked(d.attempts(), System.currentTimeMillis()));
                    round.sent.add(n.orderId());
                    FaultPoint.MAIL_AFTER_SEND.reach();
                    sentNow.add(n);
                    LOG.debug("Sent {} notification {} for order {} to {}", n.kind(), n.messageId(), n.orderId(), n.recipient());
                } catch (Exception e) {
                    Optional<String> refusal = MailRefusal.permanent(e);
                    if (refusal.isPresent()) {
                        refusedNow.add(n);
                        refusals.add(refusal.get());
                        spans.failed(i, refusal.get(), "refused for good: not retried, listed with the dead letters");
                        continue;
                    }
                    long delay = Math.min(maxDelayMs, initialDelayMs * (1L << Math.min(20, d.attempts())));
                    retryAt.accumulateAndGet(System.currentTimeMillis() + delay, Math::min);
                    String reason = describe(e);
                    spans.failed(i, reason, MailRefusal.aboutTheMessage(e) ? "retried in " + delay + " ms"
                            : "the mail server is unavailable: the round ends, the sender waits for it and tries again");
                    // this one's attempt is counted even when the server is at fault: a mail that breaks
                    // the connection every time waits longer and longer instead of holding up the rest
                    jdbc.update("UPDATE email_notification SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE order_id = ?",
                            Timestamp.from(Instant.now().plusMillis(delay)), truncate(reason, 2000), n.orderId());
                    failed.increment();
                    if (MailRefusal.aboutTheMessage(e)) {
                        LOG.warn("Could not send {} notification for order {} to {} (attempt {}): {}; next attempt in {} ms",
                                n.kind(), n.orderId(), n.recipient(), d.attempts() + 1, reason, delay);
                        continue;
                    }
                    // the server could not be reached or dropped the session: the others would fail the
                    // same way. The round ends here, keeps what it sent, and the sender waits as for an
                    // outage (one WARN line per interval), the rest of the batch untouched.
                    round.serverFailure = new MailServerUnavailableException(sink.destination(), reason, e);
                    LOG.debug("Mail server unavailable while sending {} for order {}: {}", n.messageId(), n.orderId(), reason);
                    break;
                } finally {
                    MDC.remove("orderId");
                    MDC.remove("traceId");
                    MDC.remove("spanId");
                }
            }
        }
        if (!sentNow.isEmpty()) {
            Timestamp sentAt = Timestamp.from(Instant.now());
            jdbc.batchUpdate("UPDATE email_notification SET status = 'SENT', attempts = attempts + 1, sent_at = ?, last_error = NULL "
                    + "WHERE order_id = ?", sentNow, sentNow.size(), (ps, n) -> {
                        ps.setTimestamp(1, sentAt);
                        ps.setString(2, n.orderId());
                    });
            List<Event> notified = new ArrayList<>(sentNow.size());
            for (Notification n : sentNow) {
                ObjectNode data = EventJson.MAPPER.createObjectNode();
                data.put("kind", n.kind());
                data.put("messageId", n.messageId());
                data.put("recipient", n.recipient());
                notified.add(Event.create(Event.CUSTOMER_NOTIFIED, n.orderId(), data, Instant.now(), n.traceId()));
            }
            outbox.appendAll(notified);
            sent.increment(sentNow.size());
        }
        if (!refusedNow.isEmpty()) {
            giveUp(refusedNow, refusals);
        }
    }

    /**
     * FAILED, with the server's answer, and a NotificationFailed event for the order service: the
     * server refused these for good, so they are not retried until an operator says so (the
     * dead-letter admin API).
     */
    private void giveUp(List<Notification> refusedNow, List<String> answers) {
        Timestamp failedAt = Timestamp.from(Instant.now());
        List<Event> failedEvents = new ArrayList<>(refusedNow.size());
        for (int i = 0; i < refusedNow.size(); i++) {
            Notification n = refusedNow.get(i);
            String answer = truncate(answers.get(i), 2000);
            jdbc.update("UPDATE email_notification SET status = 'FAILED', attempts = attempts + 1, failed_at = ?, last_error = ? "
                    + "WHERE order_id = ?", failedAt, answer, n.orderId());
            ObjectNode data = EventJson.MAPPER.createObjectNode();
            data.put("kind", n.kind());
            data.put("messageId", n.messageId());
            data.put("recipient", n.recipient());
            data.put("reason", answer);
            failedEvents.add(Event.create(Event.NOTIFICATION_FAILED, n.orderId(), data, Instant.now(), n.traceId()));
            LOG.warn("The mail server refused the {} notification for order {} to {} for good: {}. Not retried; listed with "
                    + "the dead letters (source notifications) for an operator to retry or discard", n.kind(), n.orderId(),
                    n.recipient(), answer);
        }
        outbox.appendAll(failedEvents);
        refused.increment(refusedNow.size());
    }

    private record Due(Notification notification, int attempts) {
    }

    /** What one round did, for after its commit. */
    private static final class Round {
        final List<String> sent = new ArrayList<>();
        int delivered;
        MailServerUnavailableException serverFailure;
    }

    private record SentUnmarked(int attempts, long at) {
    }

    /** The failure and its root cause: "Exception reading response" alone does not say the server timed out. */
    private static String describe(Exception e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + root + ")";
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }
}
