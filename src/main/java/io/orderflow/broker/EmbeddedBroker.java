package io.orderflow.broker;

import io.orderflow.config.Settings;
import io.orderflow.config.SettingsException;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.api.core.TransportConfiguration;
import org.apache.activemq.artemis.core.remoting.impl.netty.NettyAcceptorFactory;
import org.apache.activemq.artemis.core.remoting.impl.netty.TransportConstants;
import org.apache.activemq.artemis.core.config.Configuration;
import org.apache.activemq.artemis.core.config.DivertConfiguration;
import org.apache.activemq.artemis.core.config.TransformerConfiguration;
import org.apache.activemq.artemis.core.config.impl.ConfigurationImpl;
import org.apache.activemq.artemis.core.server.ActiveMQServer;
import org.apache.activemq.artemis.core.server.ComponentConfigurationRoutingType;
import org.apache.activemq.artemis.core.server.JournalType;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.apache.activemq.artemis.core.settings.impl.AddressSettings;
import org.apache.activemq.artemis.spi.core.security.ActiveMQJAASSecurityManager;
import org.apache.activemq.artemis.spi.core.security.jaas.InVMLoginModule;
import org.apache.activemq.artemis.core.config.impl.SecurityConfiguration;
import org.apache.activemq.artemis.core.security.Role;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The Artemis broker inside the orderflow process: persistent journal under the data dir, synced
 * on every commit; an in-VM acceptor for orderflow itself and a TCP acceptor (CORE, OpenWire, AMQP
 * 1.0 and STOMP, TLS with a keystore) on orderflow.broker.listen.
 */
