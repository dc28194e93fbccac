package io.orderflow.infra.worker;

import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultEndpoint;

/** A worker route's source; see {@link WorkerComponent}. */
public final class WorkerEndpoint extends DefaultEndpoint {

    private final String name;
    /** Threads doing rounds at the same time. */
    private int threads = 1;
    /** Longest wait between rounds while nothing wakes the worker, in milliseconds. */
    private long pollInterval = 1000;
    /** The bean that wakes the worker when it has work for it. */
    private Wakeable wakeBy;

    WorkerEndpoint(String uri, WorkerComponent component, String name) {
        super(uri, component);
        this.name = name;
    }

    @Override
    public WorkerComponent getComponent() {
        return (WorkerComponent) super.getComponent();
    }

    @Override
    public Producer createProducer() {
        throw new UnsupportedOperationException("worker:" + name + " can only start a route");
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        WorkerConsumer consumer = new WorkerConsumer(this, processor);
        configureConsumer(consumer);
        return consumer;
    }

    public String getName() {
        return name;
    }

    public int getThreads() {
        return threads;
    }

    public void setThreads(int threads) {
        this.threads = threads;
    }

    public long getPollInterval() {
        return pollInterval;
    }

    public void setPollInterval(long pollInterval) {
        this.pollInterval = pollInterval;
    }

    public Wakeable getWakeBy() {
        return wakeBy;
    }

    public void setWakeBy(Wakeable wakeBy) {
        this.wakeBy = wakeBy;
    }
}
