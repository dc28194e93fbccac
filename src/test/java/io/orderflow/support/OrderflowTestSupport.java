package io.orderflow.support;

import io.orderflow.config.OrderflowConfiguration;
import io.orderflow.config.Preflight;
import io.orderflow.config.Settings;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.component.jms.JmsComponent;
import org.apache.camel.main.MainConfigurationProperties;
import org.apache.camel.spi.Registry;
import org.apache.camel.test.junit5.CamelContextConfiguration;
import org.apache.camel.test.main.junit5.CamelMainTestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * Boots the real orderflow (camel-main, the YAML routes from the jar's classpath, embedded Artemis,
 * the configured database) once per test class, in a data dir of its own and on free ports.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class OrderflowTestSupport extends CamelMainTestSupport {

    protected Path dataDir;
    protected Settings settings;
    protected OrderflowConfiguration configuration;
    protected int httpPort;
    protected int brokerPort;

    /** Settings of this test class beyond the fast test defaults (database URL, mail mode...). */
    protected Map<String, String> settingsOverrides() {
        return Map.of();
    }

    protected Settings settings() {
        if (settings == null) {
            try {
                dataDir = Files.createTempDirectory("orderflow-test-");
                httpPort = OrderflowProcess.freePort();
                brokerPort = OrderflowProcess.freePort();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            Map<String, String> o = new HashMap<>();
            o.put("orderflow.data-dir", dataDir.toString());
            // route tests run on the H2 file (fast to create); the flow tests and the crash
            // tests cover the embedded PostgreSQL and a PostgreSQL server
            o.put("orderflow.db.embedded", "h2");
            o.put("orderflow.http.port", String.valueOf(httpPort));
            o.put("orderflow.broker.listen", "tcp://127.0.0.1:" + brokerPort);
            o.put("orderflow.files.stable-window-ms", "200");
            o.put("orderflow.files.poll-interval-ms", "100");
            o.put("orderflow.retry.initial-delay-ms", "100");
            o.put("orderflow.retry.max-delay-ms", "400");
            o.put("orderflow.retry.outage-max-delay-ms", "500");
            o.put("orderflow.mail.retry-initial-delay-ms", "200");
            o.put("orderflow.mail.retry-max-delay-ms", "1000");
            o.put("orderflow.mail.smtp.connect-timeout-ms", "2000");
            o.put("orderflow.mail.smtp.read-timeout-ms", "2000");
            o.put("orderflow.outbox.poll-interval-ms", "500");
            o.put("orderflow.orders.max-file-size", "1000000");
            o.put("orderflow.http.read-timeout-ms", "1500");
            // WarmupTest and the tests that run the jar on its defaults cover it
            o.put("orderflow.startup.warmup-ms", "0");
            o.put("orderflow.startup.connected-warmup-ms", "0");
            o.putAll(settingsOverrides());
            settings = Settings.load(Map.of(), new Properties(), o);
            Preflight.check(settings);
            configuration = new OrderflowConfiguration(settings);
        }
        return settings;
    }

    @Override
    public void configureContext(CamelContextConfiguration config) {
        super.configureContext(config);
        Properties p = new Properties();
        p.putAll(OrderflowConfiguration.camelProperties(settings()));
        // lets tests see the exchanges held in flight (and their redelivery counters)
        p.put("camel.main.inflight-repository-browse-enabled", "true");
        config.withUseOverridePropertiesWithPropertiesComponent(p);
    }

    @Override
    protected void configure(MainConfigurationProperties main) {
        settings();
        main.addConfiguration(configuration);
    }

    @Override
    protected void bindToRegistry(Registry registry) throws Exception {
        settings();
        registry.bind("metricsRegistry", configuration.meters());
        // the tests' own client of the embedded broker, in process
        registry.bind("jms", JmsComponent.jmsComponent(new ActiveMQConnectionFactory("vm://0")));
    }

    @AfterAll
    void releaseDataDir() throws Exception {
        // stop now: the embedded broker's in-VM acceptor (vm://0) is one per JVM, and the next
        // test class starts its own
        if (context != null) {
            context.stop();
        }
        Preflight.release();
        if (dataDir != null) {
            try (Stream<Path> files = Files.walk(dataDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
