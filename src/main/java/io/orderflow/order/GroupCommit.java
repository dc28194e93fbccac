package io.orderflow.order;

import io.orderflow.infra.Failures;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Orders POSTed at the same moment, recorded in one transaction: each request waits for the commit
 * that holds its order, so its answer still comes after its commit. One thread commits; whatever
 * arrived while it committed goes into its next transaction, at most {@link #MAX_BATCH}. A lone
 * request waits for no one: its transaction starts at once. Concurrent clients then cost one synced
 * commit per batch instead of one per order, as the orders.in consumer's batches do.
 */
final class GroupCommit {

    static final int MAX_BATCH = 100;

    private record Pending(Order order, String traceId, CompletableFuture<OrderIntake.Result> result) {
    }

    private final OrderIntake intake;
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private volatile Thread committer;

    GroupCommit(OrderIntake intake) {
        this.intake = intake;
    }

    /** Records the order with whatever else is waiting; returns once it is committed (or throws what the transaction threw). */
    OrderIntake.Result record(Order order, String traceId) throws InterruptedException {
        startOnce();
        Pending pending = new Pending(order, traceId, new CompletableFuture<>());
        queue.add(pending);
        try {
            return pending.result().get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    private void startOnce() {
        if (committer == null) {
            synchronized (this) {
                if (committer == null) {
                    Thread t = new Thread(this::commitLoop, "order-requests-commit");
                    t.setDaemon(true);
                    t.start();
                    committer = t;
                }
            }
        }
    }

    private void alone(Pending p) {
        try {
            p.result().complete(intake.acceptEach(List.of(p.order()), List.of("http"), Collections.singletonList(p.traceId())).get(0));
        } catch (Throwable t) {
            p.result().completeExceptionally(t);
        }
    }

    private void commitLoop() {
        List<Pending> batch = new ArrayList<>(MAX_BATCH);
        while (true) {
            try {
                batch.add(queue.take());
            } catch (InterruptedException e) {
                return;
            }
            queue.drainTo(batch, MAX_BATCH - 1);
            try {
                List<OrderIntake.Result> results = intake.acceptEach(batch.stream().map(Pending::order).toList(),
                        Collections.nCopies(batch.size(), "http"), batch.stream().map(Pending::traceId).toList());
                for (int i = 0; i < batch.size(); i++) {
                    batch.get(i).result().complete(results.get(i));
                }
            } catch (Throwable t) {
                // nothing of the batch was written; an outage answers every request (503), anything
                // else may be one order's: each is then tried alone, so it fails only its own request
                if (batch.size() == 1 || Failures.classify(t) == Failures.Kind.OUTAGE) {
                    batch.forEach(p -> p.result().completeExceptionally(t));
                } else {
                    batch.forEach(this::alone);
                }
            }
            batch.clear();
        }
    }
}
