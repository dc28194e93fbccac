package io.orderflow.observe;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.orderflow.operate.DeadLetterDepth;
import io.orderflow.outbox.Outbox;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The flow at a glance, for the console's flow page ({@code GET /api/flow}), polled every few
 * seconds: the counters it turns into rates, each service's backlog and the age of its oldest
 * unpublished event, the dead letters waiting, and the health of the database, the broker, the
 * disk and the mail server.
 */
public final class FlowStatus {

    private final MeterRegistry meters;
    private final List<Outbox> outboxes;
    private final DeadLetterDepth deadLetters;
    private final Map<String, Callable<Boolean>> dependencies;

    public FlowStatus(MeterRegistry meters, List<Outbox> outboxes, DeadLetterDepth deadLetters, Map<String, Callable<Boolean>> dependencies) {
        this.meters = meters;
        this.outboxes = outboxes;
        this.deadLetters = deadLetters;
        this.dependencies = dependencies;
    }

    public Map<String, Object> now() {
        Map<String, Object> flow = new LinkedHashMap<>();
        flow.put("at", Instant.now().toString());
        flow.put("ordersAccepted", count("orderflow.orders.accepted"));
        flow.put("notificationsSent", count("orderflow.notifications.sent"));
        Map<String, Object> services = new LinkedHashMap<>();
        for (Outbox outbox : outboxes) {
            Map<String, Object> s = new LinkedHashMap<>();
            try {
                s.put("backlog", outbox.backlog());
                s.put("oldestUnpublishedSeconds", Math.round(outbox.oldestPendingAgeSeconds() * 10) / 10.0);
            } catch (RuntimeException e) {
                s.put("error", "database: " + e.getMessage());
            }
            services.put(outbox.service(), s);
        }
        flow.put("services", services);
        Map<String, Object> dead = new LinkedHashMap<>();
        for (String source : DeadLetterDepth.SOURCES) {
            double depth = deadLetters.depth(source);
            dead.put(source, Double.isNaN(depth) ? null : (long) depth);
        }
        flow.put("deadLetters", dead);
        Map<String, Object> health = new LinkedHashMap<>();
        dependencies.forEach((name, probe) -> {
            try {
                health.put(name, Boolean.TRUE.equals(probe.call()) ? "UP" : "DOWN");
            } catch (Exception e) {
                health.put(name, "DOWN: " + e.getMessage());
            }
        });
        flow.put("health", health);
        return flow;
    }

    private double count(String name) {
        Counter c = meters.find(name).counter();
        return c == null ? 0 : c.count();
    }
}
