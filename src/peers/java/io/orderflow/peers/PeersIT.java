package io.orderflow.peers;

import com.gruelbox.transactionoutbox.Dialect;
import com.gruelbox.transactionoutbox.Instantiator;
import com.gruelbox.transactionoutbox.Persistor;
import com.gruelbox.transactionoutbox.Submitter;
import com.gruelbox.transactionoutbox.ThreadLocalContextTransactionManager;
import com.gruelbox.transactionoutbox.TransactionManager;
import com.gruelbox.transactionoutbox.TransactionOutbox;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.orderflow.broker.EmbeddedBroker;
import io.orderflow.broker.EventTopology;
import io.orderflow.config.Settings;
import io.orderflow.db.Database;
import io.orderflow.outbox.Event;
import io.orderflow.outbox.EventJson;
import io.orderflow.outbox.Outbox;
import io.orderflow.outbox.StandaloneRelay;
import io.orderflow.support.TestPostgres;
import jakarta.jms.Connection;
import jakarta.jms.DeliveryMode;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import ch.qos.logback.classic.Level;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.LinkedHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * orderflow's relay side by side with gruelbox transaction-outbox, in one run: both on the same
 * PostgreSQL database and the same embedded Artemis, each moving the same number of committed
 * events to the address orderflow.events. Measured from outside both, by a consumer of that
 * address: events/s from the first commit until every event has arrived (writers commit 100 events
 * per transaction; the writer's own rate is printed beside it), and the lag from the start of a
 * one-event transaction to the event's arrival, paced at half the peer's own rate and at one rate
 * for both (half the slower peer's). gruelbox runs its invocations on an executor of four threads:
 * each event is one invocation in a transaction of its own (lock the row, send, delete the row),
 * with a persistent JMS send. Prints a table; asserts only that each peer delivered every event once.
 */
class PeersIT {

    private static final int EVENTS = Integer.getInteger("orderflow.peers.events", 20_000);
    private static final int LAG_EVENTS = Integer.getInteger("orderflow.peers.lag-events", 3_000);

    @TempDir
    Path dataDir;

    /** gruelbox's invocation target: one persistent send per event, a session per thread. */
    // not final: gruelbox records a call by subclassing the class it is scheduled on
    public static class ArtemisPublisher {
        private final ActiveMQConnectionFactory cf;
        private final ThreadLocal<Object[]> sessions = new ThreadLocal<>();
        private final List<Connection> connections = new ArrayList<>();

        public ArtemisPublisher(ActiveMQConnectionFactory cf) {
            this.cf = cf;
        }

        protected ArtemisPublisher() {
            this(null);
        }

        public void publish(String eventId, String eventType, String orderId, String payload) {
            try {
                send(eventId, eventType, orderId, payload);
            } catch (JMSException e) {
                // gruelbox retries a failed invocation
                throw new IllegalStateException(e);
            }
        }

        private void send(String eventId, String eventType, String orderId, String payload) throws JMSException {
            Object[] s = sessions.get();
            if (s == null) {
                Connection c = cf.createConnection();
                synchronized (connections) {
                    connections.add(c);
                }
                Session session = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
                MessageProducer producer = session.createProducer(session.createTopic("orderflow.events"));
                producer.setDeliveryMode(DeliveryMode.PERSISTENT);
                s = new Object[] {session, producer};
                sessions.set(s);
            }
            Session session = (Session) s[0];
            TextMessage m = session.createTextMessage(payload);
            m.setStringProperty("eventId", eventId);
            m.setStringProperty("eventType", eventType);
            m.setStringProperty("orderId", orderId);
            m.setStringProperty("_AMQ_DUPL_ID", eventId);
            ((MessageProducer) s[1]).send(m);
        }

        void close() throws JMSException {
            synchronized (connections) {
                for (Connection c : connections) {
                    c.close();
                }
            }
        }
    }

    /** Counts what arrives on the address, per event id, with when. */
    private static final class Arrivals implements AutoCloseable {
        final Map<String, Long> at = new ConcurrentHashMap<>();
        final Set<String> duplicates = ConcurrentHashMap.newKeySet();
        private final Connection connection;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        Arrivals(ActiveMQConnectionFactory cf) throws JMSException {
            connection = cf.createConnection();
            Session session = connection.createSession(false, Session.DUPS_OK_ACKNOWLEDGE);
            MessageConsumer consumer = session.createConsumer(session.createTopic("orderflow.events"));
            connection.start();
            thread = new Thread(() -> {
                while (running.get()) {
                    try {
                        Message m = consumer.receive(200);
                        if (m != null && at.putIfAbsent(m.getStringProperty("eventId"), System.nanoTime()) != null) {
                            duplicates.add(m.getStringProperty("eventId"));
                        }
                    } catch (JMSException e) {
                        return;
                    }
                }
            }, "peers-arrivals");
            thread.start();
        }

        void awaitAll(Set<String> ids) throws InterruptedException {
            long until = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            while (!at.keySet().containsAll(ids)) {
                if (System.nanoTime() > until) {
                    throw new AssertionError(ids.stream().filter(i -> !at.containsKey(i)).count() + " events never arrived");
                }
                Thread.sleep(5);
            }
        }

        @Override
        public void close() throws Exception {
            running.set(false);
            thread.join(5_000);
            connection.close();
        }
    }

    /** A peer: commits events (several per transaction, or one) and publishes them its own way. */
    private record Peer(String name, Consumer<List<Event>> committer, AutoCloseable resources) implements AutoCloseable {
        void commit(List<Event> events) {
            committer.accept(events);
        }

        @Override
        public void close() throws Exception {
            resources.close();
        }
    }

    @BeforeAll
    static void quiet() {
        // gruelbox logs two INFO lines per event; orderflow logs none: compare the relays, not the logging
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("com.gruelbox")).setLevel(Level.WARN);
    }

    @Test
    void should_move_the_same_committed_events_as_gruelbox_and_report_both() throws Exception {
        try (TestPostgres postgres = TestPostgres.create()) {
            Map<String, String> o = new HashMap<>();
            o.put("orderflow.data-dir", dataDir.toString());
            o.put("orderflow.db.url", postgres.url());
            o.put("orderflow.db.user", postgres.user());
            try (ServerSocket s = new ServerSocket(0)) {
                o.put("orderflow.broker.listen", "tcp://127.0.0.1:" + s.getLocalPort());
            }
            Settings settings = Settings.load(Map.of(), new Properties(), o);
            EmbeddedBroker broker = new EmbeddedBroker(settings);
            broker.start();
            try (Database db = Database.open(settings); ActiveMQConnectionFactory cf = new ActiveMQConnectionFactory("vm://0")) {
                db.migrate(1000);
                EventTopology.declare("vm://0", "", "");
                Map<String, Map<String, Object>> results = new LinkedHashMap<>();
                try (Arrivals arrivals = new Arrivals(cf)) {
                    // both peers on the same database and broker, one phase at a time
                    try (Peer ours = orderflow(db, cf); Peer theirs = gruelbox(db, cf)) {
                        List<Peer> peers = List.of(ours, theirs);
                        for (Peer p : peers) {
                            Map<String, Object> r = new LinkedHashMap<>();
                            warmUp(p, arrivals);
                            r.put("eventsPerSecond", Math.round(throughput(p, arrivals, r)));
                            results.put(p.name(), r);
                        }
                        // lag at half each peer's own rate, and at one rate for both (half the slower one's)
                        double common = results.values().stream().mapToLong(r -> (Long) r.get("eventsPerSecond")).min().orElseThrow() / 2.0;
                        for (Peer p : peers) {
                            Map<String, Object> r = results.get(p.name());
                            double own = (Long) r.get("eventsPerSecond") / 2.0;
                            r.put("lagRatePerSecond", Math.round(own));
                            r.put("lagMs", lag(p, arrivals, own, "O"));
                            r.put("commonRatePerSecond", Math.round(common));
                            r.put("commonLagMs", lag(p, arrivals, common, "C"));
                        }
                    }
                    assertThat(arrivals.duplicates).isEmpty();
                }
                System.out.println();
                System.out.printf("peers: %,d events, 100 per transaction; lag: %,d one-event transactions at a paced rate%n",
                        EVENTS, LAG_EVENTS);
                System.out.printf("%-10s %9s %17s | %-24s | %-24s%n", "relay", "events/s", "writer committed",
                        "lag p50 / p99, own rate", "lag p50 / p99, one rate");
                results.forEach((peer, r) -> {
                    @SuppressWarnings("unchecked")
                    Map<String, Double> lag = (Map<String, Double>) r.get("lagMs");
                    @SuppressWarnings("unchecked")
                    Map<String, Double> common = (Map<String, Double>) r.get("commonLagMs");
                    System.out.printf("%-10s %,9d %,17d | %5.1f / %5.1f ms at %,5d/s | %5.1f / %5.1f ms at %,5d/s%n", peer,
                            (Long) r.get("eventsPerSecond"), (Long) r.get("committedPerSecond"), lag.get("p50"), lag.get("p99"),
                            (Long) r.get("lagRatePerSecond"), common.get("p50"), common.get("p99"), (Long) r.get("commonRatePerSecond"));
                });
            } finally {
                broker.close();
            }
        }
    }

    private static Peer orderflow(Database db, ActiveMQConnectionFactory cf) throws Exception {
        Outbox outbox = new Outbox("order", db.jdbc(), db.dialect());
        StandaloneRelay relay = new StandaloneRelay(outbox, db.transactions(), cf, 200, 1000, new SimpleMeterRegistry()).start();
        return new Peer("orderflow", events -> db.transactions().inTransaction(() -> outbox.appendAll(events)), relay::close);
    }

    private static Peer gruelbox(Database db, ActiveMQConnectionFactory cf) {
        ArtemisPublisher publisher = new ArtemisPublisher(cf);
        ExecutorService executor = Executors.newFixedThreadPool(4);
        ThreadLocalContextTransactionManager tm = TransactionManager.fromDataSource(db.dataSource());
        TransactionOutbox outbox = TransactionOutbox.builder()
                .transactionManager(tm)
                .persistor(Persistor.forDialect(Dialect.POSTGRESQL_9))
                .instantiator(Instantiator.using(type -> publisher))
                // four threads and no bound on the queue: with its default (one thread, 16,384 queued)
                // the rest waits for a flush() after attemptFrequency (2 minutes)
                .submitter(Submitter.withExecutor(executor))
                .build();
        return new Peer("gruelbox", events -> tm.inTransaction(() -> {
            for (Event e : events) {
                outbox.schedule(ArtemisPublisher.class).publish(e.eventId(), e.type(), e.orderId(), EventJson.write(e));
            }
        }), () -> {
            executor.shutdown();
            executor.awaitTermination(10, TimeUnit.SECONDS);
            publisher.close();
        });
    }

    private static List<Event> events(String prefix, int from, int n) {
        List<Event> events = new ArrayList<>(n);
        for (int i = from; i < from + n; i++) {
            events.add(Event.create(Event.ORDER_PLACED, prefix + "-" + i, EventJson.MAPPER.createObjectNode().put("peers", true)));
        }
        return events;
    }

    private static void warmUp(Peer peer, Arrivals arrivals) throws InterruptedException {
        Set<String> ids = ConcurrentHashMap.newKeySet();
        for (int i = 0; i < 2_000; i += 100) {
            List<Event> batch = events(peer.name() + "-W", i, 100);
            batch.forEach(e -> ids.add(e.eventId()));
            peer.commit(batch);
        }
        arrivals.awaitAll(ids);
    }

    /** Events/s from the first commit until the last event arrived; the writer's own rate into {@code committed}. */
    private static double throughput(Peer peer, Arrivals arrivals, Map<String, Object> committed) throws InterruptedException {
        Set<String> ids = ConcurrentHashMap.newKeySet();
        List<List<Event>> batches = new ArrayList<>();
        for (int i = 0; i < EVENTS; i += 100) {
            List<Event> batch = events(peer.name() + "-T", i, 100);
            batch.forEach(e -> ids.add(e.eventId()));
            batches.add(batch);
        }
        long start = System.nanoTime();
        batches.forEach(peer::commit);
        committed.put("committedPerSecond", Math.round(EVENTS / ((System.nanoTime() - start) / 1e9)));
        arrivals.awaitAll(ids);
        long last = ids.stream().mapToLong(arrivals.at::get).max().orElseThrow();
        return EVENTS / ((last - start) / 1e9);
    }

    /** From the start of each one-event transaction to the event's arrival, paced at the rate. */
    private static Map<String, Double> lag(Peer peer, Arrivals arrivals, double rate, String run) throws InterruptedException {
        Map<String, Long> startedAt = new HashMap<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < LAG_EVENTS; i++) {
            long intended = t0 + (long) (i * 1e9 / rate);
            while (System.nanoTime() < intended) {
                Thread.onSpinWait();
            }
            List<Event> one = events(peer.name() + "-L" + run, i, 1);
            startedAt.put(one.get(0).eventId(), System.nanoTime());
            peer.commit(one);
        }
        arrivals.awaitAll(startedAt.keySet());
        List<Long> lags = new ArrayList<>();
        startedAt.forEach((id, at) -> lags.add(arrivals.at.get(id) - at));
        lags.sort(null);
        Map<String, Double> lag = new LinkedHashMap<>();
        lag.put("p50", lags.get((int) Math.floor(0.50 * (lags.size() - 1))) / 1e6);
        lag.put("p99", lags.get((int) Math.floor(0.99 * (lags.size() - 1))) / 1e6);
        return lag;
    }
}
