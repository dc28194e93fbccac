package io.orderflow.bench;

import io.micrometer.core.instrument.MeterRegistry;
import io.orderflow.config.OrderflowConfiguration;
import io.orderflow.config.Preflight;
import io.orderflow.config.Settings;
import io.orderflow.db.Database;
import io.orderflow.retention.Retention;
import jakarta.jms.Connection;
import jakarta.jms.DeliveryMode;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.main.Main;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.orderflow.bench.Benchmark.micros;
import static io.orderflow.bench.Benchmark.say;
import static io.orderflow.bench.Benchmark.settings;
import static io.orderflow.bench.Benchmark.size;
import static io.orderflow.bench.Benchmark.startInstance;
import static io.orderflow.bench.EndToEnd.awaitNotified;
import static io.orderflow.bench.EndToEnd.sendPaced;
import static io.orderflow.bench.EndToEnd.sent;
import static io.orderflow.bench.EndToEnd.warmUp;

/**
 * Retention beside the flow (--retention-rows=N, instead of the other phases): a fresh instance
 * gets N rows past their retention, in an order's proportions; orders flow at the first of --rates
 * without retention, then again while one retention run deletes the rows; the figures are the
 * run's time and the latency of the orders sent during the run against those sent without it.
 */
final class RetentionBeside {

    private RetentionBeside() {
    }

