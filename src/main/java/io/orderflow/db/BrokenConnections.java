package io.orderflow.db;

import com.zaxxer.hikari.SQLExceptionOverride;

import java.sql.SQLException;
import java.util.Set;

/**
 * Tells the pool which failures leave a connection useless though the driver does not say so with
 * a connection-class SQL state. Without it the pool hands the same dead connection out again and
 * again, and work keeps failing after the database is back:
 * <ul>
 *   <li>H2 closed the database (as it does when its disk fills), or hit an I/O error: every
 *       connection opened before stays closed, while a new one reopens the database;</li>
 *   <li>PostgreSQL refused a write as read-only: a session keeps the read-only default it started
 *       with, so only a new session sees the database writable again.</li>
 * </ul>
 */
public final class BrokenConnections implements SQLExceptionOverride {

    /** H2: database closed (90098), called at shutdown (90121), object closed (90007), I/O (90028, 90031), no disk space (90100), file corrupted (90030). */
    private static final Set<Integer> H2_CODES = Set.of(90098, 90121, 90007, 90028, 90031, 90100, 90030);
    /** PostgreSQL: read-only transaction, and an administrator's or the server's shutdown of the session. */
    private static final Set<String> STATES = Set.of("25006", "57P01", "57P02", "57P03");

    @java.lang.Override
    public Override adjudicate(SQLException e) {
        if (STATES.contains(e.getSQLState()) || e.getClass().getName().startsWith("org.h2.") && H2_CODES.contains(e.getErrorCode())) {
            return Override.MUST_EVICT;
        }
        return Override.CONTINUE_EVICT;
    }
}
