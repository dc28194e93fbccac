package io.orderflow.outbox;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.orderflow.db.DatabaseUnavailable;
import io.orderflow.db.Transactions;
import io.orderflow.infra.FaultPoint;
import io.orderflow.infra.OutageLog;
import io.orderflow.infra.Worker;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.JMSException;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;

/**
 * Publishes one service's committed outbox rows to the broker. It is woken when its service
 * commits events and polls only as a fallback (rows committed by another process sharing the
 * database, or left by a crash).
 *
 * <p>Each round, in one database transaction: lock the oldest pending rows (skipping rows another
 * relay holds), publish them in one broker transaction, mark them published. A crash after the
 * broker commit and before the database commit leaves the rows pending; they are sent again and
 * the broker drops them by their duplicate-detection id.
 */
public final class OutboxRelay extends Worker {

    private final Outbox outbox;
    private final Transactions transactions;
    private final EventPublisher publisher;
    private final int batchSize;
    private final Counter published;

    public OutboxRelay(Outbox outbox, Transactions transactions, ConnectionFactory connectionFactory,
                       String brokerUser, String brokerPassword, int batchSize, long pollIntervalMs,
                       MeterRegistry meters, OutageLog outages) {
        super("outbox-relay-" + outbox.service(), pollIntervalMs, 10_000, outages);
        this.outbox = outbox;
        this.transactions = transactions;
        this.publisher = new EventPublisher(connectionFactory, brokerUser, brokerPassword);
        this.batchSize = batchSize;
        this.published = Counter.builder("orderflow.events.published").tag("service", outbox.service())
                .description("Events published to the broker by the outbox relay").register(meters);
        outbox.onCommit(this::wake);
    }

    @Override
    protected boolean workOnce() {
        return relayBatch() == batchSize;
    }

    /** Publishes up to one batch; returns how many rows it published. */
    int relayBatch() {
        int n = transactions.inTransaction(() -> {
            List<OutboxRow> rows = outbox.jdbc().query(outbox.dialect().pendingOutboxRows(outbox.table()),
                    (rs, i) -> new OutboxRow(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5)),
                    batchSize);
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
        boolean broker = failure instanceof BrokerUnavailableException || failure.getCause() instanceof BrokerUnavailableException;
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
    protected void doStop() throws InterruptedException {
        super.doStop();
        publisher.close();
    }

    static final class BrokerUnavailableException extends RuntimeException {
        BrokerUnavailableException(JMSException cause) {
            super("broker unavailable: " + cause.getMessage(), cause);
        }
    }
}