public final class EmbeddedBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedBroker.class);
    public static final String DEAD_LETTER = "orderflow.dead-letter";
    public static final String EXPIRED = "orderflow.expired";
    static final int JOURNAL_BUFFER_TIMEOUT_NS = 500_000;
    static final int ID_CACHE_SIZE = 100_000;

    private final Settings settings;
    private final Path dir;
    private final long roomToRestart;
    private final Object lifecycle = new Object();
    private volatile EmbeddedActiveMQ broker;
    private volatile String stoppedBecause;
    private volatile boolean closed;
    private final Semaphore failures = new Semaphore(0);
    private Thread restarter;

    public EmbeddedBroker(Settings settings) {
        this.settings = settings;
        this.dir = settings.dataDir().resolve("broker");
        this.roomToRestart = settings.getLong("orderflow.disk.min-free-mb") * 1024 * 1024;
        this.broker = create(); // a bad setting fails here, before anything starts
    }

    /** A broker on the journal under the data folder; a new one for every start (see {@link #restartWhenThereIsRoom}). */
    private EmbeddedActiveMQ create() {
        EmbeddedActiveMQ broker = new EmbeddedActiveMQ();
        URI listen = settings.brokerListen();
        Configuration config = new ConfigurationImpl();
        config.setName("orderflow");
        config.setPersistenceEnabled(true);
        config.setJournalType(JournalType.NIO);
        config.setJournalSyncTransactional(true);
        config.setJournalSyncNonTransactional(true);
        // Every commit still waits for its sync; this is only how long the journal gathers other
        // commits into the same sync. The NIO default (3.3 ms) caps one stream of commits at about
        // 300 a second, and orderflow commits one transaction per consumed message.
        config.setJournalBufferTimeout_NIO(JOURNAL_BUFFER_TIMEOUT_NS);
        config.setJournalDirectory(dir.resolve("journal").toString());
        config.setBindingsDirectory(dir.resolve("bindings").toString());
        config.setPagingDirectory(dir.resolve("paging").toString());
        config.setLargeMessagesDirectory(dir.resolve("large-messages").toString());
        config.setNodeManagerLockDirectory(dir.resolve("lock").toString());
        config.setJMXManagementEnabled(false);
        // orderflow stops taking input at orderflow.disk.min-free-mb; the broker blocks its
        // producers (the relays, which wait and retry) at half of it, before its journal could
        // fail on a full disk
        config.setMinDiskFree(settings.getLong("orderflow.disk.min-free-mb") * 1024 * 1024 / 2);
        config.setMaxDiskUsage(100);
        config.setDiskScanPeriod(1000);
        // the relays' duplicate detection must remember every event published but not yet marked
        // published (a few thousand at most) and more: 100,000 ids per address, about 10 MB
        config.setIDCacheSize(ID_CACHE_SIZE);
        // messages held in memory before the rest of a backlog is paged to disk; the broker shares
        // the JVM's heap with the flow (Artemis's default would be half of it)
        config.setGlobalMaxSize(settings.getLong("orderflow.broker.memory-mb") * 1024 * 1024);
        config.setGracefulShutdownEnabled(true);
        config.setGracefulShutdownTimeout(10_000);
        try {
            config.addAcceptorConfiguration("in-vm", "vm://0");
        } catch (Exception e) {
            throw new SettingsException("orderflow.broker.listen: " + e.getMessage());
        }
        config.addAcceptorConfiguration(new TransportConfiguration(NettyAcceptorFactory.class.getName(), tcpAcceptor(settings), "tcp"));
        config.getIncomingInterceptorClassNames().add(MqttRefusal.class.getName());
        String user = settings.get("orderflow.broker.user");
        if (user.isEmpty()) {
            config.setSecurityEnabled(false);
        } else {
            config.setSecurityEnabled(true);
            SecurityConfiguration security = new SecurityConfiguration();
            security.addUser(user, settings.get("orderflow.broker.password"));
            security.addRole(user, "orderflow");
            security.setDefaultUser(null);
            broker.setSecurityManager(new ActiveMQJAASSecurityManager(InVMLoginModule.class.getName(), security));
            config.putSecurityRoles("#", Set.of(new Role("orderflow", true, true, true, true, true, true, true, true, true, true, true, true)));
        }
        long redeliveryDelay = settings.getLong("orderflow.retry.initial-delay-ms");
        config.addAddressSetting("#", new AddressSettings()
                // without a dead-letter address Artemis deletes a message after its last attempt
                .setDeadLetterAddress(SimpleString.of(DEAD_LETTER))
                .setExpiryAddress(SimpleString.of(EXPIRED))
                .setMaxDeliveryAttempts(settings.getInt("orderflow.broker.max-delivery-attempts"))
                // the default delay of 0 is a redelivery storm
                .setRedeliveryDelay(redeliveryDelay)
                .setRedeliveryMultiplier(2.0)
                .setMaxRedeliveryDelay(settings.getLong("orderflow.retry.max-delay-ms")));
        config.addDivertConfiguration(oversizedOrders(settings.getLong("orderflow.orders.max-file-size")));
        broker.setConfiguration(config);
        return broker;
    }

    /**
     * The acceptor on orderflow.broker.listen: one port for CORE, OpenWire, AMQP 1.0 and STOMP, so
     * that clients in any language reach orderflow with the library they have; with a keystore,
     * TLS for all of them, and client certificates when asked for.
     */
    static Map<String, Object> tcpAcceptor(Settings settings) {
        URI listen = settings.brokerListen();
        Map<String, Object> params = new java.util.HashMap<>();
        params.put(TransportConstants.HOST_PROP_NAME, listen.getHost());
        params.put(TransportConstants.PORT_PROP_NAME, listen.getPort());
        // MQTT only to refuse it with a reason (MqttRefusal)
        params.put(TransportConstants.PROTOCOLS_PROP_NAME, "CORE,OPENWIRE,AMQP,STOMP,MQTT");
        String keystore = settings.get("orderflow.broker.tls.keystore");
        if (keystore.isEmpty()) {
            if (!Settings.isLoopback(listen.getHost())) {
                LOG.warn("orderflow.broker.listen {} is beyond loopback without TLS: clients' credentials and orders cross "
                        + "the network in the clear; set orderflow.broker.tls.keystore", listen);
            }
            return params;
        }
        params.put(TransportConstants.SSL_ENABLED_PROP_NAME, true);
        params.put(TransportConstants.KEYSTORE_PATH_PROP_NAME, keystore);
        params.put(TransportConstants.KEYSTORE_PASSWORD_PROP_NAME, settings.get("orderflow.broker.tls.keystore-password"));
        String truststore = settings.get("orderflow.broker.tls.truststore");
        if (!truststore.isEmpty()) {
            params.put(TransportConstants.TRUSTSTORE_PATH_PROP_NAME, truststore);
            params.put(TransportConstants.TRUSTSTORE_PASSWORD_PROP_NAME, settings.get("orderflow.broker.tls.truststore-password"));
        }
        switch (settings.get("orderflow.broker.tls.client-certificates")) {
            case "required" -> params.put(TransportConstants.NEED_CLIENT_AUTH_PROP_NAME, true);
            case "wanted" -> params.put(TransportConstants.WANT_CLIENT_AUTH_PROP_NAME, true);
            default -> { }
        }
        return params;
    }

    /**
     * Order messages far over the size limit go straight to orders.in.rejected, unread: Artemis knows
     * a message's size before its body is read (AMQSize; _AMQ_LARGE_SIZE for a large message's body),
     * while a JMS client reads a text message's whole body as it receives it. The broker stores text
     * as two bytes a character, so the threshold is twice the limit plus room for headers; an order
     * between the limit and that threshold reaches the consumer, which rejects it on its size.
     */
    static DivertConfiguration oversizedOrders(long limit) {
        long threshold = OversizedOrderMessages.threshold(limit);
        return new DivertConfiguration().setName("orders.in.oversized").setAddress(EventTopology.ORDERS_IN)
                .setForwardingAddress(EventTopology.ORDERS_REJECTED).setExclusive(true)
                .setFilterString("AMQSize > " + threshold + " OR _AMQ_LARGE_SIZE > " + threshold)
                .setRoutingType(ComponentConfigurationRoutingType.ANYCAST)
                .setTransformerConfiguration(new TransformerConfiguration(OversizedOrderMessages.class.getName())
                        .setProperties(Map.of(OversizedOrderMessages.LIMIT, String.valueOf(limit))));
    }

    public void start() {
        synchronized (lifecycle) {
            EmbeddedActiveMQ first = broker;
            try {
                startOnItsJournal(first);
            } catch (SettingsException e) {
                stopQuietly(first);
                throw e;
            } catch (Exception e) {
                stopQuietly(first);
                throw new IllegalStateException("the embedded broker could not start: " + e.getMessage(), e);
            }
        }
        restarter = new Thread(this::restartAfterFailures, "orderflow-broker-restarter");
        restarter.setDaemon(true);
        restarter.start();
    }

    /** Starts the broker with a listener for its critical I/O errors, and waits for it to take clients. */
    private void startOnItsJournal(EmbeddedActiveMQ b) throws Exception {
        b.createActiveMQServer();
        b.getActiveMQServer().registerIOCriticalErrorListener((cause, message, file) -> stoppedOnIoError(b, cause, message, file));
        b.start();
        // a TCP port in use does not fail start(): the server just never activates
        if (!b.getActiveMQServer().waitForActivation(30, TimeUnit.SECONDS)) {
            throw new SettingsException("the embedded broker could not start; is orderflow.broker.listen's port in use?");
        }
    }

    /**
     * Artemis stops itself, for good, after a journal or paging write fails (a full disk): it has
     * no setting to carry on. The journal holds everything committed up to the failed write, so a
     * new broker on the same journal takes over where this one stopped; every client reconnects.
     */
    private void stoppedOnIoError(EmbeddedActiveMQ failed, Throwable cause, String message, String file) {
        if (closed || failed != broker) {
            return;
        }
        cutClientsOff(failed.getActiveMQServer());
        stoppedBecause = "the embedded broker stopped after a failed write to its journal (" + reason(cause, message)
                + "); it starts again by itself once the disk has " + roomToRestart / (1024 * 1024) + " MB free";
        LOG.warn("The embedded broker stopped after a failed write to {}: {}. It starts again on the same journal once {} has {} MB free",
                file == null ? dir : file, reason(cause, message), dir, roomToRestart / (1024 * 1024));
        failures.release();
    }

    /**
     * After its first failed write Artemis goes on answering commits whose page writes fail too
     * (it logs them and carries on), and its stop would wait up to the graceful shutdown timeout
     * for clients to leave: every message a client sends meanwhile is confirmed, then lost. This
     * runs on the writing thread, before that write's commit is confirmed: no client gets another
     * answer from this broker, and whatever it sent since is sent again once it has reconnected.
     */
    private static void cutClientsOff(ActiveMQServer server) {
        try {
            server.getConfiguration().setGracefulShutdownEnabled(false);
            server.getRemotingService().pauseAcceptors();
            server.getRemotingService().freeze(null, null);
        } catch (RuntimeException e) {
            LOG.debug("Could not cut the clients off the failed broker", e);
        }
    }

    private static String reason(Throwable cause, String message) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains("No space left")) {
                return "No space left on device";
            }
        }
        return cause != null && cause.getMessage() != null ? cause.getMessage() : String.valueOf(message);
    }

    private void restartAfterFailures() {
        while (!closed) {
            try {
                failures.acquire();
                failures.drainPermits();
                restartWhenThereIsRoom();
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void restartWhenThereIsRoom() throws InterruptedException {
        long since = System.nanoTime();
        EmbeddedActiveMQ failed = broker;
        // Artemis stops itself on a thread of its own: let it finish, it closes the journal
        long stopDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!closed && failed.getActiveMQServer().getState() != ActiveMQServer.SERVER_STATE.STOPPED
                && System.nanoTime() < stopDeadline) {
            Thread.sleep(100);
        }
        stopQuietly(failed);
        long delay = 1000;
        while (!closed) {
            if (usableSpace() >= roomToRestart) {
                synchronized (lifecycle) {
                    if (closed) {
                        return;
                    }
                    EmbeddedActiveMQ next = create();
                    try {
                        broker = next;
                        startOnItsJournal(next);
                        stoppedBecause = null;
                        LOG.info("The embedded broker runs again on its journal, {} s after it stopped; clients reconnect",
                                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - since));
                        return;
                    } catch (Exception e) {
                        stopQuietly(next);
                        LOG.warn("The embedded broker does not start again yet ({}); next attempt in {} s",
                                reason(e, e.getMessage()), delay / 1000);
                    }
                }
                Thread.sleep(delay);
                delay = Math.min(delay * 2, 30_000);
            } else {
                Thread.sleep(1000);
            }
        }
    }

    private long usableSpace() {
        try {
            return Files.getFileStore(Files.exists(dir) ? dir : dir.getParent()).getUsableSpace();
        } catch (IOException e) {
            return 0;
        }
    }

    public boolean isActive() {
        EmbeddedActiveMQ b = broker;
        return b.getActiveMQServer() != null && b.getActiveMQServer().isActive();
    }

    /** Why the broker is not running, while it waits to start again after a failure. */
    public Optional<String> stoppedBecause() {
        return Optional.ofNullable(stoppedBecause);
    }

    private static void stopQuietly(EmbeddedActiveMQ b) {
        try {
            b.stop();
        } catch (Exception ignored) {
            // already failing; the original error is what matters
        }
    }

    @Override
    public void close() throws Exception {
        closed = true;
        if (restarter != null) {
            restarter.interrupt();
        }
        synchronized (lifecycle) {
            broker.stop();
        }
    }
}
