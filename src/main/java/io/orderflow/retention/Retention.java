package io.orderflow.retention;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.orderflow.db.Dialect;
import io.orderflow.db.Transactions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Deletes what the retention policy no longer keeps, in small batches of one transaction each,
 * so that the flow beside it waits for no long lock. It is the step of the retention worker route
 * (routes/80-retention.yaml). Several instances may run it at once: each batch deletes rows by
 * their age, a row already deleted by another is simply not there, and on PostgreSQL rows
 * another instance is deleting are skipped rather than waited for. Before deleting from a table it
 * records the cut-off ({@link RetentionHorizon}), which the invariant check reads.
 */
public final class Retention {

    private static final Logger LOG = LoggerFactory.getLogger(Retention.class);

    private final JdbcTemplate jdbc;
    private final Transactions transactions;
    private final Dialect dialect;
    private final RetentionPolicy policy;
    private final RetentionHorizon horizon;
    private final List<Path> fileFolders;
    private final Path mailFolder;
    private final Timer runs;
    private final MeterRegistry meters;

    public Retention(JdbcTemplate jdbc, Transactions transactions, Dialect dialect, RetentionPolicy policy, Path dataDir,
                     MeterRegistry meters) {
        this.jdbc = jdbc;
        this.transactions = transactions;
        this.dialect = dialect;
        this.policy = policy;
        this.horizon = new RetentionHorizon(jdbc);
        this.fileFolders = List.of(dataDir.resolve("orders/done"), dataDir.resolve("orders/error"),
                dataDir.resolve("stock/done"), dataDir.resolve("stock/error"));
        this.mailFolder = dataDir.resolve("mail");
        this.meters = meters;
        this.runs = Timer.builder("orderflow.retention.run").description("Retention runs: what they took").register(meters);
    }

    /** One run over everything; returns false (the worker waits its interval before the next). */
    public boolean run() {
        long started = System.nanoTime();
        Instant now = Instant.now();
        Map<String, Long> deleted = new LinkedHashMap<>();
        policy.outbox().ifPresent(keep -> {
            for (String service : new String[] {"order", "stock", "email"}) {
                deleted.put(service + "_outbox", rows(service + "_outbox", "id", "published_at < ?", now.minus(keep)));
            }
        });
        policy.processedEvents().ifPresent(keep -> {
            for (String table : new String[] {"stock_processed_event", "email_processed_event"}) {
                deleted.put(table, rows(table, "event_id", "processed_at < ?", now.minus(keep)));
            }
        });
        policy.notifications().ifPresent(keep -> deleted.put("email_notification",
                rows("email_notification", "order_id", "status IN ('SENT', 'DISCARDED') AND created_at < ?", now.minus(keep))));
        policy.files().ifPresent(keep -> deleted.put("files", files(fileFolders, now.minus(keep), name -> true)));
        policy.mailFiles().ifPresent(keep -> deleted.put("eml", files(List.of(mailFolder), now.minus(keep), name -> name.endsWith(".eml"))));
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        runs.record(took);
        deleted.forEach((what, n) -> Counter.builder("orderflow.retention.deleted").tag("what", what)
                .description("Rows and files deleted by retention").register(meters).increment(n));
        long total = deleted.values().stream().mapToLong(Long::longValue).sum();
        if (total > 0) {
            LOG.info("Retention deleted {} in {} ms", deleted, took.toMillis());
        }
        return false;
    }

    /**
     * Records the cut-off, then deletes the table's rows that match, a batch per transaction,
     * until none is left.
     */
    long rows(String table, String key, String condition, Instant before) {
        // Recorded first, committed on its own: whoever reads the table (the invariant check) must
        // never see rows gone without a record covering them. Recorded with or after the deletes,
        // it would lag the batches already committed; recorded first, a run that then fails
        // claims a little more than it deleted, which only makes the check leave out a few more
        // orders, never report a false violation.
        horizon.advance(table, before);
        String delete = dialect.deleteBatch(table, key, condition);
        Timestamp cutoff = Timestamp.from(before);
        long total = 0;
        while (true) {
            Integer n = transactions.inTransaction(() -> jdbc.update(delete, cutoff, policy.batchSize()));
            total += n;
            if (n < policy.batchSize()) {
                return total;
            }
        }
    }

    private static long files(List<Path> folders, Instant before, java.util.function.Predicate<String> named) {
        long total = 0;
        for (Path folder : folders) {
            if (!Files.isDirectory(folder)) {
                continue;
            }
            try (Stream<Path> entries = Files.list(folder)) {
                for (Path f : (Iterable<Path>) entries::iterator) {
                    String name = f.getFileName().toString();
                    // temporary names are files still being written
                    if (name.startsWith(".") || !named.test(name) || !Files.isRegularFile(f)) {
                        continue;
                    }
                    Optional<Instant> modified = modified(f);
                    if (modified.isPresent() && modified.get().isBefore(before)) {
                        try {
                            Files.deleteIfExists(f);
                            total++;
                        } catch (NoSuchFileException gone) {
                            // another instance deleted it
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("retention could not clean " + folder + ": " + e.getMessage(), e);
            }
        }
        return total;
    }

    private static Optional<Instant> modified(Path f) {
        try {
            return Optional.of(Files.getLastModifiedTime(f).toInstant());
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
