package io.orderflow.outbox;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.orderflow.db.DatabaseUnavailable;
import io.orderflow.db.Transactions;
import io.orderflow.infra.FaultPoint;
import io.orderflow.infra.OutageLog;
import io.orderflow.infra.Worker;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.JMSException;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Publishes one service's committed outbox rows to the broker, by two paths.
 *
 * <ul>
 *   <li><b>Handed over</b>: once a transaction that appended events has committed, the
 *       {@link Outbox} hands them to the relay in memory. The relay publishes what it was handed in
 *       batches, one broker transaction each, with no database transaction open; a marker thread
 *       marks them published afterwards, up to {@link #MARK_EVERY} rows per database transaction,
 *       off the publish path.</li>
 *   <li><b>Scanned</b>: rows the handed-over path did not cover (left by a crash, committed by
 *       another process, dropped from a full hand-over queue, or whose publish failed) are found by
 *       a scan at the poll interval: in one database transaction it locks the oldest pending rows
 *       (skipping rows another relay holds), publishes them in one broker transaction and marks
 *       them. It takes a row only once it is older than {@link #GRACE_MS} (or older than this
 *       relay's start), and the handed-over path gives up an event before half that age, so the
 *       two do not race for a row. Rows are selected by state, never by a remembered last id.</li>
 * </ul>
 *
 * A crash after a broker commit and before the rows are marked leaves them pending; the scan sends
 * them again and the broker drops them by their duplicate-detection id (the event id). The marker
 * keeps up within a transaction or two, so the events published but not yet marked are a few
 * thousand at most, well inside the broker's duplicate-id cache (100,000 ids on the embedded
 * broker; see README for an external one).
 */
public final class OutboxRelay extends Worker {

    static final long GRACE_MS = 10_000;
    static final int MARK_EVERY = 1_000;
    private static final int QUEUE = 20_000;

    private final Outbox outbox;
    private final Transactions transactions;
    private final EventPublisher publisher;
    private final int batchSize;
    private final long pollIntervalMs;
    private final Counter published;
    private final Counter overflow;
    private final Timer lag;
    private final BlockingQueue<Handed> handed = new ArrayBlockingQueue<>(QUEUE);
    private final BlockingQueue<String> toMark = new LinkedBlockingQueue<>();
    private Thread marker;
    private volatile boolean marking;
    private final long startedAt = System.currentTimeMillis();
    private long lastScan;
    private boolean scanFull;

    /** An event handed over after its commit, with when (wall clock, and nanoTime for its lag). */
    private record Handed(OutboxRow row, long at, long atNanos) {
    }

    public OutboxRelay(Outbox outbox, Transactions transactions, ConnectionFactory connectionFactory,
                       String brokerUser, String brokerPassword, int batchSize, long pollIntervalMs,
                       MeterRegistry meters, OutageLog outages) {
        super("outbox-relay-" + outbox.service(), pollIntervalMs, 10_000, outages);
        this.outbox = outbox;
        this.transactions = transactions;
        this.publisher = new EventPublisher(connectionFactory, brokerUser, brokerPassword);
        this.batchSize = batchSize;
        this.pollIntervalMs = pollIntervalMs;
        this.published = Counter.builder("orderflow.events.published").tag("service", outbox.service())
                .description("Events published to the broker by the outbox relay").register(meters);
        this.overflow = Counter.builder("orderflow.outbox.handover.overflow").tag("service", outbox.service())
                .description("Committed events left to the relay's scan because its hand-over queue was full").register(meters);
        this.lag = Timer.builder("orderflow.outbox.lag").tag("service", outbox.service())
                .description("From an event's commit to its broker commit, for events handed over in memory")
                .publishPercentiles(0.5, 0.99).register(meters);
        outbox.onCommit(this::handOver);
    }

    /** Called once a transaction that appended these rows has committed. */
    private void handOver(List<OutboxRow> rows) {
        long now = System.currentTimeMillis();
        long nanos = System.nanoTime();
        for (OutboxRow row : rows) {
            if (!handed.offer(new Handed(row, now, nanos))) {
                // the scan publishes it instead
                overflow.increment();
            }
        }
        wake();
    }

    @Override
    protected boolean workOnce() throws JMSException {
        boolean more = publishHanded();
        long now = System.currentTimeMillis();
        // at the poll interval, or at once while the last scan found a full batch (a backlog)
        if (scanFull || now - lastScan >= pollIntervalMs) {
            lastScan = now;
            scanFull = scan(Math.max(now - GRACE_MS, startedAt)) == batchSize;
            more |= scanFull;
        }
        return more;
    }

    /** Publishes one batch of what was handed over; true if more is waiting. */
    private boolean publishHanded() throws JMSException {
        long tooOld = System.currentTimeMillis() - GRACE_MS / 2;
        List<OutboxRow> batch = new ArrayList<>(batchSize);
        List<Handed> taken = new ArrayList<>(batchSize);
        Handed h;
        while (batch.size() < batchSize && (h = handed.poll()) != null) {
            // an event the scan may take by now is left to it
            if (h.at() > tooOld) {
                batch.add(h.row());
                taken.add(h);
            }
        }
        if (batch.isEmpty()) {
            return false;
        }
        try {
            publisher.publish(batch);
        } catch (JMSException e) {
            // these rows stay pending in the database: the scan publishes them once the broker is back
            handed.clear();
            throw e;
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
                    String first = toMark.poll(200, TimeUnit.MILLISECONDS);
                    if (first == null) {
                        continue;
                    }
                    ids.add(first);
                    // gather what a short while brings, so that a steady trickle is marked in batches too
                    long until = System.nanoTime() + 50_000_000L;
                    while (ids.size() < MARK_EVERY && System.nanoTime() < until) {
                        String next = toMark.poll(5, TimeUnit.MILLISECONDS);
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

    /** Publishes up to one batch of every pending row, whatever its age; returns how many (tests and the benchmark). */
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
                            ? new OutboxRow(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5)) : null,
                    batchSize).stream().filter(java.util.Objects::nonNull).toList();
            if (rows.isEmpty()) {
                return 0;
            }
            try {
                publisher.publish(rows);
                FaultPoint.RELAY_AFTER_SEND.reach();
            } catch (JMSException e) {
                throw new BrokerUnavailableException(e);
            }
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
    protected void onFailure() {
        publisher.close();
    }

    @Override
    protected String describeFailure(Exception failure) {
        boolean broker = failure instanceof JMSException || failure instanceof BrokerUnavailableException
                || failure.getCause() instanceof BrokerUnavailableException;
        if (!broker) {
            // the database failed: asking it for the backlog would only wait out another connection timeout
            return "cannot publish events, " + (DatabaseUnavailable.isCause(failure) ? "database" : "unexpected failure");
        }
        long backlog;
        try {
            backlog = outbox.backlog();
        } catch (RuntimeException e) {
            backlog = -1;
        }
        return "cannot publish events, broker (" + (backlog < 0 ? "backlog unknown" : backlog + " events pending") + ")";
    }

    @Override
    protected void doStart() {
        marking = true;
        marker = new Thread(this::markLoop, "outbox-marker-" + outbox.service());
        marker.setDaemon(true);
        marker.start();
        super.doStart();
    }

    @Override
    protected void doStop() throws InterruptedException {
        super.doStop();
        publisher.close();
        // the marker marks what was published, then ends; what it cannot mark the scan sends again after a restart
        marking = false;
        if (marker != null) {
            marker.join(10_000);
        }
    }

    static final class BrokerUnavailableException extends RuntimeException {
        BrokerUnavailableException(JMSException cause) {
            super("broker unavailable: " + cause.getMessage(), cause);
        }
    }
}
