package io.orderflow.infra;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Reports failures that are retried in place (see {@link Failures}) without a log storm: while a
 * failure persists, each source (a route) logs one WARN line per interval with the
 * number of failed attempts and the latest reason, never a stack trace per attempt per thread;
 * one INFO line when a worker route (infra/worker) works again. Every attempt is counted in
 * {@code orderflow_retries_in_place_total{source}}.
 */
public final class OutageLog {

    private static final Logger LOG = LoggerFactory.getLogger(OutageLog.class);

    /** Longer than any retry delay (capped at 10 s): no failure for that long ends an outage. */
    private static final long QUIET_NANOS = 30_000_000_000L;

    private final long intervalNanos;
    private final MeterRegistry meters;
    private final ConcurrentMap<String, Source> sources = new ConcurrentHashMap<>();

    public OutageLog(long intervalMs, MeterRegistry meters) {
        this.intervalNanos = intervalMs * 1_000_000L;
        this.meters = meters;
    }

    /** One failed attempt of the source, to be retried. */
    public void failed(String source, String reason) {
        failed(source, reason, "retried in place (nothing rejected, no delivery attempt used)");
    }

    /** One failed attempt of the source, with what became of it (e.g. spans dropped instead of retried). */
    public void failed(String source, String reason, String consequence) {
        sources.computeIfAbsent(source, this::source).failed(reason, consequence);
    }

    /** The source worked: if it was failing, say so once. */
    public void recovered(String source) {
        Source s = sources.get(source);
        if (s != null) {
            s.recovered();
        }
    }

    private Source source(String name) {
        return new Source(name, Counter.builder("orderflow.retries.in-place").tag("source", name)
                .description("Attempts that failed for a reason outside their input and were retried in place").register(meters));
    }

    private final class Source {
        private final String name;
        private final Counter counter;
        private long failures;
        private long since;
        private long lastLogged;
        private long lastFailure;
        private boolean failing;

        Source(String name, Counter counter) {
            this.name = name;
            this.counter = counter;
        }

        void failed(String reason, String consequence) {
            counter.increment();
            long now = System.nanoTime();
            long n;
            long elapsed;
            synchronized (this) {
                failures++;
                // a source that reports no recovery (a route) starts a new outage after a quiet spell
                if (!failing || now - lastFailure > QUIET_NANOS + 2 * intervalNanos) {
                    failing = true;
                    since = now;
                    lastLogged = now - intervalNanos;
                    failures = 1;
                }
                lastFailure = now;
                if (now - lastLogged < intervalNanos) {
                    return;
                }
                n = failures;
                elapsed = now - since;
                failures = 0;
                lastLogged = now;
            }
            LOG.warn("{}: {} failed attempt(s), {}, failing for {} s: {}", name, n, consequence, elapsed / 1_000_000_000L, reason);
        }

        void recovered() {
            long elapsed;
            synchronized (this) {
                if (!failing) {
                    return;
                }
                failing = false;
                failures = 0;
                elapsed = System.nanoTime() - since;
            }
            LOG.info("{} is working again after {} s", name, elapsed / 1_000_000_000L);
        }
    }
}
