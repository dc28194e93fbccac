package io.orderflow.observe;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

import java.util.Map;
import java.util.concurrent.Callable;

/** Health of one dependency (database, broker), shown at /observe/health with the reason when down. */
public final class DependencyHealth extends AbstractHealthCheck {

    private final Callable<Boolean> probe;

    public DependencyHealth(String name, Callable<Boolean> probe) {
        super("orderflow", name);
        this.probe = probe;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        try {
            if (Boolean.TRUE.equals(probe.call())) {
                builder.up();
            } else {
                builder.down().message(getId() + " is not available");
            }
        } catch (Exception e) {
            builder.down().message(getId() + " is not available: " + e.getMessage()).error(e);
        }
    }
}
