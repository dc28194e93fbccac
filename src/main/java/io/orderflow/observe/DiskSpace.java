package io.orderflow.observe;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.ServiceStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Stops taking input before the data folder's disk is full, and takes it again when space
 * returns. Below orderflow.disk.min-free-mb of usable space it stops the routes of group "input"
 * (order and stock files stay in their inboxes, orders.in is not consumed) while the flow goes on
 * with what it holds; it says so in one WARN line and in health ("disk" DOWN). When the free
 * space is back above the threshold plus a margin, it starts them again. It is the step of the
 * disk-space worker route (routes/05-disk-space.yaml).
 */
public final class DiskSpace {

    private static final Logger LOG = LoggerFactory.getLogger(DiskSpace.class);
    static final String INPUT = "input";

    private final CamelContext camel;
    private final Path dataDir;
    private final long minFree;
    private final long resumeAt;
    private final List<String> stopped = new ArrayList<>();
    private volatile boolean low;
    private volatile long lastFree = -1;
    private FileStore store;

    public DiskSpace(CamelContext camel, Path dataDir, long minFreeBytes, MeterRegistry meters) {
        this.camel = camel;
        this.dataDir = dataDir;
        this.minFree = minFreeBytes;
        // a margin, so that input does not stop and start again with every file taken
        this.resumeAt = minFreeBytes + Math.max(minFreeBytes / 10, 16L * 1024 * 1024);
        Gauge.builder("orderflow.disk.free.bytes", this, d -> d.lastFree).description("Usable space on the data folder's disk")
                .strongReference(true).register(meters);
    }

    /** Whether input is taken: false while the disk is short of space. */
    public boolean ok() {
        return !low;
    }

    /** Looks at the free space; returns false (the worker waits its interval). */
    public synchronized boolean check() throws Exception {
        long free = usable();
        lastFree = free;
        if (!low && free < minFree) {
            for (Route route : camel.getRoutes()) {
                if (INPUT.equals(route.getGroup()) && camel.getRouteController().getRouteStatus(route.getRouteId()) == ServiceStatus.Started) {
                    stopped.add(route.getRouteId());
                }
            }
            // stopped first (each finishes what it holds), then said: health and the WARN line
            // never claim that input waits while a route still takes it
            for (String id : stopped) {
                camel.getRouteController().stopRoute(id);
            }
            low = true;
            LOG.warn("The data folder's disk has {} MB free, below orderflow.disk.min-free-mb ({} MB): not taking input "
                    + "(files stay in the inboxes, orders.in is not consumed) until it has {} MB; the flow goes on with what it holds",
                    mb(free), mb(minFree), mb(resumeAt));
        } else if (low && free >= resumeAt) {
            for (String id : stopped) {
                camel.getRouteController().startRoute(id);
            }
            LOG.info("The data folder's disk has {} MB free again: taking input ({})", mb(free), stopped);
            stopped.clear();
            low = false;
        }
        return false;
    }

    private long usable() throws IOException {
        if (store != null) {
            return store.getUsableSpace();
        }
        Path existing = dataDir.toAbsolutePath();
        while (!Files.exists(existing) && existing.getParent() != null) {
            existing = existing.getParent();
        }
        FileStore found = Files.getFileStore(existing);
        // looked up once the data folder exists: the lookup reads the mount table (most of an
        // idle check's CPU), while the usable space is a statfs of the path, whatever is mounted there
        if (existing.equals(dataDir.toAbsolutePath())) {
            store = found;
        }
        return found.getUsableSpace();
    }

    private static long mb(long bytes) {
        return bytes / (1024 * 1024);
    }
}
