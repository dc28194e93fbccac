package io.orderflow.db;

import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.util.function.Supplier;

/**
 * Runs a unit of work in one database transaction. Every JdbcTemplate call made inside joins it,
 * so a state change, its processed-event record and its outbox rows commit or roll back together.
 */
public final class Transactions {

    private final TransactionTemplate template;

    Transactions(TransactionTemplate template) {
        this.template = template;
    }

    public <T> T inTransaction(Supplier<T> work) {
        try {
            return template.execute(status -> work.get());
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
