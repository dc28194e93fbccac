package io.orderflow.db;

import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionStatus;
import org.springframework.transaction.support.DefaultTransactionDefinition;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Runs a unit of work in one database transaction. Every JdbcTemplate call made inside joins it,
 * so a state change, its processed-event record and its outbox rows commit or roll back together.
 *
 * <p>A rollback that fails (the connection is already gone) is attached to the work's own failure
 * as a suppressed exception instead of replacing it, and is not logged here: what the work failed
 * on decides whether its input is at fault (see {@code infra.Failures}), and the routes and
 * workers report it once per interval, not once per attempt.
 */
public final class Transactions {

    private final PlatformTransactionManager manager;
    private final LongAdder commits = new LongAdder();

    Transactions(PlatformTransactionManager manager) {
        this.manager = manager;
    }

    /** Transactions committed so far (the benchmark counts commits per order with it). */
    public long commits() {
        return commits.sum();
    }

    public <T> T inTransaction(Supplier<T> work) {
        try {
            TransactionStatus tx = manager.getTransaction(new DefaultTransactionDefinition());
            T result;
            try {
                result = work.get();
            } catch (RuntimeException | Error failure) {
                try {
                    manager.rollback(tx);
                } catch (RuntimeException rollbackFailed) {
                    failure.addSuppressed(rollbackFailed);
                }
                throw failure;
            }
            manager.commit(tx);
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

    /** Runs the action once the current transaction has ended, committed or rolled back (at once if there is none). */
    public static void afterCompletion(Runnable action) {
        if (!TransactionSynchronizationManager.isSynchronizationActive()) {
            action.run();
            return;
        }
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public void afterCompletion(int status) {
                action.run();
            }
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