    /**
     * A retention run over --retention-rows rows past their retention (published outbox rows,
     * processed events and sent notifications, 40 days old), while orders flow at the first of
     * --rates: the run's time, and the flow's latency beside it against the same rate without it.
     */
    static Map<String, Object> measure(BenchDatabases databases, Path work, int rows, int warmup, String rates, int rateSeconds)
            throws Exception {
        Map<String, String> base = new HashMap<>(databases.fresh(work.resolve("retention")));
        // the run is started by the benchmark, not by the worker's schedule
        base.put("orderflow.retention.interval-ms", "86400000");
        Settings settings = settings(base);
        OrderflowConfiguration configuration = new OrderflowConfiguration(settings);
        Main main = startInstance(settings, configuration);
        Map<String, Object> r = new LinkedHashMap<>();
        try {
            Database db = configuration.database();
            MeterRegistry meters = configuration.meters();
            int rate = Integer.parseInt(rates.split(",")[0].trim());
            say("[1/3] %,d rows past their retention written (outbox rows, processed events, sent notifications, 40 days old)", rows);
            long t = System.nanoTime();
            Map<String, Integer> written = RetentionRows.write(db, rows);
            say("      written in %.0f s: %s", (System.nanoTime() - t) / 1e9, written);
            r.put("rows", written);
            Path dbDir = settings.embeddedPostgres() ? settings.dataDir().resolve("pg")
                    : settings.isPostgres() ? null : settings.dataDir().resolve("db");
            try (ActiveMQConnectionFactory cf = new ActiveMQConnectionFactory("vm://0"); Connection connection = cf.createConnection()) {
                connection.start();
                try (Session session = connection.createSession(true, Session.SESSION_TRANSACTED)) {
                    MessageProducer producer = session.createProducer(session.createQueue("orders.in"));
                    producer.setDeliveryMode(DeliveryMode.PERSISTENT);
                    warmUp(producer, session, db, "WARM-", "the flow", warmup);
                }
                say("[2/3] latency at %d orders/s for %d s without retention", rate, rateSeconds);
                double[] before = pacedLatencies(connection, db, meters, "RB-", rate, rateSeconds)[1];
                Map<String, Double> pb = Percentiles.of(before);
                say("      p50 %.1f ms, p99 %.1f ms, max %.1f ms", pb.get("p50"), pb.get("p99"), pb.get("max"));

                say("[3/3] the retention run, with orders at %d orders/s beside it", rate);
                Retention retention = main.getCamelContext().getRegistry().lookupByNameAndType("retention", Retention.class);
                long[] span = new long[3];
                Thread run = new Thread(() -> {
                    long start = System.nanoTime();
                    span[0] = Instant.now().toEpochMilli() * 1000;
                    retention.run();
                    span[1] = Instant.now().toEpochMilli() * 1000;
                    span[2] = System.nanoTime() - start;
                }, "bench-retention");
                // orders flow from a second before the run until it ends; those sent during it count
                List<double[][]> windows = new ArrayList<>();
                Thread flow = new Thread(() -> {
                    try {
                        int window = 0;
                        do {
                            windows.add(pacedLatencies(connection, db, meters, "RD" + window++ + "-", rate, 2));
                        } while (run.isAlive() || span[1] == 0);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, "bench-retention-flow");
                flow.start();
                Thread.sleep(1000);
                run.start();
                run.join();
                flow.join();
                List<Double> inRun = new ArrayList<>();
                for (double[][] w : windows) {
                    for (int i = 0; i < w[0].length; i++) {
                        if (w[0][i] >= span[0] && w[0][i] <= span[1]) {
                            inRun.add(w[1][i]);
                        }
                    }
                }
                double[] all = inRun.stream().mapToDouble(Double::doubleValue).toArray();
                long[] took = {span[2]};
                Map<String, Double> pd = Percentiles.of(all);
                long left = RetentionRows.left(db);
                double seconds = took[0] / 1e9;
                r.put("runSeconds", Percentiles.round(seconds));
                r.put("rowsDeletedPerSecond", Math.round(rows / seconds));
                r.put("rowsLeft", left);
                r.put("rate", rate);
                r.put("latencyWithoutMs", pb);
                r.put("latencyDuringMs", pd);
                r.put("ordersDuring", all.length);
                if (dbDir != null) {
                    // whether the space of the deleted rows is reused: the same rows again, and the size after
                    long afterRun = size(dbDir);
                    RetentionRows.write(db, rows);
                    long rewritten = size(dbDir);
                    retention.run();
                    r.put("databaseMbAfterFirstRun", afterRun / 1048576);
                    r.put("databaseMbAfterTheSameRowsAgain", rewritten / 1048576);
                    say("      the database: %,d MB after the run; %,d MB once the same rows are written again (space reused if about equal)",
                            afterRun / 1048576, rewritten / 1048576);
                }
                say("      %,d rows deleted in %.1f s (%,.0f rows/s, batches of %s), %d left; beside it %,d orders: p50 %.1f ms, "
                                + "p99 %.1f ms, max %.1f ms (without: p50 %.1f, p99 %.1f)", rows, seconds, rows / seconds,
                        settings.get("orderflow.retention.batch-size"), left, all.length, pd.get("p50"), pd.get("p99"), pd.get("max"),
                        pb.get("p50"), pb.get("p99"));
            }
        } finally {
            main.stop();
            Preflight.release();
        }
        return r;
    }

    /**
     * Sends orders paced at the rate for the seconds; returns each one's intended send time (epoch
     * micros) and its intended-send-to-notification time (ms).
     */
    private static double[][] pacedLatencies(Connection connection, Database db, MeterRegistry meters, String prefix, int rate, int seconds)
            throws Exception {
        int count = rate * seconds;
        long[] intended = new long[count];
        double[] sending = new double[count];
        double before = sent(meters);
        sendPaced(connection, prefix, rate, intended, sending);
        awaitNotified(meters, before, count, db, prefix + "%");
        Map<String, Long> sentAt = new HashMap<>();
        db.jdbc().query("SELECT order_id, sent_at FROM email_notification WHERE order_id LIKE ?",
                rs -> {
                    sentAt.put(rs.getString(1), micros(rs.getTimestamp(2)));
                }, prefix + "%");
        double[][] result = new double[2][count];
        for (int i = 0; i < count; i++) {
            result[0][i] = intended[i];
            result[1][i] = (sentAt.get(prefix + i) - intended[i]) / 1000.0;
        }
        return result;
    }
}
