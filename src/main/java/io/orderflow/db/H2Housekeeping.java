package io.orderflow.db;

import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.MVStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The chunk compaction H2 runs in its background writer thread, which {@code WRITE_DELAY=0} turns
 * off.
 *
 * <p>H2's MVStore writes every commit as a chunk, at the end of its file or into freed space. A
 * chunk is freed only when none of its pages is live any more; one that still holds a live page
 * (a leaf of a table whose rows are never touched again) stays, with all its dead pages, until the
 * background writer moves its live pages elsewhere. With {@code WRITE_DELAY=0}, which orderflow
 * needs so that a commit is in the file before it returns, H2 2.4.240 starts no background writer
 * at all, so the file grew by about 160 KB per order and never shrank. This task does the moving
 * instead: every 250 ms it rewrites the live pages of the sparsest chunks, at most 4 MB of them,
 * when less than 80% of the chunks' space is live; the next commit stores them, and the space is
 * reused once H2's retention time (1 s in orderflow's URL, not the default 45 s) has passed. It
 * changes nothing about when commits are written ({@code H2CommitImageTest} and the crash tests
 * run with it). It reaches into H2's own classes: check it again on any H2 upgrade.
 */
final class H2Housekeeping implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(H2Housekeeping.class);
    private static final long PERIOD_MS = 250;
    static final int TARGET_FILL_RATE = 80;
    static final int WRITE_LIMIT_BYTES = 4 * 1024 * 1024;

    private final DataSource dataSource;
    private final ScheduledExecutorService timer;
    private volatile MVStore store;
    private volatile boolean failing;

    H2Housekeeping(DataSource dataSource) {
        this.dataSource = dataSource;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "h2-housekeeping");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::compact, PERIOD_MS, PERIOD_MS, TimeUnit.MILLISECONDS);
    }

    /** The MVStore behind a connection of orderflow's H2 database. */
    static MVStore store(Connection connection) throws SQLException {
        return ((SessionLocal) connection.unwrap(JdbcConnection.class).getSession()).getDatabase().getStore().getMvStore();
    }

    private void compact() {
        try {
            MVStore mv = store;
            if (mv == null || mv.isClosed()) {
                // first run, or H2 closed the database (e.g. a full disk) and a connection reopened it
                try (Connection c = dataSource.getConnection()) {
                    mv = store(c);
                }
                store = mv;
            }
            mv.compact(TARGET_FILL_RATE, WRITE_LIMIT_BYTES);
            if (failing) {
                failing = false;
                LOG.info("H2 housekeeping is working again");
            }
        } catch (RuntimeException | SQLException e) {
            if (!failing) {
                failing = true;
                LOG.warn("H2 housekeeping failed ({}); the file may grow until it works again, retrying", e.toString());
            }
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
