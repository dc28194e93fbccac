package io.orderflow.db;

import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Runs a unit of work in one database transaction. Every JdbcTemplate call made inside joins it,
 * so a state change, its processed-event record and its outbox rows commit or roll back together.
 */
public final class Transactions {

    private final TransactionTemplate template;
    private final LongAdder commits = new LongAdder();

    Transactions(TransactionTemplate template) {
        this.template = template;
    }

    /** Transactions committed so far (the benchmark counts commits per order with it). */
    public long commits() {
        return commits.sum();
    }

    public <T> T inTransaction(Supplier<T> work) {
        try {
            T result = template.execute(status -> work.get());
            commits.increment();
            return result;
        } catch (RuntimeException e) {
            if (!(e instanceof DatabaseUnavailableException) && DatabaseUnavailable.isCause(e)) {
                throw new DatabaseUnavailableException(e);
            }
            throw e;
        }
    }

    public void inTransaction(Runnable work) {
        inTransaction(() -> {
            work.run();
            return null;
        });
    }

    /** Runs the action once the current transaction has committed (at once if there is none). */
    public static void afterCommit(Runnable action) {
        if (!TransactionSynchronizationManager.isSynchronizationActive()) {
            action.run();
            return;
        }
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public void afterCommit() {
                action.run();
            }
        });
    }
}
