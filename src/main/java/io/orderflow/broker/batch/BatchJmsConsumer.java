package io.orderflow.broker.batch;

import io.orderflow.broker.Failover;
import io.orderflow.infra.Failures;
import jakarta.jms.Connection;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Session;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.support.DefaultConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Takes batches from a queue, each in one transacted JMS session.
 *
 * <p>A batch runs through the route as one exchange (body {@code List<Delivery>}, header
 * {@value #BATCH_SIZE}). If the route succeeds the session commits: the receive and anything the
 * route sent through {@code jms-batch:} commit together, after the route's own database commit.
 * If a batch of several fails, each of its messages runs through the route again, alone, in the same session,
 * with the headers a single JMS message has (JMSMessageID, JMSDestination, JMSXDeliveryCount and its
 * properties), so the route's error handling treats it as one message: rejected or parked at once
 * for bad input, retried in place for an outage. If every one succeeds or is handled, the session
 * commits; if one still fails, it rolls back, and the broker redelivers the batch with each
 * message's delivery count raised (the messages already applied come back as duplicates, which the
 * consumers skip).
 *
 * <p>A crash anywhere leaves the messages unacknowledged: the broker redelivers them.
 */
final class BatchJmsConsumer extends DefaultConsumer {

    static final String BATCH_SIZE = "batchSize";
    /** Exchange property: the session of the batch, which {@link BatchJmsProducer} sends in. */
    static final String SESSION = "orderflow.jms-batch.session";

    private static final Logger LOG = LoggerFactory.getLogger(BatchJmsConsumer.class);

    private final BatchJmsEndpoint endpoint;
    private ExecutorService executor;
    private volatile boolean running;
    /** The poll threads' connections, closed by a stop that cannot wait for them. */
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    /** Those whose thread waits for a message, with no batch in hand. */
    private final Set<Connection> waiting = ConcurrentHashMap.newKeySet();

    BatchJmsConsumer(BatchJmsEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        this.endpoint = endpoint;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        running = true;
        executor = getEndpoint().getCamelContext().getExecutorServiceManager()
                .newFixedThreadPool(this, "jms-batch[" + endpoint.getQueue() + "]", endpoint.getConsumers());
        for (int i = 0; i < endpoint.getConsumers(); i++) {
            executor.execute(this::poll);
        }
    }

    /**
     * Lets a batch in progress finish for a few seconds, never longer: a stop is bounded. A receive
     * whose broker is gone waits for a failover that may never come, and a batch can wait on a
     * database that is down; closing their connections ends those waits, and their transactions roll
     * back (the broker delivers the messages again).
     */
    @Override
    protected void doStop() throws Exception {
        running = false;
        if (executor != null) {
            executor.shutdown();
            waiting.forEach(BatchJmsConsumer::closeQuietly);
            try {
                if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                    LOG.info("Closing the sessions of {} to stop: their batches are left to the broker", endpoint.getQueue());
                    connections.forEach(BatchJmsConsumer::closeQuietly);
                    if (!executor.awaitTermination(3, TimeUnit.SECONDS)) {
                        executor.shutdownNow();
                    }
                }
            } catch (InterruptedException e) {
                // Camel's shutdown ran out of time: end everything now
                connections.forEach(BatchJmsConsumer::closeQuietly);
                executor.shutdownNow();
                Thread.currentThread().interrupt();
            }
            getEndpoint().getCamelContext().getExecutorServiceManager().shutdown(executor);
            executor = null;
        }
        super.doStop();
    }

    /**
     * A lost session is opened again after 250 ms, then at growing intervals of at most
     * {@value #MAX_RECONNECT_MS} ms: a broker pair's failover or failback leaves no broker up for a
     * second or three, and a longer interval (it was up to 10 s) would keep the consumer away well
     * after one is back. One WARN line per
     * {@value #WARN_INTERVAL_MS} ms while it lasts, one INFO line when the session is back.
     */
    static final long MAX_RECONNECT_MS = 2_000;
    private static final long WARN_INTERVAL_MS = 10_000;

    private void poll() {
        long backoff = 0;
        int failures = 0;
        long warnedAt = 0;
        while (running && isRunAllowed()) {
            try (Connection connection = endpoint.getComponent().connect()) {
                connections.add(connection);
                try {
                    Session session = connection.createSession(true, Session.SESSION_TRANSACTED);
                    MessageConsumer consumer = session.createConsumer(session.createQueue(endpoint.getQueue()));
                    connection.start();
                    if (failures > 0) {
                        LOG.info("Consumer of {} has its broker session again, after {} attempt(s)", endpoint.getQueue(), failures);
                    }
                    backoff = 0;
                    failures = 0;
                    warnedAt = 0;
                    while (running && isRunAllowed()) {
                        waiting.add(connection);
                        List<Message> batch = take(consumer);
                        waiting.remove(connection);
                        if (!batch.isEmpty()) {
                            process(session, batch);
                        }
                    }
                } finally {
                    waiting.remove(connection);
                    connections.remove(connection);
                }
            } catch (JMSException | RuntimeException e) {
                if (!running) {
                    return;
                }
                backoff = Math.min(MAX_RECONNECT_MS, backoff == 0 ? 250 : backoff * 2);
                failures++;
                long now = System.currentTimeMillis();
                if (now - warnedAt >= WARN_INTERVAL_MS) {
                    warnedAt = now;
                    LOG.warn("Consumer of {} lost its broker session ({}); reconnecting, every {} ms at most ({} attempt(s) so far)",
                            endpoint.getQueue(), Failures.reason(e), MAX_RECONNECT_MS, failures);
                } else {
                    LOG.debug("Consumer of {} could not reconnect ({}); next attempt in {} ms", endpoint.getQueue(), Failures.reason(e), backoff);
                }
                pause(backoff);
            }
        }
    }

    /**
     * Waits for a first message, then takes what is already there, or what arrives within
     * gatherMs of the first, up to maxBatch.
     */
    private List<Message> take(MessageConsumer consumer) throws JMSException {
        List<Message> batch = new ArrayList<>();
        Message first = consumer.receive(endpoint.getReceiveTimeoutMs());
        if (first == null) {
            return batch;
        }
        batch.add(first);
        long gatherUntil = System.nanoTime() + endpoint.getGatherMs() * 1_000_000L;
        while (batch.size() < endpoint.getMaxBatch() && running) {
            // at least 1 ms: receiveNoWait() would ask the broker in a round trip whenever the
            // buffer is empty, which at a trickle is after every message
            long wait = Math.max(1, (gatherUntil - System.nanoTime()) / 1_000_000L);
            Message next = consumer.receive(wait);
            if (next == null) {
                break;
            }
            batch.add(next);
        }
        return batch;
    }

    private void process(Session session, List<Message> messages) throws JMSException {
        List<Delivery> batch = new ArrayList<>(messages.size());
        for (Message m : messages) {
            batch.add(Delivery.of(m));
        }
        if (run(session, batch)) {
            commit(session, batch.size());
            return;
        }
        if (!running || batch.size() == 1) {
            // stopping: leave the batch to the broker; a lone message that failed has had its
            // run alone: the broker delivers it again, after its redelivery delay
            session.rollback();
            return;
        }
        // the batch failed: once more, one message per exchange, so only the culprit is rejected or parked
        boolean allDone = true;
        for (Delivery one : batch) {
            if (!run(session, List.of(one))) {
                allDone = false;
            }
        }
        if (allDone) {
            commit(session, batch.size());
        } else {
            session.rollback();
        }
    }

    /**
     * Commits the session. A commit that a broker failover rolled back leaves the session on the
     * backup, usable after a rollback: the broker delivers the batch again (what the route already
     * applied comes back as duplicates) and this thread goes on receiving, with no reconnect and no
     * backoff.
     */
    private void commit(Session session, int size) throws JMSException {
        try {
            session.commit();
        } catch (JMSException e) {
            if (!Failover.rolledBack(e)) {
                throw e;
            }
            session.rollback();
            LOG.info("A batch of {} from {} was rolled back by a broker failover ({}); the broker delivers it again",
                    size, endpoint.getQueue(), Failures.reason(e));
        }
    }

    /** Runs the route on the messages; true if it succeeded or handled its failure. */
    private boolean run(Session session, List<Delivery> batch) {
        Exchange exchange = createExchange(false);
        try {
            exchange.setProperty(SESSION, session);
            exchange.getIn().setBody(batch);
            exchange.getIn().setHeader(BATCH_SIZE, batch.size());
            if (batch.size() == 1) {
                copyHeaders(batch.get(0), exchange);
            }
            getProcessor().process(exchange);
            if (exchange.getException() != null) {
                if (batch.size() > 1) {
                    LOG.debug("Batch of {} from {} failed ({}); running its messages one by one", batch.size(), endpoint.getQueue(),
                            Failures.reason(exchange.getException()));
                } else {
                    getExceptionHandler().handleException("Message " + batch.get(0).messageId() + " from " + endpoint.getQueue()
                            + " failed; the broker will deliver it again", exchange, exchange.getException());
                }
                return false;
            }
            return true;
        } catch (Exception e) {
            getExceptionHandler().handleException("Processing a batch from " + endpoint.getQueue() + " failed", exchange, e);
            return false;
        } finally {
            releaseExchange(exchange, false);
        }
    }

    private void copyHeaders(Delivery delivery, Exchange exchange) {
        Message m = delivery.message();
        exchange.getIn().setHeader("JMSMessageID", delivery.messageId());
        exchange.getIn().setHeader("JMSDestination", endpoint.getQueue());
        exchange.getIn().setHeader("JMSXDeliveryCount", delivery.deliveryCount());
        try {
            for (Enumeration<?> names = m.getPropertyNames(); names.hasMoreElements(); ) {
                String name = (String) names.nextElement();
                if (!name.startsWith("_AMQ") && !name.equals("JMSXDeliveryCount")) {
                    exchange.getIn().setHeader(name, m.getObjectProperty(name));
                }
            }
        } catch (JMSException e) {
            LOG.debug("Could not read the properties of {}", delivery.messageId(), e);
        }
    }

    private static void closeQuietly(Connection connection) {
        try {
            connection.close();
        } catch (JMSException | RuntimeException e) {
            LOG.debug("Closing a connection to stop: {}", e.toString());
        }
    }

    private void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }
}
