package io.orderflow.support;

import java.util.ArrayList;
import java.util.List;

/**
 * Keeps every core busy while it is open: a machine where the brokers, orderflow and the database
 * compete for CPU with something else, as on a shared host. A failover that is quick only on an
 * idle machine is not quick.
 */
public final class CpuBurner implements AutoCloseable {

    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean burning = true;
    /** Written now and then, so the loops are not compiled away. */
    private volatile long sink;

    private CpuBurner(int threads) {
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(this::burn, "cpu-burner-" + i);
            t.setDaemon(true);
            this.threads.add(t);
            t.start();
        }
    }

    /** One spinning thread per core. */
    public static CpuBurner onEveryCore() {
        return new CpuBurner(Runtime.getRuntime().availableProcessors());
    }

    private void burn() {
        long x = System.nanoTime();
        while (burning) {
            for (int i = 0; i < 1_000_000; i++) {
                x = x * 6364136223846793005L + 1442695040888963407L;
            }
            sink = x;
        }
    }

    @Override
    public void close() throws InterruptedException {
        burning = false;
        for (Thread t : threads) {
            t.join();
        }
    }
}
