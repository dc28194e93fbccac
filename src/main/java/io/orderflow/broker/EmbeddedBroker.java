package io.orderflow.broker;

import io.orderflow.config.Settings;
import io.orderflow.config.SettingsException;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.core.config.Configuration;
import org.apache.activemq.artemis.core.config.DivertConfiguration;
import org.apache.activemq.artemis.core.config.TransformerConfiguration;
import org.apache.activemq.artemis.core.config.impl.ConfigurationImpl;
import org.apache.activemq.artemis.core.server.ComponentConfigurationRoutingType;
import org.apache.activemq.artemis.core.server.JournalType;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.apache.activemq.artemis.core.settings.impl.AddressSettings;
import org.apache.activemq.artemis.spi.core.security.ActiveMQJAASSecurityManager;
import org.apache.activemq.artemis.spi.core.security.jaas.InVMLoginModule;
import org.apache.activemq.artemis.core.config.impl.SecurityConfiguration;
import org.apache.activemq.artemis.core.security.Role;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The Artemis broker inside the orderflow process: persistent journal under the data dir, synced
 * on every commit; an in-VM acceptor for orderflow itself and a TCP acceptor (CORE and OpenWire,
 * so ActiveMQ Classic clients can send orders) on orderflow.broker.listen.
 */
public final class EmbeddedBroker implements AutoCloseable {

    public static final String DEAD_LETTER = "orderflow.dead-letter";
    public static final String EXPIRED = "orderflow.expired";
    static final int JOURNAL_BUFFER_TIMEOUT_NS = 500_000;
    static final int ID_CACHE_SIZE = 100_000;

    private final EmbeddedActiveMQ broker = new EmbeddedActiveMQ();

    public EmbeddedBroker(Settings settings) {
        Path dir = settings.dataDir().resolve("broker");
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
        config.setGracefulShutdownEnabled(true);
        config.setGracefulShutdownTimeout(10_000);
        try {
            config.addAcceptorConfiguration("in-vm", "vm://0");
            config.addAcceptorConfiguration("tcp", "tcp://" + listen.getHost() + ":" + listen.getPort()
                    + "?protocols=CORE,OPENWIRE");
        } catch (Exception e) {
            throw new SettingsException("orderflow.broker.listen: " + e.getMessage());
        }
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
        try {
            broker.start();
            // a TCP port in use does not fail start(): the server just never activates
            if (!broker.getActiveMQServer().waitForActivation(30, TimeUnit.SECONDS)) {
                stopQuietly();
                throw new SettingsException("the embedded broker could not start; is orderflow.broker.listen's port in use?");
            }
        } catch (SettingsException e) {
            throw e;
        } catch (Exception e) {
            stopQuietly();
            throw new IllegalStateException("the embedded broker could not start: " + e.getMessage(), e);
        }
    }

    public boolean isActive() {
        return broker.getActiveMQServer() != null && broker.getActiveMQServer().isActive();
    }

    private void stopQuietly() {
        try {
            broker.stop();
        } catch (Exception ignored) {
            // already failing; the original error is what matters
        }
    }

    @Override
    public void close() throws Exception {
        broker.stop();
    }
}
