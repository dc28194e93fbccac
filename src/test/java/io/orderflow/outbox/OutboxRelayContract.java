package io.orderflow.outbox;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.orderflow.broker.EmbeddedBroker;
import io.orderflow.broker.EventTopology;
import io.orderflow.config.Settings;
import io.orderflow.db.Database;
import jakarta.jms.Connection;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The outbox relay against a real broker and database; run per database by a small subclass. */
abstract class OutboxRelayContract {

    @TempDir
    Path dataDir;

    protected Database db;
    private EmbeddedBroker broker;
    private ActiveMQConnectionFactory cf;
    private Outbox outbox;
    private StandaloneRelay standalone;
    private OutboxRelay relay;

    protected abstract Map<String, String> databaseSettings();

    @BeforeEach
    void start() throws Exception {
        Map<String, String> o = new HashMap<>(databaseSettings());
        o.put("orderflow.data-dir", dataDir.toString());
        try (ServerSocket s = new ServerSocket(0)) {
            o.put("orderflow.broker.listen", "tcp://127.0.0.1:" + s.getLocalPort());
        }
        Settings settings = Settings.load(Map.of(), new Properties(), o);
        db = Database.open(settings);
        db.migrate(100);
        broker = new EmbeddedBroker(settings);
        broker.start();
        EventTopology.declare("vm://0", "", "");
        cf = new ActiveMQConnectionFactory("vm://0");
        outbox = new Outbox("order", db.jdbc(), db.dialect());
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        standalone = new StandaloneRelay(outbox, db.transactions(), cf, 50, 200, meters);
        relay = standalone.relay();
    }

    @AfterEach
    void stop() throws Exception {
        standalone.close();
        cf.close();
        broker.close();
        db.close();
    }

    private Event placed(String orderId, int seq) {
        ObjectNode data = EventJson.MAPPER.createObjectNode();
        data.put("seq", seq);
        return Event.create(Event.ORDER_PLACED, orderId, data);
    }

    @Test
    void should_publish_a_batch_holding_an_event_the_broker_already_has_without_jamming() throws Exception {
        List<Event> events = List.of(placed("R-1", 1), placed("R-2", 1), placed("R-3", 1));
        db.transactions().inTransaction(() -> events.forEach(outbox::append));
        // as if the process died after the broker took event 2 and before its row was marked published
        try (Connection c = cf.createConnection(); Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE)) {
            MessageProducer p = s.createProducer(s.createTopic(EventPublisher.ADDRESS));
            TextMessage m = s.createTextMessage(EventJson.write(events.get(1)));
            m.setStringProperty("eventType", Event.ORDER_PLACED);
            m.setStringProperty("eventId", events.get(1).eventId());
            m.setStringProperty(EventPublisher.DUPLICATE_ID, events.get(1).eventId());
            p.send(m);
        }

