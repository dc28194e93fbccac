package io.orderflow.infra;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Crash points for fault-injection tests. Inert unless the JVM runs with
 * {@code -Dorderflow.test.crash-at=<point>[:<n>]}: then the n-th time (default 1st) the point is
 * reached, the process halts at once, as a SIGKILL would stop it (no shutdown hooks, nothing
 * flushed).
 */
public enum FaultPoint {

    /** A consumer committed a batch's database transaction; its broker transaction has not committed yet. */
    CONSUMER_AFTER_COMMIT("consumer-after-commit"),
    /** The relay's broker transaction committed; the rows are not marked published yet. */
    RELAY_AFTER_SEND("relay-after-send"),
    /** The mail server took a notification; the notification is not marked sent yet. */
    MAIL_AFTER_SEND("mail-after-send"),
    /** The orders of a file (or of a batch of messages) are written, their lines and events not yet, inside its transaction. */
    FILE_MID_PROCESSING("file-mid-processing");

    private static final Logger LOG = LoggerFactory.getLogger(FaultPoint.class);
    private static final String ARMED = System.getProperty("orderflow.test.crash-at", "");
    private static final AtomicInteger REACHED = new AtomicInteger();

    private final String id;

    FaultPoint(String id) {
        this.id = id;
    }

    public void reach() {
        if (ARMED.isEmpty()) {
            return;
        }
        String[] armed = ARMED.split(":");
        if (!armed[0].equals(id)) {
            return;
        }
        int nth = armed.length > 1 ? Integer.parseInt(armed[1]) : 1;
        if (REACHED.incrementAndGet() == nth) {
            LOG.error("Fault injection: halting at {} (occurrence {})", id, nth);
            Runtime.getRuntime().halt(137);
        }
    }
}
