package io.orderflow.operate;

import io.orderflow.db.Transactions;
import io.orderflow.email.FailedNotifications;
import io.orderflow.email.FailedNotifications.Failed;
import jakarta.jms.JMSException;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where an operator finds what the flow could not deliver, in one list: events parked on
 * orderflow.dead-letter, order messages on orders.in.rejected, and notifications the mail server
 * refused. Each can be looked at, retried back to where it failed, or discarded with a reason;
 * every retry and discard is kept in admin_audit.
 *
 * <p>A retried event that had in fact been applied changes nothing: its consumer finds its event
 * id among those it processed and counts it as a duplicate.
 */
public final class DeadLetterOffice {

    static final String NOTIFICATION_ID = "notification:";

    private final ParkedMessages parked;
    private final FailedNotifications notifications;
    private final AdminAudit audit;
    private final Transactions transactions;

    DeadLetterOffice(ParkedMessages parked, FailedNotifications notifications, AdminAudit audit, Transactions transactions) {
        this.parked = parked;
        this.notifications = notifications;
        this.audit = audit;
        this.transactions = transactions;
    }

    public record Page(int total, int offset, int limit, List<DeadLetter> deadLetters) {
    }

    /** What an action took, per source. */
    public record Outcome(String action, int count, Map<String, Integer> bySource) {
    }

    public Page list(DeadLetterFilter filter, int offset, int limit) throws JMSException {
        List<DeadLetter> all = matching(filter, Instant.now());
        int from = Math.min(offset, all.size());
        int to = Math.min(all.size(), from + limit);
        return new Page(all.size(), offset, limit, all.subList(from, to).stream().map(DeadLetter::summary).toList());
    }

    private List<DeadLetter> matching(DeadLetterFilter filter, Instant now) throws JMSException {
        List<DeadLetter> all = new ArrayList<>();
        for (String queue : ParkedMessages.QUEUES) {
            if (filter.includes(queue)) {
                all.addAll(parked.list(queue, filter, now));
            }
        }
        if (filter.includes(DeadLetter.NOTIFICATIONS) && filter.eventType() == null) {
            Instant before = filter.olderThan() == null ? null : now.minus(filter.olderThan());
            for (Failed f : notifications.find(filter.orderId(), filter.reason(), before)) {
                all.add(letter(f, false));
            }
        }
        return all;
    }

    public Optional<DeadLetter> show(String id) throws JMSException {
        if (id.startsWith(NOTIFICATION_ID)) {
            return notifications.find(id.substring(NOTIFICATION_ID.length())).map(f -> letter(f, true));
        }
        return parked.find(id);
    }

    public Outcome retry(List<String> ids, DeadLetterFilter filter, String client) throws JMSException {
        return act("RETRY", ids, filter, null, client);
    }

    public Outcome discard(List<String> ids, DeadLetterFilter filter, String reason, String client) throws JMSException {
        if (reason == null || reason.isBlank()) {
            throw new BadRequestException("a discard needs a reason, kept in the audit record");
        }
        return act("DISCARD", ids, filter, reason, client);
    }

    /** Ids or a filter, never both: a selection names each letter, a filter takes all that match. */
    private Outcome act(String action, List<String> ids, DeadLetterFilter filter, String reason, String client) throws JMSException {
        boolean retry = action.equals("RETRY");
        Map<String, Integer> bySource = new LinkedHashMap<>();
        if (ids != null) {
            // every id first: an unknown one changes nothing
            List<DeadLetter> letters = new ArrayList<>();
            List<String> unknown = new ArrayList<>();
            for (String id : ids) {
                show(id).ifPresentOrElse(letters::add, () -> unknown.add(id));
            }
            if (!unknown.isEmpty()) {
                throw new BadRequestException(404, "unknown dead letter id(s): " + String.join(", ", unknown) + "; nothing was changed");
            }
            if (retry) {
                refuseWithoutDestination(letters);
            }
            for (DeadLetter letter : letters) {
                if (letter.source().equals(DeadLetter.NOTIFICATIONS)) {
                    count(bySource, letter.source(), onNotifications(action, List.of(letter), reason, client));
                } else {
                    count(bySource, letter.source(), parked.take(letter.source(), ParkedMessages.byId(letter.id()), retry,
                            chunk -> audit.record(action, chunk, reason, client)).size());
                }
            }
        } else {
            Instant now = Instant.now();
            if (retry) {
                refuseWithoutDestination(matching(filter, now));
            }
            for (String queue : ParkedMessages.QUEUES) {
                if (filter.includes(queue)) {
                    count(bySource, queue, parked.take(queue, filter.selector(now), retry,
                            chunk -> audit.record(action, chunk, reason, client)).size());
                }
            }
            if (filter.includes(DeadLetter.NOTIFICATIONS) && filter.eventType() == null) {
                Instant before = filter.olderThan() == null ? now : now.minus(filter.olderThan());
                List<DeadLetter> failed = notifications.find(filter.orderId(), filter.reason(), before).stream()
                        .map(f -> letter(f, false)).toList();
                count(bySource, DeadLetter.NOTIFICATIONS, onNotifications(action, failed, reason, client));
            }
        }
        return new Outcome(action.toLowerCase(), bySource.values().stream().mapToInt(Integer::intValue).sum(), bySource);
    }

    private int onNotifications(String action, List<DeadLetter> letters, String reason, String client) {
        if (letters.isEmpty()) {
            return 0;
        }
        List<String> orderIds = letters.stream().map(DeadLetter::orderId).toList();
        return transactions.inTransaction(() -> {
            int changed = action.equals("RETRY") ? notifications.retry(orderIds) : notifications.discard(orderIds);
            audit.recordInTransaction(action, letters, reason, client);
            return changed;
        });
    }

    private static void refuseWithoutDestination(List<DeadLetter> letters) {
        List<String> nowhere = letters.stream().filter(l -> l.retryTo() == null).map(DeadLetter::id).toList();
        if (!nowhere.isEmpty()) {
            throw new BadRequestException(409, "dead letter(s) " + String.join(", ", nowhere)
                    + " do not say which queue they failed on (no failedQueue property); nothing was changed");
        }
    }

    private static void count(Map<String, Integer> bySource, String source, int n) {
        if (n > 0) {
            bySource.merge(source, n, Integer::sum);
        }
    }

    private static DeadLetter letter(Failed f, boolean full) {
        Map<String, Object> properties = null;
        if (full) {
            properties = new LinkedHashMap<>();
            properties.put("kind", f.kind());
            properties.put("recipient", f.recipient());
            properties.put("messageId", f.messageId());
            properties.put("subject", f.subject());
        }
        return new DeadLetter(NOTIFICATION_ID + f.orderId(), DeadLetter.NOTIFICATIONS, "the notification sender",
                null, null, f.orderId(), f.error(), f.failedAt().toString(), f.attempts(), full ? f.body() : null, properties);
    }
}
