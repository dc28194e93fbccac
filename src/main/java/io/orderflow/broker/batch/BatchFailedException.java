package io.orderflow.broker.batch;

import io.orderflow.infra.Failures;

/**
 * A batch failed for a reason of one of its messages (bad input, data the database refused). It
 * carries the reason as text only, not the failure itself, so that the route's error handling
 * does not reject or park the whole batch for one message's sake: the {@code jms-batch:} consumer
 * runs the batch again one message at a time, and the culprit fails alone.
 */
public final class BatchFailedException extends RuntimeException {

    private BatchFailedException(int size, Throwable failure) {
        super("a batch of " + size + " failed (" + Failures.reason(failure) + "); its messages are run again one by one");
    }

    /**
     * The failure to throw for a batch of this size: the failure itself for a single message or an
     * outage (which waits and is retried in place, batch and all), else a BatchFailedException.
     */
    public static RuntimeException unlessSingle(int size, RuntimeException failure) {
        if (size <= 1 || Failures.classify(failure) == Failures.Kind.OUTAGE) {
            return failure;
        }
        return new BatchFailedException(size, failure);
    }
}