        assertThat(relay.relayBatch()).isEqualTo(3);
        assertThat(relay.relayBatch()).isZero();
        assertThat(db.jdbc().queryForObject("SELECT COUNT(*) FROM order_outbox WHERE published_at IS NULL", Integer.class)).isZero();
        List<String> received = receiveAll(3);
        assertThat(received).containsExactlyInAnyOrder(events.get(0).eventId(), events.get(1).eventId(), events.get(2).eventId());
    }

    @Test
    void should_publish_batches_the_broker_had_whole_or_in_part_each_event_once_and_in_order() throws Exception {
        // a whole batch the broker stored before (a commit whose answer a failover cut), then one it
        // has every other event of (sent before a crash, with more events since)
        List<Event> whole = new ArrayList<>();
        List<Event> part = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            whole.add(placed("W-" + i, 1));
            part.add(placed("P-" + i, 1));
        }
        db.transactions().inTransaction(() -> whole.forEach(outbox::append));
        db.transactions().inTransaction(() -> part.forEach(outbox::append));
        List<Event> before = new ArrayList<>(whole);
        for (int i = 0; i < part.size(); i += 2) {
            before.add(part.get(i));
        }
        try (Connection c = cf.createConnection(); Session s = c.createSession(true, Session.SESSION_TRANSACTED)) {
            MessageProducer p = s.createProducer(s.createTopic(EventPublisher.ADDRESS));
            for (Event e : before) {
                String payload = EventJson.write(e);
                TextMessage m = s.createTextMessage(payload);
                EventHeaders.set(m, e.eventId(), e.type(), e.orderId(), payload);
                m.setStringProperty(EventPublisher.DUPLICATE_ID, e.eventId());
                p.send(m);
            }
            s.commit();
        }

        assertThat(relay.relayBatch()).isEqualTo(50);
        assertThat(relay.relayBatch()).isEqualTo(50);
        assertThat(relay.relayBatch()).isZero();

        List<String> received = receiveAll(100);
        List<String> sentBefore = before.stream().map(Event::eventId).toList();
        assertThat(received.subList(0, sentBefore.size())).as("what the broker had").isEqualTo(sentBefore);
        assertThat(received.subList(sentBefore.size(), received.size())).as("the rest, each once, in the outbox's order")
                .isEqualTo(part.stream().filter(e -> !before.contains(e)).map(Event::eventId).toList());
    }

    @Test
    void should_skip_no_row_when_concurrent_writers_commit_out_of_id_order() throws Exception {
        standalone.start();
        int writers = 6;
        int perWriter = 40;
        Random random = new Random(42);
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        List<Future<List<String>>> written = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            String orderId = "W-" + w;
            long seed = random.nextLong();
            written.add(pool.submit(() -> {
                Random r = new Random(seed);
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < perWriter; i++) {
                    Event e = placed(orderId, i);
                    // the id is taken at the insert; holding the transaction open a little lets later
                    // ids of other writers commit first
                    db.transactions().inTransaction(() -> {
                        outbox.append(e);
                        pause(r.nextInt(15));
                    });
                    ids.add(e.eventId());
                }
                return ids;
            }));
        }
        Set<String> expected = new HashSet<>();
        for (Future<List<String>> f : written) {
            expected.addAll(f.get());
        }
        pool.shutdown();
        await().atMost(Duration.ofSeconds(60)).until(() ->
                db.jdbc().queryForObject("SELECT COUNT(*) FROM order_outbox WHERE published_at IS NULL", Integer.class) == 0);

        Map<String, Integer> lastSeq = new HashMap<>();
        List<String> received = new ArrayList<>();
        try (Connection c = cf.createConnection(); Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE)) {
            c.start();
            MessageConsumer consumer = s.createConsumer(s.createQueue("orderflow.events::orderflow.events.stock"));
            for (int i = 0; i < writers * perWriter; i++) {
                Message m = consumer.receive(10_000);
                assertThat(m).as("message " + i).isNotNull();
                Event e = EventJson.read(((TextMessage) m).getText());
                received.add(e.eventId());
                int seq = e.data().get("seq").asInt();
                Integer previous = lastSeq.put(e.orderId(), seq);
                assertThat(previous == null ? -1 : previous).as("events of " + e.orderId() + " in order").isLessThan(seq);
            }
            assertThat(consumer.receive(500)).as("nothing more").isNull();
        }
        assertThat(received).hasSize(expected.size()).doesNotHaveDuplicates();
        assertThat(new HashSet<>(received)).isEqualTo(expected);
    }

    private List<String> receiveAll(int n) throws Exception {
        List<String> ids = new ArrayList<>();
        try (Connection c = cf.createConnection(); Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE)) {
            c.start();
            MessageConsumer consumer = s.createConsumer(s.createQueue("orderflow.events::orderflow.events.stock"));
            for (int i = 0; i < n; i++) {
                Message m = consumer.receive(10_000);
                assertThat(m).isNotNull();
                ids.add(m.getStringProperty("eventId"));
            }
            assertThat(consumer.receive(500)).as("no duplicate delivered").isNull();
        }
        return ids;
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
