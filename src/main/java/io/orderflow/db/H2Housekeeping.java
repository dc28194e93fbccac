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
 * The upkeep H2 does in its background writer thread, which {@code WRITE_DELAY=0} turns off, plus a
 * sync to disk once a second.
 *
 * <p><b>Compaction.</b> H2's MVStore writes every commit as a chunk, at the end of its file or into
 * freed space. A chunk is freed only when none of its pages is live any more; one that still holds
 * a live page (a leaf of a table whose rows are never touched again) stays, with all its dead pages,
 * until the background writer moves its live pages elsewhere. With {@code WRITE_DELAY=0}, which
 * orderflow needs so that a commit is in the file before it returns, H2 2.4.240 starts no background
 * writer at all, so the file grew with every order and never shrank. This task does the moving
 * instead: every {@value #PERIOD_MS} ms it rewrites the live pages of the sparsest chunks, at most
 * 4 MB of them, when less than 80% of the chunks' space is live, and stores them. A freed chunk is
 * overwritten only once no reader's snapshot can still need it (H2 keeps every version in use) and
 * the URL's {@code RETENTION_TIME} has passed, so the file holds the live data and a few seconds of
 * writes.
 *
 * <p><b>Sync.</b> A commit is written to the file before it returns, which survives a killed
 * process, but H2 leaves it to the operating system to put it on disk. Once a second this task
 * forces the file to disk, and the retention time is longer than that, so space that the state last
 * synced still uses is never overwritten: a power loss falls back to at most about a second before
 * (not tested here; README, "Guarantees and their limits").
 *
 * <p>Neither changes when commits are written ({@code H2CommitImageTest} and the crash tests run
 * with it). It reaches into H2's own classes: check it again on any H2 upgrade.
 */
final class H2Housekeeping implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(H2Housekeeping.class);
    static final long PERIOD_MS = 250;
    private static final long SYNC_EVERY_MS = 1000;
    static final int TARGET_FILL_RATE = 80;
    static final int WRITE_LIMIT_BYTES = 4 * 1024 * 1024;

    private final DataSource dataSource;
    private final ScheduledExecutorService timer;
    private volatile MVStore store;
    private volatile boolean failing;
    private long lastSync = System.nanoTime();

    H2Housekeeping(DataSource dataSource) {
        this.dataSource = dataSource;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "h2-housekeeping");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::run, PERIOD_MS, PERIOD_MS, TimeUnit.MILLISECONDS);
    }

    /** The MVStore behind a connection of orderflow's H2 database. */
    static MVStore store(Connection connection) throws SQLException {
        return ((SessionLocal) connection.unwrap(JdbcConnection.class).getSession()).getDatabase().getStore().getMvStore();
    }

    /** One round of compaction; true if it rewrote anything. */
    static boolean compact(MVStore mv) {
        if (!mv.compact(TARGET_FILL_RATE, WRITE_LIMIT_BYTES)) {
            return false;
        }
        // store the rewritten pages now rather than in the next transaction's commit
        mv.tryCommit();
        return true;
    }

    private void run() {
        try {
            MVStore mv = store;
            if (mv == null || mv.isClosed()) {
                // first run, or H2 closed the database (e.g. a full disk) and a connection reopened it
                try (Connection c = dataSource.getConnection()) {
                    mv = store(c);
                }
                store = mv;
            }
            compact(mv);
            if (System.nanoTime() - lastSync >= SYNC_EVERY_MS * 1_000_000L) {
                mv.sync();
                lastSync = System.nanoTime();
            }
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
        // never interrupt it: an interrupt inside a read closes H2's file channel under the database
        timer.shutdown();
        try {
            timer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
