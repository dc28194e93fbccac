package io.orderflow.infra;

import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.ServiceStatus;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The bound on a stop ({@code orderflow.shutdown.timeout-ms}): a SIGTERM or Ctrl-C ends the
 * process within it, whatever is down. Camel's graceful shutdown gets half of it; a stop step can
 * still wait on something that does not answer (a broker session waiting for its failover, a
 * database or mail server that went silent). So, from the moment the JVM starts to shut down, this
 * watches the clock: if the stop is not done a few seconds before the bound, it logs one WARN line
 * naming what was still stopping, stops the embedded PostgreSQL (a fast shutdown) and halts the JVM.
 * Work not finished is not lost: its transactions roll back, and the broker redelivers its
 * messages, the inboxes keep their files, the outboxes their rows.
 */
public final class StopDeadline {

    private static final Logger LOG = LoggerFactory.getLogger(StopDeadline.class);
    /** Kept from the bound for the last resort: PostgreSQL's fast shutdown takes well under a second. */
    static final long LAST_RESORT_MS = 3000;
    /** The exit status of a stop cut short, so that a service manager can tell it from a clean one. */
    static final int CUT_SHORT = 1;

    private final Duration bound;
    private final Thread stopper;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final List<ServiceSupport> services = new CopyOnWriteArrayList<>();
    private final List<Consumer<Duration>> lastResorts = new CopyOnWriteArrayList<>();
    private volatile CamelContext context;

    private StopDeadline(Duration bound, Thread stopper) {
        this.bound = bound;
        this.stopper = stopper;
    }

    /**
     * Watches every JVM shutdown from now on.
     *
     * @param stopper the thread that stops Camel (camel-main stops it on the thread that runs it)
     */
    public static StopDeadline install(Duration bound, Thread stopper) {
        StopDeadline deadline = new StopDeadline(bound, stopper);
        Runtime.getRuntime().addShutdownHook(new Thread(deadline::guard, "orderflow-stop-deadline"));
        return deadline;
    }

    /** Camel's graceful shutdown timeout: half of the bound, the rest is for the services after it. */
    public static long gracefulSeconds(Duration bound) {
        return Math.max(1, bound.toSeconds() / 2);
    }

    /** Its routes are named in the WARN line if they are still stopping at the bound. */
    public void watch(CamelContext context) {
        this.context = context;
    }

    /** A service (database, broker) that is named in the WARN line if it has not stopped at the bound. */
    public void track(ServiceSupport service) {
        services.add(service);
    }

    /** Run at the bound before the halt, given how long it may wait. */
    public void atBound(Consumer<Duration> lastResort) {
        lastResorts.add(lastResort);
    }

    /** The stop is done: the JVM may exit. */
    public void stopped() {
        stopped.countDown();
    }

    /** The JVM shuts down: all shutdown hooks run at once, and the JVM exits when all have returned. */
    private void guard() {
        try {
            if (stopped.await(bound.toMillis() - LAST_RESORT_MS, TimeUnit.MILLISECONDS)) {
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            String stillStopping;
            try {
                stillStopping = stillStopping();
            } catch (RuntimeException e) {
                stillStopping = "(unknown: " + e + ")";
            }
            LOG.warn("orderflow did not stop within {} s (orderflow.shutdown.timeout-ms), still stopping: {}. Stopping the embedded "
                    + "database and halting; unfinished work is rolled back and done again at the next start", bound.toSeconds(), stillStopping);
            for (Consumer<Duration> lastResort : lastResorts) {
                try {
                    lastResort.accept(Duration.ofMillis(LAST_RESORT_MS - 500));
                } catch (RuntimeException e) {
                    LOG.warn("At the stop deadline: {}", e.toString());
                }
            }
        } finally {
            // whatever happened above: the bound is a promise
            Runtime.getRuntime().halt(CUT_SHORT);
        }
    }

    /** Routes and services not stopped yet, and where the stopping thread waits. */
    String stillStopping() {
        List<String> parts = new ArrayList<>();
        CamelContext camel = context;
        if (camel != null) {
            // the routes holding the stop up: those with exchanges in flight, else those stopping
            List<String> busy = camel.getRoutes().stream().map(Route::getRouteId)
                    .filter(id -> camel.getInflightRepository().size(id) > 0)
                    .map(id -> id + " (" + camel.getInflightRepository().size(id) + " in flight)").toList();
            if (busy.isEmpty()) {
                busy = camel.getRoutes().stream().map(Route::getRouteId).filter(id -> {
                    ServiceStatus status = camel.getRouteController().getRouteStatus(id);
                    return status != null && status.isStopping();
                }).toList();
            }
            if (!busy.isEmpty()) {
                parts.add("the routes " + String.join(", ", busy));
            }
        }
        List<String> running = services.stream().filter(s -> !s.isStopped()).map(Object::toString).toList();
        if (!running.isEmpty()) {
            parts.add("the " + String.join(" and ", running) + " (not stopped yet)");
        }
        // the innermost stop step of orderflow or Camel, e.g. DefaultShutdownStrategy.doShutdown
        Arrays.stream(stopper.getStackTrace())
                .filter(f -> f.getClassName().startsWith("io.orderflow.") || f.getClassName().startsWith("org.apache.camel."))
                .filter(f -> f.getMethodName().matches("(?i).*(stop|shutdown|close).*"))
                .findFirst().map(f -> stopper.getName() + " waits in " + f.getClassName().substring(f.getClassName().lastIndexOf('.') + 1)
                        + "." + f.getMethodName())
                .ifPresent(parts::add);
        return parts.isEmpty() ? "nothing orderflow can name" : String.join("; ", parts);
    }
}
