package io.orderflow.broker;

import jakarta.jms.JMSException;
import jakarta.jms.TransactionRolledBackException;
import org.apache.activemq.artemis.api.core.ActiveMQDuplicateIdException;
import org.apache.activemq.artemis.api.core.ActiveMQTransactionOutcomeUnknownException;
import org.apache.activemq.artemis.api.core.ActiveMQTransactionRolledBackException;

/**
 * Recognises a broker transaction that a failover cut, on a session that survived it (an HA
 * connection moves its sessions to the backup). Artemis then rolls the transaction back: a commit
 * of a session that had sent or received anything fails with AMQ219030 ("rolled back on
 * failover"), or with AMQ219031 when the failover came during the commit itself, whose outcome is
 * then unknown. The session is usable again after a rollback, and the work can be done again at
 * once, on it: it is not an outage, and the backup is already there.
 */
public final class Failover {

    private Failover() {
    }

    public static boolean rolledBack(Throwable failure) {
        return causedBy(failure, TransactionRolledBackException.class, ActiveMQTransactionRolledBackException.class,
                ActiveMQTransactionOutcomeUnknownException.class);
    }

    /**
     * A commit the broker refused whole because a message in it carries a duplicate id it has
     * seen: what was sent before a crash, or by a commit a failover cut after it was stored.
     */
    public static boolean refusedAsDuplicate(Throwable failure) {
        return causedBy(failure, ActiveMQDuplicateIdException.class);
    }

    private static boolean causedBy(Throwable failure, Class<?>... types) {
        for (Throwable t = failure; t != null; t = next(t)) {
            for (Class<?> type : types) {
                if (type.isInstance(t)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static Throwable next(Throwable t) {
        Throwable cause = t.getCause();
        if (cause == null && t instanceof JMSException jms) {
            cause = jms.getLinkedException();
        }
        return cause == t ? null : cause;
    }
}
