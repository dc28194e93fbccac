package io.orderflow.infra.worker;

import io.orderflow.infra.Failures;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.support.DefaultConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

/** Runs the rounds of a worker route; see {@link WorkerComponent}. */
final class WorkerConsumer extends DefaultConsumer {

    private static final Logger LOG = LoggerFactory.getLogger(WorkerConsumer.class);
    private static final long MAX_BACKOFF_MS = 10_000;

    private final WorkerEndpoint endpoint;
    private final AtomicReferenceArray<Thread> threads;
    private final AtomicBoolean[] woken;
    /** Set while a thread waits for its next round (read by wake, which prefers such a thread). */
    private final AtomicBoolean[] waiting;
    private ExecutorService executor;
    private volatile boolean running;

    WorkerConsumer(WorkerEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        this.endpoint = endpoint;
        this.threads = new AtomicReferenceArray<>(endpoint.getThreads());
        this.woken = new AtomicBoolean[endpoint.getThreads()];
        this.waiting = new AtomicBoolean[endpoint.getThreads()];
        for (int i = 0; i < woken.length; i++) {
            woken[i] = new AtomicBoolean();
            waiting[i] = new AtomicBoolean();
        }
    }

    /**
     * Wakes one waiting thread of the worker, or, if every thread is busy, each of them after its
     * round. One is enough for what woke it, and waking them all would send the others to find
     * nothing (a database round trip each, for every order that arrives alone).
     */
    void wake() {
        for (int i = 0; i < woken.length; i++) {
            if (waiting[i].get()) {
                woken[i].set(true);
                LockSupport.unpark(threads.get(i));
                return;
            }
        }
        for (int i = 0; i < woken.length; i++) {
            woken[i].set(true);
            Thread t = threads.get(i);
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        running = true;
        if (endpoint.getWakeBy() != null) {
            endpoint.getWakeBy().wakeWith(this::wake);
        }
        executor = getEndpoint().getCamelContext().getExecutorServiceManager()
                .newFixedThreadPool(this, "worker[" + endpoint.getName() + "]", endpoint.getThreads());
        for (int i = 0; i < endpoint.getThreads(); i++) {
            int index = i;
            executor.execute(() -> loop(index));
        }
    }

    @Override
    protected void doStop() throws Exception {
        running = false;
        if (endpoint.getWakeBy() != null) {
            endpoint.getWakeBy().wakeWith(() -> { });
        }
        wake();
        if (executor != null) {
            executor.shutdown();
            if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
            getEndpoint().getCamelContext().getExecutorServiceManager().shutdown(executor);
            executor = null;
        }
        super.doStop();
    }

    private void loop(int index) {
        threads.set(index, Thread.currentThread());
        String source = getRouteId();
        long backoff = 0;
        while (running && isRunAllowed()) {
            Exchange exchange = createExchange(false);
            boolean more;
            Exception failure;
            try {
                getProcessor().process(exchange);
                failure = exchange.getException();
            } catch (Exception e) {
                failure = e;
            }
            more = failure == null && Boolean.TRUE.equals(exchange.getMessage().getBody(Boolean.class));
            releaseExchange(exchange, false);
            if (failure == null) {
                backoff = 0;
                endpoint.getComponent().outages().recovered(source);
            } else if (running) {
                // the route's error handling did not hold the round in place (it is not an outage
                // by the rules, or the route has no such policy): wait, and try again
                backoff = Math.min(MAX_BACKOFF_MS, backoff == 0 ? 500 : backoff * 2);
                endpoint.getComponent().outages().failed(source, Failures.reason(failure) + "; next round in " + backoff + " ms");
                LOG.debug("Round of {} failed", source, failure);
                pause(backoff);
                continue;
            }
            if (!more) {
                await(index, endpoint.getPollInterval());
            }
        }
    }

    private void await(int index, long ms) {
        long until = System.nanoTime() + ms * 1_000_000L;
        // waiting is set before woken is read: a wake that finds no thread waiting sets woken instead
        waiting[index].set(true);
        try {
            while (running && !woken[index].getAndSet(false)) {
                long left = until - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                LockSupport.parkNanos(this, left);
            }
        } finally {
            waiting[index].set(false);
        }
    }

    private void pause(long ms) {
        long until = System.nanoTime() + ms * 1_000_000L;
        long left;
        while (running && (left = until - System.nanoTime()) > 0) {
            LockSupport.parkNanos(this, left);
        }
    }
}
