package io.orderflow.infra.worker;

import io.orderflow.infra.OutageLog;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

import java.util.Map;

/**
 * {@code worker:<name>}: a route that does background work in rounds, such as an outbox relay or a
 * notification sender. Each of its threads sends an exchange through the route for one round; the
 * round's last step returns {@code true} when there may be more to do at once, and the thread then
 * goes again without waiting. Otherwise it waits until the {@code wakeBy} bean wakes it (its
 * service committed work for it) or the poll interval passes, whichever comes first.
 *
 * <p>A failing round is the route's to handle: orderflow's worker routes use the {@code outage}
 * route configuration, which retries the failed step in place with a capped backoff and reports
 * it once per interval. When a round succeeds again, the outage log says so once.
 *
 * <p>Camel's scheduler and timer components fire at fixed times; a relay must publish right after
 * a commit (its lag is part of every order's latency), hence this component.
 */
public final class WorkerComponent extends DefaultComponent {

    private final OutageLog outages;

    public WorkerComponent(OutageLog outages) {
        this.outages = outages;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        WorkerEndpoint endpoint = new WorkerEndpoint(uri, this, remaining);
        setProperties(endpoint, parameters);
        return endpoint;
    }

    OutageLog outages() {
        return outages;
    }
}
