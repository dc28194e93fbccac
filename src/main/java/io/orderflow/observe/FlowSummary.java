package io.orderflow.observe;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One INFO line a minute with what the flow did in it (from the meters), instead of a line per
 * event: orders accepted, events applied and skipped as duplicates per service, events published,
 * notifications sent, rejections and parked events. Silent while nothing happens.
 */
public final class FlowSummary extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(FlowSummary.class);
    private static final String[] METERS = {
        "orderflow.orders.accepted", "orderflow.events.applied", "orderflow.events.duplicates", "orderflow.events.published",
        "orderflow.notifications.sent", "orderflow.notifications.failed", "orderflow.messages.rejected",
        "orderflow.files.rejected", "orderflow.events.dead-lettered"};

    private final MeterRegistry meters;
    private final long periodSeconds;
    private final Map<String, Double> last = new LinkedHashMap<>();
    private ScheduledExecutorService timer;

    public FlowSummary(MeterRegistry meters, long periodSeconds) {
        this.meters = meters;
        this.periodSeconds = periodSeconds;
    }

    @Override
    protected void doStart() {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "flow-summary");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleAtFixedRate(this::report, periodSeconds, periodSeconds, TimeUnit.SECONDS);
    }

    @Override
    protected void doStop() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    private void report() {
        StringBuilder line = new StringBuilder();
        for (String name : METERS) {
            for (Counter c : meters.find(name).counters()) {
                String service = c.getId().getTag("service") != null ? c.getId().getTag("service") : c.getId().getTag("kind");
                String key = name.substring("orderflow.".length()) + (service == null ? "" : "[" + service + "]");
                double now = c.count();
                double delta = now - last.getOrDefault(key, 0.0);
                last.put(key, now);
                if (delta > 0) {
                    line.append(line.length() == 0 ? "" : ", ").append(key).append(' ').append(Math.round(delta));
                }
            }
        }
        if (line.length() > 0) {
            LOG.info("Last {} s: {}", periodSeconds, line);
        }
    }
}
