package io.orderflow.broker.batch;

import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultEndpoint;

/** A queue read or written by {@link BatchJmsComponent}. */
public final class BatchJmsEndpoint extends DefaultEndpoint {

    private final String queue;
    /** Most messages taken into one batch. */
    private int maxBatch = 100;
    /** Consumer threads, each with its own session. */
    private int consumers = 1;
    /** How long a consumer waits for the first message of a batch before it looks again. */
    private long receiveTimeoutMs = 1000;
    /**
     * How long, after the first message of a batch, a consumer waits for more before it runs the
     * batch; 0 takes only what the broker has already pushed.
     */
    private long gatherMs;

    BatchJmsEndpoint(String uri, BatchJmsComponent component, String queue) {
        super(uri, component);
        this.queue = queue;
    }

    @Override
    public BatchJmsComponent getComponent() {
        return (BatchJmsComponent) super.getComponent();
    }

    @Override
    public Producer createProducer() {
        return new BatchJmsProducer(this);
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        BatchJmsConsumer consumer = new BatchJmsConsumer(this, processor);
        configureConsumer(consumer);
        return consumer;
    }

    public String getQueue() {
        return queue;
    }

    public int getMaxBatch() {
        return maxBatch;
    }

    public void setMaxBatch(int maxBatch) {
        this.maxBatch = maxBatch;
    }

    public int getConsumers() {
        return consumers;
    }

    public void setConsumers(int consumers) {
        this.consumers = consumers;
    }

    public long getReceiveTimeoutMs() {
        return receiveTimeoutMs;
    }

    public void setReceiveTimeoutMs(long receiveTimeoutMs) {
        this.receiveTimeoutMs = receiveTimeoutMs;
    }

    public long getGatherMs() {
        return gatherMs;
    }

    public void setGatherMs(long gatherMs) {
        this.gatherMs = gatherMs;
    }
}
