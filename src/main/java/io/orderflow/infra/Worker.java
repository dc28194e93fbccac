package io.orderflow.infra;

import org.apache.camel.support.service.ServiceSupport;

/**
 * A background loop that does its work when woken (its service committed something for it) and
 * otherwise polls at a fixed interval as a fallback. A failing round is retried with a growing,
 * capped delay and reported to the {@link OutageLog} (one line per interval, with its reason);
 * the loop never dies.
 */
public abstract class Worker extends ServiceSupport {

    private final String name;
    private final long pollIntervalMs;
    private final long maxBackoffMs;
    private final OutageLog outages;
    private final Object signal = new Object();
    private boolean woken;
    private volatile boolean running;
    private Thread thread;

    protected Worker(String name, long pollIntervalMs, long maxBackoffMs, OutageLog outages) {
        this.name = name;
        this.pollIntervalMs = pollIntervalMs;
        this.maxBackoffMs = maxBackoffMs;
        this.outages = outages;
    }

    /** One round of work; true if there may be more to do at once. */
    protected abstract boolean workOnce() throws Exception;

    /** How to describe a failed round to the operator. */
    protected abstract String describeFailure(Exception failure);

    protected void onFailure() {
    }

    public final void wake() {
        synchronized (signal) {
            woken = true;
            signal.notifyAll();
        }
    }

    protected final boolean isRunning() {
        return running;
    }

    @Override
    protected void doStart() {
        running = true;
        thread = new Thread(this::loop, name);
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    protected void doStop() throws InterruptedException {
        running = false;
        wake();
        if (thread != null) {
            thread.join(30_000);
        }
    }

    private void loop() {
        long backoff = 0;
        while (running) {
            try {
                boolean more = workOnce();
                if (backoff > 0) {
                    outages.recovered(name);
                }
                backoff = 0;
                if (!more) {
                    await(pollIntervalMs);
                }
            } catch (Exception e) {
                onFailure();
                backoff = backoff == 0 ? Math.min(500, maxBackoffMs) : Math.min(backoff * 2, maxBackoffMs);
                outages.failed(name, describeFailure(e) + " (" + Failures.reason(e) + "); retrying with a delay of up to "
                        + maxBackoffMs + " ms");
                await(backoff);
            }
        }
    }

    private void await(long ms) {
        synchronized (signal) {
            if (!woken && running) {
                try {
                    signal.wait(ms);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    running = false;
                }
            }
            woken = false;
        }
    }
}
