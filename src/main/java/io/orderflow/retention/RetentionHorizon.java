package io.orderflow.retention;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collection;
import java.util.Collections;
import java.util.Optional;

/**
 * What retention has deleted up to, per table (the retention_horizon table): rows older than a
 * table's cut-off may be gone. Readers of those tables, such as the invariant check, take it from
 * here rather than from their own retention settings, which need not be the ones of the
 * instances that deleted.
 */
public final class RetentionHorizon {

    private final JdbcTemplate jdbc;

    public RetentionHorizon(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Records that the table's rows older than the cut-off may be deleted from now on. Never moves
     * the record back: a run with a longer retention deletes less, but what earlier runs deleted
     * stays deleted. Call it outside any transaction: each statement commits on its own, so a
     * unique-key violation (another instance inserting the same table's first record at the same
     * time) fails that statement only, where on PostgreSQL it would abort a whole transaction.
     */
    void advance(String table, Instant deletedBefore) {
        Timestamp cutoff = Timestamp.from(deletedBefore);
        Timestamp now = Timestamp.from(Instant.now());
        if (moveForward(table, cutoff, now)) {
            return;
        }
        try {
            if (jdbc.update("INSERT INTO retention_horizon (table_name, deleted_before, updated_at) "
                    + "SELECT CAST(? AS VARCHAR(64)), CAST(? AS TIMESTAMP WITH TIME ZONE), CAST(? AS TIMESTAMP WITH TIME ZONE) "
                    + "WHERE NOT EXISTS (SELECT 1 FROM retention_horizon WHERE table_name = ?)", table, cutoff, now, table) == 1) {
                return;
            }
        } catch (DuplicateKeyException insertedMeanwhile) {
            // another instance inserted it since our update: the update below applies
        }
        // The row is there, inserted by another instance perhaps since our first update, perhaps
        // with an earlier cut-off: move it forward now (rows are never deleted, so this finds it).
        moveForward(table, cutoff, now);
    }

    private boolean moveForward(String table, Timestamp cutoff, Timestamp now) {
        return jdbc.update("UPDATE retention_horizon SET deleted_before = ?, updated_at = ? WHERE table_name = ? AND deleted_before < ?",
                cutoff, now, table, cutoff) > 0;
    }

    /** The latest cut-off recorded for any of the tables; empty if retention never deleted from them. */
    public Optional<Instant> latest(Collection<String> tables) {
        Timestamp latest = jdbc.queryForObject("SELECT MAX(deleted_before) FROM retention_horizon WHERE table_name IN ("
                + String.join(", ", Collections.nCopies(tables.size(), "?")) + ")", Timestamp.class, tables.toArray());
        return Optional.ofNullable(latest).map(Timestamp::toInstant);
    }

    /** The cut-off recorded for one table; empty if retention never deleted from it. */
    public Optional<Instant> of(String table) {
        return latest(java.util.List.of(table));
    }
}
