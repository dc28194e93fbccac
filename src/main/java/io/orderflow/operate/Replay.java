package io.orderflow.operate;

import io.orderflow.broker.EventTopology;
import io.opentelemetry.api.trace.SpanKind;
import io.orderflow.infra.TraceContext;
import io.orderflow.outbox.EventHeaders;
import io.orderflow.trace.OrderTraces;
import io.orderflow.trace.StageSpans;
import io.orderflow.trace.Work;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.DeliveryMode;
import jakarta.jms.JMSException;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.api.core.ActiveMQException;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.api.core.client.ClientSession;
import org.apache.activemq.artemis.api.core.client.ClientSessionFactory;
import org.apache.activemq.artemis.api.core.client.ServerLocator;
import org.apache.activemq.artemis.core.filter.Filter;
import org.apache.activemq.artemis.core.filter.impl.FilterImpl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Replays committed events from the event history, the published rows every service keeps in its
 * outbox (for orderflow.retention.outbox), to one queue bound to orderflow.events or to every
 * subscriber. Replayed events keep their event ids, so orderflow's own consumers count them as
 * duplicates and change nothing; a new subscriber uses it to catch up on history. Each event goes
 * only where its queue's filter takes it, as the relay's publish would.
 */
final class Replay {

    private static final Logger LOG = LoggerFactory.getLogger(Replay.class);
    private static final int PAGE = 500;
    private static final String HISTORY = "SELECT event_id, event_type, order_id, payload, created_at, traceparent FROM (%s) h WHERE %s "
            + "ORDER BY created_at, event_id LIMIT " + PAGE;

    record Selection(String orderId, Instant since, Instant until, String eventType) {
        String describe() {
            return (orderId != null ? "orderId=" + orderId : "from " + since + " to " + until)
                    + (eventType != null ? " eventType=" + eventType : "");
        }
    }

    record Outcome(boolean dryRun, int events, Map<String, Integer> byType, Map<String, Integer> byQueue, String sentTo,
                   String historyKeptSince) {
    }

    /** @param traceparent the span that wrote the event, when traces were on: the replay's span becomes its child */
    private record Row(String eventId, String type, String orderId, String payload, Timestamp createdAt, String traceparent) {
    }

    private final JdbcTemplate jdbc;
    private final ConnectionFactory connections;
    private final ServerLocator locator;
    private final String user;
    private final String password;
    private final Optional<Duration> outboxRetention;

    Replay(JdbcTemplate jdbc, ConnectionFactory connections, ServerLocator locator, String user, String password,
           Optional<Duration> outboxRetention) {
        this.jdbc = jdbc;
        this.connections = connections;
        this.locator = locator;
        this.user = user;
        this.password = password;
        this.outboxRetention = outboxRetention;
    }

