package io.orderflow.retention;

import io.orderflow.check.CheckCommand;
import io.orderflow.check.InvariantCheck;
import io.orderflow.config.Settings;
import io.orderflow.support.FlowTestSupport;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Retention on the real flow: what is past its retention goes, in batches smaller than what there
 * is to delete; what is recent stays; the invariant check covers what is kept, by the horizon the
 * retention runs recorded. Run against each database by a small subclass.
 */
abstract class RetentionContract extends FlowTestSupport {

    protected Map<String, String> databaseSettings() {
        return Map.of();
    }

    @Override
    protected Map<String, String> settingsOverrides() {
        Map<String, String> s = new java.util.HashMap<>(databaseSettings());
        // smaller than the rows to delete: several batches per table
        s.put("orderflow.retention.batch-size", "2");
        return s;
    }

    @Test
    void should_delete_what_is_past_retention_in_batches_and_keep_what_is_recent() throws Exception {
        String sku = unique("RET");
        stock("sku,quantity\n" + sku + ",100\n");
        String[] old = new String[5];
        for (int i = 0; i < old.length; i++) {
            old[i] = unique("OLD");
            drop("orders", old[i] + ".json", order(old[i], "old@example.com", sku, "1"));
        }
        String recent = unique("NEW");
        drop("orders", recent + ".json", order(recent, "new@example.com", sku, "1"));
        for (String id : old) {
            awaitNotified(id);
        }
        awaitNotified(recent);
        await(() -> count("SELECT COUNT(*) FROM email_outbox WHERE published_at IS NULL") == 0);

        // the old orders' records, as if written 40 days ago
        Timestamp longAgo = Timestamp.from(Instant.now().minus(Duration.ofDays(40)));
        for (String id : old) {
            for (String table : new String[] {"order_outbox", "stock_outbox", "email_outbox"}) {
                jdbc().update("UPDATE " + table + " SET created_at = ?, published_at = ? WHERE order_id = ?", longAgo, longAgo, id);
            }
            jdbc().update("UPDATE stock_processed_event SET processed_at = ? WHERE order_id = ?", longAgo, id);
            jdbc().update("UPDATE email_processed_event SET processed_at = ? WHERE order_id = ?", longAgo, id);
            jdbc().update("UPDATE email_notification SET created_at = ? WHERE order_id = ?", longAgo, id);
            jdbc().update("UPDATE orders SET placed_at = ? WHERE order_id = ?", longAgo, id);
            Files.setLastModifiedTime(dataDir.resolve("orders/done/" + id + ".json"), FileTime.from(longAgo.toInstant()));
            Files.setLastModifiedTime(dataDir.resolve("mail/" + id + ".confirmation.eml"), FileTime.from(longAgo.toInstant()));
        }

        // two runs at once, as two instances' workers would: each deletes what the other has not
        Retention retention = context.getRegistry().lookupByNameAndType("retention", Retention.class);
        java.util.concurrent.ExecutorService two = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            var first = two.submit(retention::run);
            var second = two.submit(retention::run);
            first.get(60, java.util.concurrent.TimeUnit.SECONDS);
            second.get(60, java.util.concurrent.TimeUnit.SECONDS);
        } finally {
            two.shutdownNow();
        }

        for (String id : old) {
            assertThat(count("SELECT COUNT(*) FROM order_outbox WHERE order_id = ?", id)).isZero();
            assertThat(count("SELECT COUNT(*) FROM stock_outbox WHERE order_id = ?", id)).isZero();
            assertThat(count("SELECT COUNT(*) FROM email_outbox WHERE order_id = ?", id)).isZero();
            assertThat(count("SELECT COUNT(*) FROM stock_processed_event WHERE order_id = ?", id)).isZero();
            assertThat(count("SELECT COUNT(*) FROM email_processed_event WHERE order_id = ?", id)).isZero();
            assertThat(count("SELECT COUNT(*) FROM email_notification WHERE order_id = ?", id)).isZero();
            assertThat(dataDir.resolve("orders/done/" + id + ".json")).doesNotExist();
            assertThat(dataDir.resolve("mail/" + id + ".confirmation.eml")).doesNotExist();
            // the order itself, its lines, its timeline and its reservations are the business record: kept
            assertThat(status(id)).isEqualTo("CONFIRMED");
            assertThat(count("SELECT COUNT(*) FROM order_event WHERE order_id = ?", id)).isEqualTo(3);
        }
        assertThat(count("SELECT COUNT(*) FROM order_outbox WHERE order_id = ?", recent)).isEqualTo(1);
        assertThat(count("SELECT COUNT(*) FROM stock_processed_event WHERE order_id = ?", recent)).isEqualTo(1);
        assertThat(count("SELECT COUNT(*) FROM email_notification WHERE order_id = ?", recent)).isEqualTo(1);
        assertThat(dataDir.resolve("orders/done/" + recent + ".json")).exists();
        assertThat(dataDir.resolve("mail/" + recent + ".confirmation.eml")).exists();
        assertThat(get("/observe/metrics").body()).contains("orderflow_retention_run_seconds_count", "orderflow_retention_deleted_total");

