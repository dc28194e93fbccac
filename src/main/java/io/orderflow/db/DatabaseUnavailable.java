package io.orderflow.db;

import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;

/**
 * Tells a failure that may pass by itself (database down, connection lost, pool exhausted, a
 * deadlock or serialization victim) from one that will not. Work failing for a passing reason is
 * retried in place, without using up a message's delivery attempts or rejecting a file.
 */
public final class DatabaseUnavailable {

    private DatabaseUnavailable() {
    }

    public static boolean isCause(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientException || t instanceof SQLRecoverableException
                    || t instanceof org.springframework.dao.TransientDataAccessException
                    || t instanceof org.springframework.jdbc.CannotGetJdbcConnectionException
                    || t instanceof org.springframework.transaction.CannotCreateTransactionException
                    || t instanceof java.net.ConnectException || t instanceof java.net.SocketTimeoutException) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                // 08: connection exception; 57P: operator intervention (shutdown); 53: out of resources;
                // 40001 / 40P01: serialization failure / deadlock; HYT00: H2 lock timeout
                if (state.startsWith("08") || state.startsWith("57P") || state.startsWith("53")
                        || state.equals("40001") || state.equals("40P01") || state.equals("HYT00")) {
                    return true;
                }
            }
            // a pooled connection that broke mid-transaction: Hikari and pgjdbc report it without a SQL state
            if (t instanceof SQLException && t.getMessage() != null
                    && (t.getMessage().contains("Connection is closed") || t.getMessage().contains("connection has been closed"))) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

}
