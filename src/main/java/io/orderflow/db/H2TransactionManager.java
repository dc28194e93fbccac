package io.orderflow.db;

import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.JdbcTransactionObjectSupport;
import org.springframework.transaction.TransactionSystemException;
import org.springframework.transaction.support.DefaultTransactionStatus;

import javax.sql.DataSource;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Writes every commit to the H2 file before the commit returns, while H2's own background writer
 * keeps the file compact.
 *
 * <p>H2 writes a commit to its file at once only under {@code WRITE_DELAY=0}, and that setting also
 * stops H2's background writer, the thread that moves live pages out of old chunks so that their
 * space can be reused: the file then grew by every commit (80-160 KB an order) and never shrank.
 * orderflow's H2 URL keeps the background writer ({@code WRITE_DELAY=100}) and writes each commit
 * itself: {@code CHECKPOINT} stores what has been committed, the same store commit that
 * {@code WRITE_DELAY=0} makes inside every commit. It runs right after the database commit and before
 * the commit returns, so before anything that follows from it (a JMS acknowledgement, a relay's
 * hand-over, a file moved to done). {@code db/H2CommitImageTest} checks that every returned commit is
 * in the file a kill leaves.
 */
final class H2TransactionManager extends DataSourceTransactionManager {

    H2TransactionManager(DataSource dataSource) {
        super(dataSource);
    }

    @Override
    protected void doCommit(DefaultTransactionStatus status) {
        super.doCommit(status);
        try (Statement s = ((JdbcTransactionObjectSupport) status.getTransaction()).getConnectionHolder().getConnection()
                .createStatement()) {
            s.execute("CHECKPOINT");
        } catch (SQLException e) {
            // committed in memory but maybe not in the file: fail like a commit that failed, so that
            // the caller acknowledges nothing and its input comes again (it is then a duplicate)
            throw new TransactionSystemException("H2 could not write the commit to its file", e);
        }
    }
}
