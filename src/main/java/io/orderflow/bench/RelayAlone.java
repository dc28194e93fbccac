package io.orderflow.bench;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.orderflow.broker.EmbeddedBroker;
import io.orderflow.broker.EventTopology;
import io.orderflow.config.Settings;
import io.orderflow.db.Database;
import io.orderflow.outbox.Event;
import io.orderflow.outbox.EventJson;
import io.orderflow.outbox.Outbox;
import io.orderflow.outbox.StandaloneRelay;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.orderflow.bench.Benchmark.say;
import static io.orderflow.bench.Benchmark.settings;
import static io.orderflow.bench.Benchmark.waitFor;

/**
 * The relay alone, on a database and broker of its own with no flow around it: events/s handed
 * over as writers commit them a hundred per transaction; the lag from commit to broker commit
 * (p50/p99, {@code orderflow_outbox_lag}) with one event per transaction at half that rate; and
 * events/s of the scan from a pre-filled outbox, as after a crash or for rows of another process.
 */
final class RelayAlone {

    private RelayAlone() {
    }

    static Map<String, Object> measure(BenchDatabases databases, Path work, int n, int phases) throws Exception {
        say("[4/%d] relay alone: %,d events, handed over as their transactions commit, then scanned from a pre-filled outbox", phases, n);
        Settings settings = settings(databases.fresh(work.resolve("relay")));
        Map<String, Object> r = new LinkedHashMap<>();
        try (Database db = Database.open(settings)) {
            db.migrate(1000);
            EmbeddedBroker broker = new EmbeddedBroker(settings);
            broker.start();
            try (ActiveMQConnectionFactory cf = new ActiveMQConnectionFactory("vm://0")) {
                EventTopology.declare("vm://0", "", "");
                int batch = settings.getInt("orderflow.outbox.batch-size");

                // handed over: writers commit events a hundred per transaction as fast as they can
                Outbox handedOutbox = new Outbox("order", db.jdbc(), db.dialect());
                MeterRegistry handedMeters = new SimpleMeterRegistry();
                StandaloneRelay handedRelay = new StandaloneRelay(handedOutbox, db.transactions(), cf, batch, 1000, handedMeters).start();
                Counter handedPublished = handedMeters.get("orderflow.events.published").counter();
                long start = System.nanoTime();
                fillOutbox(db, handedOutbox, "HANDED-", n, 100);
                double writeSeconds = (System.nanoTime() - start) / 1e9;
                waitFor(() -> handedPublished.count() >= n, "events published", () -> (long) handedPublished.count(), n);
                double handedRate = n / ((System.nanoTime() - start) / 1e9);
                r.put("handedOverEventsPerSecond", Math.round(handedRate));
                r.put("writtenEventsPerSecond", Math.round(n / writeSeconds));
                say("      handed over: %,.0f events/s published (the writers committed %,.0f events/s)", handedRate, n / writeSeconds);

                handedRelay.close();

                // lag from commit to broker commit at half that rate, one event per transaction, on a relay of its own
                Outbox lagOutbox = new Outbox("email", db.jdbc(), db.dialect());
                MeterRegistry lagMeters = new SimpleMeterRegistry();
                StandaloneRelay lagRelay = new StandaloneRelay(lagOutbox, db.transactions(), cf, batch, 1000, lagMeters).start();
                Counter lagPublished = lagMeters.get("orderflow.events.published").counter();
                double rate = handedRate / 2;
                int count = (int) Math.min(rate * 5, 20_000);
                long t0 = System.nanoTime();
                for (int i = 0; i < count; i++) {
                    EndToEnd.awaitIntendedTime(t0, i, rate);
                    int k = i;
                    db.transactions().inTransaction(() -> lagOutbox.append(
                            Event.create(Event.ORDER_PLACED, "LAG-" + k, EventJson.MAPPER.createObjectNode().put("bench", true))));
                }
                double achieved = count / ((System.nanoTime() - t0) / 1e9);
                waitFor(() -> lagPublished.count() >= count, "events published", () -> (long) lagPublished.count(), count);
                lagRelay.close();
                var snapshot = lagMeters.get("orderflow.outbox.lag").timer().takeSnapshot();
                Map<String, Double> lag = new LinkedHashMap<>();
                for (var p : snapshot.percentileValues()) {
                    lag.put(p.percentile() == 0.5 ? "p50" : "p99", Percentiles.round(p.value(TimeUnit.MILLISECONDS)));
                }
                r.put("lagAtHalfRateMs", lag);
                r.put("lagRatePerSecond", Math.round(achieved));
                say("      lag commit -> broker commit at %,.0f events/s (one per transaction; %,.0f asked): p50 %.1f ms, p99 %.1f ms",
                        achieved, rate, lag.get("p50"), lag.get("p99"));

                // scanned: a pre-filled outbox, as after a crash or for rows of another process
                Outbox scannedOutbox = new Outbox("stock", db.jdbc(), db.dialect());
                fillOutbox(db, scannedOutbox, "SCANNED-", n, 1000);
                MeterRegistry scanMeters = new SimpleMeterRegistry();
                StandaloneRelay scanRelay = new StandaloneRelay(scannedOutbox, db.transactions(), cf, batch, 1000, scanMeters);
                Counter scanned = scanMeters.get("orderflow.events.published").counter();
                long scanStart = System.nanoTime();
                scanRelay.start();
                waitFor(() -> scanned.count() >= n, "events published", () -> (long) scanned.count(), n);
                double scanRate = n / ((System.nanoTime() - scanStart) / 1e9);
                scanRelay.close();
                r.put("scannedEventsPerSecond", Math.round(scanRate));
                r.put("eventsPerSecond", Math.round(handedRate));
                say("      scanned: %,.0f events/s", scanRate);
            } finally {
                broker.close();
            }
        }
        return r;
    }

    /** Commits n events to the outbox, perTransaction at a time, from the calling thread. */
    private static void fillOutbox(Database db, Outbox outbox, String prefix, int n, int perTransaction) {
        for (int done = 0; done < n; done += perTransaction) {
            int from = done;
            int size = Math.min(perTransaction, n - done);
            db.transactions().inTransaction(() -> {
                List<Event> events = new ArrayList<>(size);
                for (int i = 0; i < size; i++) {
                    events.add(Event.create(Event.ORDER_PLACED, prefix + (from + i), EventJson.MAPPER.createObjectNode().put("bench", true)));
                }
                outbox.appendAll(events);
            });
        }
    }
}
