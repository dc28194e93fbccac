package io.orderflow.infra;

import io.orderflow.broker.batch.BatchFailedException;
import io.orderflow.intake.RejectedInputException;
import io.orderflow.outbox.UnreadableEventException;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.springframework.dao.DataIntegrityViolationException;

import java.sql.BatchUpdateException;
import java.sql.SQLException;

/**
 * The one rule for what a failure means, used by the routes' error handling (routes/01-errors.yaml)
 * and the background workers.
 *
 * <ul>
 *   <li>{@link Kind#INPUT}: the input breaks an input rule (a bad order, an unreadable event).
 *       Rejected or parked at once, never retried.</li>
 *   <li>{@link Kind#DATA}: the database refused this input's own data (SQL state class 22, data
 *       exception, or 23, integrity constraint). A file is rejected; a message or event is retried a
 *       few times, then rejected or parked, using up its delivery attempts.</li>
 *   <li>{@link Kind#OUTAGE}: everything else: a database that is down, closed, read-only or full, a
 *       failed rollback, a broker or disk failure, or anything not foreseen. The input is not at
 *       fault, so it waits and is retried in place, without limit and without using up a delivery
 *       attempt, and the operator sees it in the log ({@link OutageLog}) and in the metrics.</li>
 * </ul>
 *
 * As a Camel processor it is the routes' on-redelivery hook: each attempt held in place is
 * reported to the {@link OutageLog}, which logs one line per interval instead of one per attempt.
 */
public final class Failures implements Processor {

    public enum Kind { INPUT, DATA, OUTAGE }

    private final OutageLog outages;

    public Failures(OutageLog outages) {
        this.outages = outages;
    }

    public static Kind classify(Throwable failure) {
        Kind kind = Kind.OUTAGE;
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof RejectedInputException || t instanceof UnreadableEventException) {
                return Kind.INPUT;
            }
            if (t instanceof DataIntegrityViolationException) {
                kind = Kind.DATA;
            }
            if (t instanceof BatchFailedException) {
                // one message of the batch is at fault; the batch is run again one message at a time
                return Kind.DATA;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                // the root SQL state decides (for a JDBC batch, that of the statement that failed): a
                // data exception or constraint violation is this input's; anything else (connection,
                // read-only, resources, closed database) is not
                SQLException failed = sql instanceof BatchUpdateException && sql.getNextException() != null ? sql.getNextException() : sql;
                String state = failed.getSQLState() != null ? failed.getSQLState() : sql.getSQLState();
                kind = state.startsWith("22") || state.startsWith("23") ? Kind.DATA : Kind.OUTAGE;
            }
        }
        return kind;
    }

    /** Route predicate: the exchange failed for a reason outside its input; it waits and is retried in place. */
    public boolean isOutage(Exchange exchange) {
        Throwable failure = failure(exchange);
        return failure != null && classify(failure) == Kind.OUTAGE;
    }

    /**
     * Route predicate: an outage of the broker (a JMS or Artemis failure in the chain, no SQL one).
     * It is retried at most every 2 s however long it lasted, as the broker client reconnects
     * (broker/Reconnection): a backoff grown to 10 s while no broker served would keep a relay away
     * for seconds after one serves again.
     */
    public boolean isBrokerOutage(Exchange exchange) {
        Throwable failure = failure(exchange);
        if (failure == null || classify(failure) != Kind.OUTAGE) {
            return false;
        }
        boolean broker = false;
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException || t instanceof org.springframework.dao.DataAccessException) {
                return false;
            }
            if (t instanceof jakarta.jms.JMSException || t instanceof org.apache.activemq.artemis.api.core.ActiveMQException) {
                broker = true;
            }
        }
        return broker;
    }

    /** Route predicate: the exchange failed because of its own input or data. */
    public boolean isOwnFault(Exchange exchange) {
        Throwable failure = failure(exchange);
        return failure != null && classify(failure) != Kind.OUTAGE;
    }

    /** On redelivery: one more attempt held in place, reported to the outage log. */
    @Override
    public void process(Exchange exchange) {
        Throwable failure = failure(exchange);
        outages.failed(exchange.getFromRouteId(), failure == null ? "unknown failure" : reason(failure));
    }

    /** The failure as an operator reads it: the root cause with its type. */
    public static String reason(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    private static Throwable failure(Exchange exchange) {
        Throwable failure = exchange.getException();
        return failure != null ? failure : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
    }
}