    /** @param queue a queue bound to orderflow.events, or null for every subscriber */
    Outcome run(Selection selection, String queue, boolean dryRun) throws Exception {
        Map<String, Filter> queues = subscribers(queue);
        Map<String, Integer> byType = new TreeMap<>();
        Map<String, Integer> byQueue = new TreeMap<>();
        queues.keySet().forEach(q -> byQueue.put(q, 0));
        int events = 0;
        Connection connection = null;
        try {
            Session session = null;
            MessageProducer producer = null;
            if (!dryRun) {
                connection = user.isEmpty() ? connections.createConnection() : connections.createConnection(user, password);
                session = connection.createSession(true, Session.SESSION_TRANSACTED);
                producer = session.createProducer(session.createTopic(queue == null ? EventTopology.EVENTS
                        : EventTopology.EVENTS + "::" + queue));
                producer.setDeliveryMode(DeliveryMode.PERSISTENT);
            }
            Row last = null;
            while (true) {
                List<Row> page = page(selection, last);
                List<Row> sent = new ArrayList<>(page.size());
                for (Row row : page) {
                    Map<String, String> properties = Map.of("eventType", row.type(), "orderId", row.orderId(), "eventId", row.eventId());
                    List<String> takers = queues.entrySet().stream().filter(q -> q.getValue() == null || q.getValue().match(properties))
                            .map(Map.Entry::getKey).toList();
                    if (!takers.isEmpty()) {
                        sent.add(row);
                        byType.merge(row.type(), 1, Integer::sum);
                        takers.forEach(q -> byQueue.merge(q, 1, Integer::sum));
                    }
                }
                if (!dryRun && !sent.isEmpty()) {
                    // each replayed event's span is the child of the span that wrote it: the replay shows in the order's trace
                    OrderTraces tracing = OrderTraces.current();
                    try (StageSpans spans = tracing.enabled() ? tracing.stage("replay publish", SpanKind.PRODUCER, sent.stream()
                            .map(r -> new Work(r.orderId(), r.eventId(), r.type(), r.traceparent())).toList()) : StageSpans.NONE) {
                        for (int i = 0; i < sent.size(); i++) {
                            Row row = sent.get(i);
                            spans.attribute(i, "orderflow.replay.to", queue == null ? "every subscriber" : queue);
                            TextMessage message = session.createTextMessage(row.payload());
                            EventHeaders.set(message, row.eventId(), row.type(), row.orderId(), row.payload());
                            message.setBooleanProperty("replayed", true);
                            String traceparent = spans.traceparent(i) != null ? spans.traceparent(i) : row.traceparent();
                            if (traceparent != null) {
                                message.setStringProperty(TraceContext.TRACEPARENT, traceparent);
                            }
                            // no duplicate-detection id: the broker would drop an event it relayed before
                            producer.send(message);
                            if ((events + i + 1) % PAGE == 0) {
                                session.commit();
                            }
                        }
                    }
                }
                events += sent.size();
                if (page.size() < PAGE) {
                    break;
                }
                last = page.get(page.size() - 1);
            }
            if (!dryRun) {
                session.commit();
            }
        } finally {
            if (connection != null) {
                connection.close();
            }
        }
        String to = queue == null ? EventTopology.EVENTS + " (every subscriber)" : EventTopology.EVENTS + "::" + queue;
        String keptSince = outboxRetention.map(r -> Instant.now().minus(r).toString()).orElse(null);
        if (!dryRun) {
            LOG.info("Replayed {} event(s) ({}) to {}: {}", events, selection.describe(), to, byQueue);
        }
        return new Outcome(dryRun, events, byType, byQueue, to, keptSince);
    }

    /** The next page of the three services' published events, oldest first. */
    private List<Row> page(Selection s, Row after) {
        List<String> union = new ArrayList<>();
        for (String service : new String[] {"order", "stock", "email"}) {
            union.add("SELECT event_id, event_type, order_id, payload, created_at, traceparent FROM " + service
                    + "_outbox WHERE published_at IS NOT NULL"
                    + (s.orderId() != null ? " AND order_id = ?" : " AND created_at >= ? AND created_at < ?")
                    + (s.eventType() != null ? " AND event_type = ?" : ""));
        }
        List<Object> args = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            if (s.orderId() != null) {
                args.add(s.orderId());
            } else {
                args.add(Timestamp.from(s.since()));
                args.add(Timestamp.from(s.until()));
            }
            if (s.eventType() != null) {
                args.add(s.eventType());
            }
        }
        String where = "TRUE";
        if (after != null) {
            where = "(created_at > ? OR (created_at = ? AND event_id > ?))";
            args.add(after.createdAt());
            args.add(after.createdAt());
            args.add(after.eventId());
        }
        return jdbc.query(String.format(HISTORY, String.join(" UNION ALL ", union), where), (rs, i) -> new Row(rs.getString(1),
                rs.getString(2), rs.getString(3), rs.getString(4), rs.getTimestamp(5), rs.getString(6)), args.toArray());
    }

    /** The queues on orderflow.events, with their filters (null: takes everything), or the one named. */
    private Map<String, Filter> subscribers(String queue) throws Exception {
        Map<String, Filter> found = new LinkedHashMap<>();
        try (ClientSessionFactory factory = locator.createSessionFactory();
             ClientSession session = user.isEmpty() ? factory.createSession()
                     : factory.createSession(user, password, false, true, true, false, 0)) {
            List<SimpleString> names = session.addressQuery(SimpleString.of(EventTopology.EVENTS)).getQueueNames();
            for (SimpleString name : names) {
                if (queue == null || queue.equals(name.toString())) {
                    ClientSession.QueueQuery q = session.queueQuery(name);
                    found.put(name.toString(), filter(q.getFilterString()));
                }
            }
            if (queue != null && found.isEmpty()) {
                throw new BadRequestException("no queue '" + queue + "' is bound to " + EventTopology.EVENTS + " (its queues: "
                        + String.join(", ", names.stream().map(SimpleString::toString).sorted().toList()) + ")");
            }
        }
        return found;
    }

    private static Filter filter(SimpleString filterString) throws ActiveMQException {
        return filterString == null || filterString.isEmpty() ? null : FilterImpl.createFilter(filterString);
    }
}
