package io.orderflow.outbox;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.orderflow.db.Transactions;
import io.orderflow.infra.FaultPoint;
import io.orderflow.infra.worker.Wakeable;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.JMSException;
import org.apache.camel.support.service.ServiceSupport;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Publishes one service's committed outbox rows to the broker, by two paths, each the step of a
 * worker route (routes/60-relays.yaml).
 *
 * <ul>
 *   <li><b>Handed over</b> ({@link #publishCommitted}): once a transaction that appended events has
 *       committed, the {@link Outbox} hands them to the relay in memory and wakes its route. The
 *       route publishes what it was handed in batches, one broker transaction each, with no
 *       database transaction open; a marker thread marks them published afterwards, up to
 *       {@link #MARK_EVERY} rows per database transaction, off the publish path.</li>
 *   <li><b>Scanned</b> ({@link #scanPending}): rows the handed-over path did not cover (left by a
 *       crash, committed by another process, dropped from a full hand-over queue, or whose publish
 *       failed) are found by a scan at the poll interval: in one database transaction it locks the
 *       oldest pending rows (skipping rows another relay holds), publishes them in one broker
 *       transaction and marks them. It takes a row only once it is older than {@link #GRACE_MS}
 *       (or older than this relay), and the handed-over path gives up an event before half that
 *       age, so the two do not race for a row. Rows are selected by state, never by a remembered
 *       last id.</li>
 * </ul>
 *
 * A crash after a broker commit and before the rows are marked leaves them pending; the scan sends
 * them again and the broker drops them by their duplicate-detection id (the event id). The marker
 * keeps up within a transaction or two, so the events published but not yet marked are a few
 * thousand at most, well inside the broker's duplicate-id cache (100,000 ids on the embedded
 * broker; see README for an external one). Each path has a broker connection of its own.
 */
public final class OutboxRelay extends ServiceSupport implements Wakeable {

    static final long GRACE_MS = 10_000;
    static final int MARK_EVERY = 1_000;
    static final long MARK_GATHER_MS = 500;
    /**
     * After a scan that found nothing, the next looks this much later (the route still wakes at its
     * poll interval, and returns at once): at idle, three relays' scans were most of the database's
     * work. Anything the hand-over path leaves to the scan brings the scan back to every interval.
     */
    static final long IDLE_SCAN_MS = 5_000;
    private static final int QUEUE = 20_000;

    private final Outbox outbox;
    private final Transactions transactions;
    private final EventPublisher handedPublisher;
    private final EventPublisher scanPublisher;
    private final int batchSize;
    private final Counter published;
    private final Counter overflow;
    private final Timer lag;
    private final BlockingQueue<Handed> handed = new ArrayBlockingQueue<>(QUEUE);
    private final BlockingQueue<String> toMark = new LinkedBlockingQueue<>();
    /**
     * A handed-over batch whose broker transaction failed (rolled back by a failover, or its outcome
     * unknown): published again first, with the same duplicate ids, so that a failover costs these
     * events a reconnect, not the scan's grace. Only the relay route's thread touches it.
     */
    private List<Handed> retry = List.of();
    private volatile Runnable wake = () -> { };
    private Thread marker;
    private volatile boolean marking;
    private final long startedAt = System.currentTimeMillis();
    private volatile long nextScanAt;

    /** An event handed over after its commit, with when (wall clock, and nanoTime for its lag). */
    private record Handed(OutboxRow row, long at, long atNanos) {
    }

    public OutboxRelay(Outbox outbox, Transactions transactions, ConnectionFactory connectionFactory,
                       String brokerUser, String brokerPassword, int batchSize, MeterRegistry meters) {
        this.outbox = outbox;
        this.transactions = transactions;
        this.handedPublisher = new EventPublisher(outbox.service() + "-relay", connectionFactory, brokerUser, brokerPassword);
        this.scanPublisher = new EventPublisher(outbox.service() + "-relay", connectionFactory, brokerUser, brokerPassword);
        this.batchSize = batchSize;
        this.published = Counter.builder("orderflow.events.published").tag("service", outbox.service())
                .description("Events published to the broker by the outbox relay").register(meters);
        this.overflow = Counter.builder("orderflow.outbox.handover.overflow").tag("service", outbox.service())
                .description("Committed events left to the relay's scan because its hand-over queue was full").register(meters);
        this.lag = Timer.builder("orderflow.outbox.lag").tag("service", outbox.service())
                .description("From an event's commit to its broker commit, for events handed over in memory")
                .publishPercentiles(0.5, 0.99).register(meters);
        outbox.onCommit(this::handOver);
    }

    @Override
    public void wakeWith(Runnable wake) {
        this.wake = wake;
    }

    public String service() {
        return outbox.service();
    }

    /** Called once a transaction that appended these rows has committed. */
    private void handOver(List<OutboxRow> rows) {
        long now = System.currentTimeMillis();
        long nanos = System.nanoTime();
        for (OutboxRow row : rows) {
            if (!handed.offer(new Handed(row, now, nanos))) {
                // the scan publishes it instead
                overflow.increment();
                nextScanAt = 0;
            }
        }
        wake.run();
    }

    /**
     * The handed-over path: publishes one batch of what was handed over, in one broker transaction,
     * and queues it for marking; true if more is waiting.
     */
    public boolean publishCommitted() {
        long tooOld = System.currentTimeMillis() - GRACE_MS / 2;
        List<OutboxRow> batch = new ArrayList<>(batchSize);
        List<Handed> taken = new ArrayList<>(batchSize);
        for (Handed again : retry) {
            take(again, tooOld, batch, taken);
        }
        retry = List.of();
        Handed h;
        while (batch.size() < batchSize && (h = handed.poll()) != null) {
            take(h, tooOld, batch, taken);
        }
        if (batch.isEmpty()) {
            return false;
        }
        try {
            handedPublisher.publish(batch);
        } catch (JMSException | RuntimeException e) {
            // the rows stay pending in the database. This batch goes first at the next try, resent
            // whole: if the failed commit did happen, the broker refuses the resend as duplicates and
            // the publisher takes that as published. What waits longer than the grace is the scan's.
            retry = taken;
            handedPublisher.close();
            throw new BrokerUnavailableException(e);
        }
        FaultPoint.RELAY_AFTER_SEND.reach();
        long publishedAt = System.nanoTime();
        for (Handed one : taken) {
            lag.record(publishedAt - one.atNanos(), TimeUnit.NANOSECONDS);
        }
        published.increment(batch.size());
        batch.forEach(r -> toMark.add(r.eventId()));
        return !handed.isEmpty();
    }

    /** Takes a handed-over event into the batch, unless the scan may take it by now. */
    private void take(Handed h, long tooOld, List<OutboxRow> batch, List<Handed> taken) {
        if (h.at() > tooOld) {
            batch.add(h.row());
            taken.add(h);
        } else {
            nextScanAt = 0;
        }
    }

    /**
     * The marker thread: marks what the handed-over path published, up to {@value #MARK_EVERY} rows
     * per database transaction, so marking never holds up a publish. A failed mark is retried; rows
     * left unmarked by a crash are sent again by the scan and dropped by the broker.
     */
    private void markLoop() {
        List<String> ids = new ArrayList<>(MARK_EVERY);
        long backoff = 0;
        while (marking || !toMark.isEmpty() || !ids.isEmpty()) {
            try {
                if (ids.isEmpty()) {
                    String first = toMark.poll(1, TimeUnit.SECONDS);
                    if (first == null) {
                        continue;
                    }
                    ids.add(first);
                    // gather what a while brings, so that a trickle is marked in batches too: a row
                    // waits at most MARK_GATHER_MS, far inside the scan's grace, and nothing waits on it
                    long until = System.nanoTime() + MARK_GATHER_MS * 1_000_000L;
                    long left;
                    while (ids.size() < MARK_EVERY && (left = until - System.nanoTime()) > 0) {
                        String next = toMark.poll(left, TimeUnit.NANOSECONDS);
                        if (next != null) {
                            ids.add(next);
                            toMark.drainTo(ids, MARK_EVERY - ids.size());
                        }
                    }
                }
                mark(ids);
                ids.clear();
                backoff = 0;
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                if (!marking) {
                    return;
                }
                backoff = Math.min(10_000, backoff == 0 ? 500 : backoff * 2);
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException stop) {
                    return;
                }
            }
        }
    }

    private void mark(List<String> ids) {
        Timestamp now = Timestamp.from(Instant.now());
        transactions.inTransaction(() -> outbox.jdbc().batchUpdate("UPDATE " + outbox.table()
                + " SET published_at = ? WHERE event_id = ? AND published_at IS NULL", ids, ids.size(), (ps, id) -> {
                    ps.setTimestamp(1, now);
                    ps.setString(2, id);
                }));
    }

    /**
     * The scan path: publishes up to one batch of pending rows old enough to be the scan's; true if
     * it found a full batch (a backlog: scan again at once).
     */
    public boolean scanPending() {
        long now = System.currentTimeMillis();
        if (now < nextScanAt) {
            return false;
        }
        int n = scan(Math.max(now - GRACE_MS, startedAt));
        nextScanAt = n == 0 ? now + IDLE_SCAN_MS : 0;
        return n == batchSize;
    }

    /** Publishes up to one batch of every pending row, whatever its age; returns how many (tests). */
    int relayBatch() {
        return scan(System.currentTimeMillis() + 86_400_000L);
    }

    /** Publishes up to one batch of pending rows created before the horizon; returns how many. */
    private int scan(long horizonMillis) {
        int n = transactions.inTransaction(() -> {
            // selected by state alone (the fast form on both databases), then by age: a younger row is
            // left to the hand-over path that is publishing it
            List<OutboxRow> rows = outbox.jdbc().query(outbox.dialect().pendingOutboxRows(outbox.table()),
                    (rs, i) -> rs.getTimestamp(6).getTime() < horizonMillis
                            ? new OutboxRow(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                                    rs.getString(7)) : null,
                    batchSize).stream().filter(java.util.Objects::nonNull).toList();
            if (rows.isEmpty()) {
                return 0;
            }
            try {
                scanPublisher.publish(rows);
            } catch (JMSException | RuntimeException e) {
                scanPublisher.close();
                throw new BrokerUnavailableException(e);
            }
            FaultPoint.RELAY_AFTER_SEND.reach();
            Timestamp now = Timestamp.from(Instant.now());
            outbox.jdbc().batchUpdate("UPDATE " + outbox.table() + " SET published_at = ? WHERE id = ?", rows, rows.size(),
                    (ps, row) -> {
                        ps.setTimestamp(1, now);
                        ps.setLong(2, row.id());
                    });
            return rows.size();
        });
        published.increment(n);
        return n;
    }

    @Override
    protected void doStart() {
        marking = true;
        marker = new Thread(this::markLoop, "outbox-marker-" + outbox.service());
        marker.setDaemon(true);
        marker.start();
    }

    @Override
    protected void doStop() throws InterruptedException {
        // its routes have stopped (Camel stops routes before services)
        handedPublisher.close();
        scanPublisher.close();
        // the marker marks what was published, then ends; what it cannot mark the scan sends again after a restart
        marking = false;
        if (marker != null) {
            marker.join(10_000);
        }
    }

    static final class BrokerUnavailableException extends RuntimeException {
        BrokerUnavailableException(Exception cause) {
            super("broker unavailable: " + cause.getMessage(), cause);
        }
    }
}