        // the check covers what retention keeps, and holds
        InvariantCheck.Report report = context.getRegistry().lookupByNameAndType("invariantCheck", InvariantCheck.class).run();
        assertThat(report.violations()).isEmpty();
        assertThat(Instant.parse(report.checkedSince())).isAfter(Instant.now().minus(Duration.ofDays(8)));
        assertThat(new RetentionHorizon(jdbc()).of("order_outbox")).as("the recorded horizon covers what was deleted")
                .hasValueSatisfying(h -> assertThat(h).isAfter(longAgo.toInstant()));
    }

    @Test
    void should_check_against_the_horizon_retention_recorded_whatever_the_checkers_own_retention_settings() throws Exception {
        String sku = unique("HOR");
        stock("sku,quantity\n" + sku + ",10\n");
        String id = unique("HOR");
        drop("orders", id + ".json", order(id, "horizon@example.com", sku, "1"));
        awaitNotified(id);
        await(() -> count("SELECT COUNT(*) FROM email_outbox WHERE order_id = ? AND published_at IS NOT NULL", id) == 1);

        // an instance configured to keep events 1 s deletes this order's events...
        Retention shortRetention = retentionKeeping("PT1S", "PT10S");
        await(() -> {
            shortRetention.run();
            return count("SELECT COUNT(*) FROM order_outbox WHERE order_id = ?", id) == 0
                    && count("SELECT COUNT(*) FROM stock_outbox WHERE order_id = ?", id) == 0
                    && count("SELECT COUNT(*) FROM email_outbox WHERE order_id = ?", id) == 0;
        });

        // ...and checks run with the defaults (7 days), as this service's and a `check` command's
        // do, leave the order out instead of reporting its events lost
        InvariantCheck.Report report = context.getRegistry().lookupByNameAndType("invariantCheck", InvariantCheck.class).run();
        assertThat(report.violations()).isEmpty();
        Instant placedAt = jdbc().queryForObject("SELECT placed_at FROM orders WHERE order_id = ?", Timestamp.class, id).toInstant();
        assertThat(Instant.parse(report.checkedSince())).isAfter(placedAt);
        assertThat(get("/observe/invariants").body()).containsPattern("\"violations\"\\s*:\\s*\\[\\s*\\]");

        Map<String, String> checker = new java.util.HashMap<>();
        for (String key : new String[] {"orderflow.data-dir", "orderflow.db.embedded", "orderflow.db.url", "orderflow.db.user"}) {
            checker.put(key, settings.get(key));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = CheckCommand.run(Settings.load(Map.of(), new Properties(), checker), new PrintStream(out, true, StandardCharsets.UTF_8));
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("those placed since").doesNotContain("VIOLATION");
        assertThat(exit).isZero();
    }

    @Test
    void should_never_move_the_recorded_horizon_back() {
        RetentionHorizon horizon = new RetentionHorizon(jdbc());
        retentionKeeping("PT1S", "PT10S").run();
        Instant recorded = horizon.of("order_outbox").orElseThrow();
        assertThat(recorded).isAfter(Instant.now().minus(Duration.ofMinutes(1)));

        // a later run keeping 7 days deletes less, but what was deleted stays deleted
        context.getRegistry().lookupByNameAndType("retention", Retention.class).run();
        assertThat(horizon.of("order_outbox")).contains(recorded);
        horizon.advance("order_outbox", recorded.minus(Duration.ofHours(1)));
        assertThat(horizon.of("order_outbox")).contains(recorded);
        assertThat(horizon.of("email_notification")).hasValueSatisfying(h -> assertThat(h).isBeforeOrEqualTo(recorded));
    }

    @Test
    void should_keep_the_latest_horizon_when_two_instances_record_a_table_first_at_once() throws Exception {
        RetentionHorizon horizon = new RetentionHorizon(jdbc());
        Instant earlier = Instant.parse("2026-01-01T00:00:00Z");
        Instant later = earlier.plus(Duration.ofHours(1));
        java.util.concurrent.ExecutorService two = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            // a table of its own each round: both instances find no row and insert it
            for (int round = 0; round < 20; round++) {
                String table = unique("race");
                java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(2);
                var first = two.submit(() -> {
                    together.await();
                    horizon.advance(table, earlier);
                    return null;
                });
                var second = two.submit(() -> {
                    together.await();
                    horizon.advance(table, later);
                    return null;
                });
                first.get(30, java.util.concurrent.TimeUnit.SECONDS);
                second.get(30, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(horizon.of(table)).as("round " + round).contains(later);
            }
        } finally {
            two.shutdownNow();
        }
    }

    /** Retention as run by an instance keeping outbox rows, and the other tables, that long (files forever). */
    private Retention retentionKeeping(String outbox, String others) {
        Map<String, String> s = new java.util.HashMap<>(settings.asMap());
        s.put("orderflow.retention.outbox", outbox);
        s.put("orderflow.retention.processed-events", others);
        s.put("orderflow.retention.notifications", others);
        s.put("orderflow.retention.files", "");
        s.put("orderflow.retention.mail-files", "");
        RetentionPolicy policy = RetentionPolicy.from(Settings.load(Map.of(), new Properties(), s));
        return new Retention(jdbc(), configuration.database().transactions(), configuration.database().dialect(), policy, dataDir,
                configuration.meters());
    }

    private static void await(java.util.concurrent.Callable<Boolean> condition) {
        org.awaitility.Awaitility.await().atMost(TIMEOUT).until(condition);
    }
}
