package io.orderflow.outbox;

import io.micrometer.core.instrument.MeterRegistry;
import io.orderflow.broker.Reconnection;
import io.orderflow.db.Transactions;
import io.orderflow.infra.Failures;
import io.orderflow.infra.OutageLog;
import io.orderflow.infra.worker.WorkerComponent;
import jakarta.jms.ConnectionFactory;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.model.Model;
import org.apache.camel.spi.ResourceLoader;
import org.apache.camel.support.PluginHelper;

import java.util.Properties;

/**
 * One service's relay, run by that service's routes of routes/60-relays.yaml (with the outage
 * policy of 01-errors.yaml) in a Camel context of its own: the relay exactly as the product runs
 * it, without the rest of the flow. For the benchmark's relay-alone figures and the relay's tests.
 */
public final class StandaloneRelay implements AutoCloseable {

    private final DefaultCamelContext context = new DefaultCamelContext();
    private final OutboxRelay relay;

    public StandaloneRelay(Outbox outbox, Transactions transactions, ConnectionFactory connectionFactory, int batchSize,
                           long pollIntervalMs, MeterRegistry meters) throws Exception {
        relay = new OutboxRelay(outbox, transactions, connectionFactory, "", "", batchSize, meters);
        OutageLog outages = new OutageLog(10_000, meters);
        context.getRegistry().bind(outbox.service() + "Relay", relay);
        context.getRegistry().bind("failures", new Failures(outages));
        context.addComponent("worker", new WorkerComponent(outages));
        Properties p = new Properties();
        for (String service : new String[] {"order", "stock", "email"}) {
            p.setProperty("orderflow.run." + service, String.valueOf(service.equals(outbox.service())));
        }
        p.setProperty("orderflow.outbox.poll-interval-ms", String.valueOf(pollIntervalMs));
        p.setProperty("orderflow.retry.max-attempts", "4");
        p.setProperty("orderflow.retry.initial-delay-ms", "500");
        p.setProperty("orderflow.retry.outage-max-delay-ms", "10000");
        p.setProperty("orderflow.retry.broker-max-delay-ms", String.valueOf(Reconnection.outageRetryCeilingMs(10_000)));
        context.getPropertiesComponent().setInitialProperties(p);
        // only this service's relay routes
        context.getCamelContextExtension().getContextPlugin(Model.class).setRouteFilterPattern(outbox.service() + "-relay*", null);
        context.addService(relay, true, false);
        ResourceLoader resources = PluginHelper.getResourceLoader(context);
        PluginHelper.getRoutesLoader(context).loadRoutes(
                resources.resolveResource("classpath:routes/01-errors.yaml"),
                resources.resolveResource("classpath:routes/60-relays.yaml"));
    }

    public OutboxRelay relay() {
        return relay;
    }

    /** Starts the relay's routes. */
    public StandaloneRelay start() {
        context.start();
        return this;
    }

    @Override
    public void close() {
        context.stop();
    }
}
