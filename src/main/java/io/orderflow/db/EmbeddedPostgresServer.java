package io.orderflow.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The embedded default database: a real PostgreSQL server (binaries packed in the jar, unpacked
 * to the temp folder once) whose cluster lives in {@code <data-dir>/pg}, started by this process
 * and stopped after it. It is durable the way PostgreSQL is: every commit is fsynced
 * ({@code fsync=on}, {@code synchronous_commit=on}), so a power loss loses nothing that returned.
 *
 * <p>The server is a process of its own, which would outlive a {@code kill -9} of the JVM: the
 * owner starts a {@link PostmasterWatchdog} beside it that stops it when the JVM dies, however it
 * dies. The file {@code <data-dir>/pg.lock} is locked for as long as this process owns the
 * cluster: whoever gets the lock knows that a server still running on the cluster is an orphan
 * (of a killed instance whose watchdog failed, or is still stopping it), and stops it before
 * starting its own. Whoever does not get it (the {@code check} command while the service runs)
 * attaches to the running server instead, and watches nothing.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgresServer.class);
    public static final String USER = "postgres";
    private static final String DATABASE = "postgres";

    private EmbeddedPostgres server;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final int port;
    private final Path cluster;
    private final Path log;
    private volatile boolean closed;
    private Thread supervisor;
    private PostmasterWatchdog watchdog;

    private EmbeddedPostgresServer(EmbeddedPostgres server, FileChannel lockChannel, FileLock lock, int port,
                                   Path cluster, Path log) {
        this.server = server;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.port = port;
        this.cluster = cluster;
        this.log = log;
    }

    /** Whether this platform has PostgreSQL binaries in the jar (Linux on x86-64). */
    public static boolean available() {
        return AVAILABLE;
    }

    /** Looked up once: settings ask for it on every database URL. */
    private static final boolean AVAILABLE = System.getProperty("os.name", "").toLowerCase().contains("linux")
            && (System.getProperty("os.arch", "").equalsIgnoreCase("amd64") || System.getProperty("os.arch", "").equalsIgnoreCase("x86_64"))
            && EmbeddedPostgresServer.class.getResource("/postgres-linux-x86_64.txz") != null;

    /**
     * Starts the server on the cluster under {@code dataDir/pg} (creating it on first use), or
     * fails if another running orderflow owns it.
     */
    public static EmbeddedPostgresServer start(Path dataDir, Set<Integer> portsInUseLater) {
        return startOrAttach(dataDir, false, portsInUseLater);
    }

    /**
     * Starts the server like {@link #start}, or, when a running orderflow owns the cluster,
     * attaches to its server (the server stays that instance's).
     */
    public static EmbeddedPostgresServer startOrAttach(Path dataDir, Set<Integer> portsInUseLater) {
        return startOrAttach(dataDir, true, portsInUseLater);
    }

    private static EmbeddedPostgresServer startOrAttach(Path dataDir, boolean attach, Set<Integer> portsInUseLater) {
        Path cluster = dataDir.resolve("pg");
        FileChannel channel = null;
        try {
            Files.createDirectories(dataDir);
            channel = FileChannel.open(dataDir.resolve("pg.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException heldInThisProcess) {
                lock = null;
            }
            if (lock == null) {
                channel.close();
                Optional<Integer> running = runningPort(cluster);
                if (attach && running.isPresent()) {
                    LOG.info("Attached to the embedded PostgreSQL of the running orderflow (port {})", running.get());
                    return new EmbeddedPostgresServer(null, null, null, running.get(), cluster, null);
                }
                throw new IllegalStateException("the data folder " + dataDir + " is in use by another running orderflow");
            }
            stopOrphan(cluster);
            dropUnfinishedCluster(cluster);
            Path log = dataDir.resolve("logs").resolve("postgresql.log");
            Files.createDirectories(log.getParent());
            LOG.info("Starting the embedded PostgreSQL on {} (its log: {})", cluster, log);
            EmbeddedPostgres pg = launch(cluster, log, freePortOtherThan(portsInUseLater));
            LOG.info("Embedded PostgreSQL started on 127.0.0.1:{}, cluster {}, log {}", pg.getPort(), cluster, log);
            EmbeddedPostgresServer server = new EmbeddedPostgresServer(pg, channel, lock, pg.getPort(), cluster, log);
            try {
                server.watchdog = PostmasterWatchdog.watch(cluster, log);
            } catch (IOException e) {
                server.close();
                throw e;
            }
            server.superviseEvery(Duration.ofSeconds(2));
            return server;
        } catch (IOException e) {
            closeQuietly(channel);
            throw new UncheckedIOException("cannot start the embedded PostgreSQL in " + cluster + ": " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            closeQuietly(channel);
            throw e;
        }
    }

    /**
     * A free port that is none of the given ones. The server starts before the broker and the
     * HTTP server bind theirs; a port those are configured on may be free at this moment (for
     * example just after a killed orderflow released it) and must not be given to PostgreSQL.
     */
    static int freePortOtherThan(Set<Integer> reserved) throws IOException {
        return firstNotIn(reserved, () -> {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                return socket.getLocalPort();
            }
        });
    }

    interface PortSource {
        int next() throws IOException;
    }

    static int firstNotIn(Set<Integer> reserved, PortSource freePorts) throws IOException {
        for (int attempt = 0; attempt < 100; attempt++) {
            int port = freePorts.next();
            if (!reserved.contains(port)) {
                return port;
            }
        }
        throw new IOException("no free port for the embedded PostgreSQL apart from the " + reserved.size()
                + " ports orderflow binds itself");
    }

    /** Starts a postmaster on the cluster, on the given port. */
    private static EmbeddedPostgres launch(Path cluster, Path log, int port) throws IOException {
        return EmbeddedPostgres.builder()
                    .setPort(port)
                    .setDataDirectory(cluster)
                    .setCleanDataDirectory(false)
                    // orderflow stops the server itself, after its routes and pool have stopped
                    .setRegisterShutdownHook(false)
                    .setPGStartupWait(Duration.ofMinutes(2)) // crash recovery replays at most max_wal_size
                    .setOutputRedirector(Redirect.appendTo(log.toFile()))
                    .setErrorRedirector(Redirect.appendTo(log.toFile()))
                    // the library's test defaults are not durable (-F, synchronous_commit=off):
                    // a command-line -c after -F wins, so these make every commit fsynced
                    .setServerConfig("fsync", "on")
                    .setServerConfig("synchronous_commit", "on")
                    .setServerConfig("full_page_writes", "on")
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("max_connections", "200")
                    // keep the WAL small (PostgreSQL's default lets it reach 1 GB): it would be
                    // most of the data folder; compressed full-page images make it fill slower
                    .setServerConfig("max_wal_size", "128MB")
                    .setServerConfig("min_wal_size", "32MB")
                    .setServerConfig("wal_compression", "on")
                    .setServerConfig("shared_buffers", "128MB")
                    .setServerConfig("logging_collector", "off")
                    .start();
    }

    /**
     * PostgreSQL restarts a crashed backend itself, but its postmaster can stop for good (killed,
     * or a crash recovery that failed for a full disk). The flow then waits as for any database
     * outage; this starts the server again, on the same port, as soon as it can.
     */
    private void superviseEvery(Duration interval) {
        supervisor = new Thread(() -> {
            long failures = 0;
            while (!closed) {
                try {
                    Thread.sleep(interval.toMillis() * Math.min(15, 1 + failures));
                } catch (InterruptedException e) {
                    return;
                }
                synchronized (this) {
                    if (closed) {
                        return;
                    }
                    try {
                        if (postmaster(cluster).isPresent()) {
                            failures = 0;
                            continue;
                        }
                        LOG.warn("The embedded PostgreSQL is not running (its log: {}); starting it again on port {}", log, port);
                        closeQuietly(server);
                        server = launch(cluster, log, port);
                        LOG.warn("The embedded PostgreSQL runs again on port {}", port);
                        failures = 0;
                    } catch (IOException | RuntimeException e) {
                        failures++;
                        LOG.warn("The embedded PostgreSQL does not start ({} attempts so far): {}; see {}", failures,
                                e.getMessage(), log);
                    }
                }
            }
        }, "orderflow-pg-supervisor");
        supervisor.setDaemon(true);
        supervisor.start();
    }

    private static void closeQuietly(EmbeddedPostgres pg) {
        try {
            pg.close();
        } catch (IOException | RuntimeException ignored) {
            // it is not running: nothing to stop, and its lock is released
        }
    }

    /**
     * A kill during the very first start, in initdb, leaves a half-made cluster that initdb refuses
     * to overwrite. A cluster whose server never ran (PostgreSQL writes postmaster.opts at every
     * start) holds nothing of orderflow's: remove it.
     */
    private static void dropUnfinishedCluster(Path cluster) throws IOException {
        if (Files.isDirectory(cluster) && !Files.exists(cluster.resolve("postmaster.opts"))) {
            LOG.warn("Removing {}: the embedded PostgreSQL's first start was cut short, its server never ran", cluster);
            try (Stream<Path> paths = Files.walk(cluster)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** Stops the server of a data dir that no orderflow owns any more (a killed one's), if one runs. */
    public static void stopOrphanOf(Path dataDir) throws IOException {
        stopOrphan(dataDir.resolve("pg"));
    }

    /**
     * Stops a server left running on the cluster by a killed orderflow whose watchdog did not stop
     * it (or is stopping it right now): a fast shutdown, which aborts its sessions and checkpoints.
     */
    private static void stopOrphan(Path cluster) throws IOException {
        Optional<ProcessHandle> orphan = postmaster(cluster);
        if (orphan.isEmpty()) {
            return;
        }
        ProcessHandle p = orphan.get();
        LOG.warn("Stopping the embedded PostgreSQL (pid {}) left running by an orderflow that did not stop cleanly", p.pid());
        signal(p.pid(), "INT"); // PostgreSQL's fast shutdown
        try {
            p.onExit().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("The orphaned PostgreSQL (pid {}) did not stop in 60 s; killing it", p.pid());
            p.destroyForcibly();
            try {
                p.onExit().get(30, TimeUnit.SECONDS);
            } catch (Exception again) {
                throw new IllegalStateException("cannot stop the orphaned PostgreSQL, pid " + p.pid());
            }
        }
    }

    private static void signal(long pid, String signal) throws IOException {
        try {
            new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true)
                    .redirectOutput(Redirect.DISCARD).start().waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The postmaster running on the cluster, if postmaster.pid names a live postgres process. */
    static Optional<ProcessHandle> postmaster(Path cluster) throws IOException {
        return postmaster(pidFile(cluster));
    }

    private static Optional<ProcessHandle> postmaster(List<String> pidFile) {
        if (pidFile.isEmpty()) {
            return Optional.empty();
        }
        long pid;
        try {
            pid = Long.parseLong(pidFile.get(0).trim());
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                .filter(h -> h.info().command().map(c -> c.endsWith("postgres")).orElse(true));
    }

    private static Optional<Integer> runningPort(Path cluster) throws IOException {
        List<String> pidFile = pidFile(cluster);
        if (pidFile.size() < 4 || postmaster(pidFile).isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Integer.parseInt(pidFile.get(3).trim()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static List<String> pidFile(Path cluster) throws IOException {
        Path file = cluster.resolve("postmaster.pid");
        try {
            return Files.readAllLines(file);
        } catch (java.nio.file.NoSuchFileException e) {
            return List.of();
        }
    }

    private Optional<ProcessHandle> postmasterQuietly() {
        try {
            return postmaster(cluster);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    public String url() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
    }

    public String user() {
        return USER;
    }

    /** The postmaster's pid (tests kill it to cut the power, so to speak). */
    public static Optional<Long> postmasterPid(Path dataDir) {
        try {
            return postmaster(dataDir.resolve("pg")).map(ProcessHandle::pid);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Asks the server for a fast shutdown and waits for it at most {@code wait}, without waiting for
     * a {@link #close()} in progress: for a stop that ran out of time, just before the JVM halts.
     */
    public void stopNow(Duration wait) {
        closed = true;
        if (server == null) {
            return; // attached: the server is its owner's
        }
        try {
            Optional<ProcessHandle> postmaster = postmaster(cluster);
            if (postmaster.isPresent()) {
                signal(postmaster.get().pid(), "INT");
                postmaster.get().onExit().get(wait.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (Exception e) {
            LOG.warn("The embedded PostgreSQL did not stop within {} ms ({}); its watchdog stops it when the JVM is gone",
                    wait.toMillis(), e.toString());
        }
    }

    /** Stops the server (a fast shutdown) if this process started it, and releases the cluster. */
    @Override
    public void close() {
        closed = true;
        if (supervisor != null) {
            supervisor.interrupt();
        }
        synchronized (this) {
            if (server != null) {
                Optional<ProcessHandle> postmaster = postmasterQuietly();
                try {
                    server.close();
                    // pg_ctl returns once postmaster.pid is gone, a moment before the process is
                    postmaster.ifPresent(p -> p.onExit().completeOnTimeout(p, 5, TimeUnit.SECONDS).join());
                } catch (IOException e) {
                    LOG.warn("Stopping the embedded PostgreSQL failed: {}", e.getMessage());
                }
            }
        }
        // after the server's stop, so that the watchdog finds nothing to stop and just exits
        if (watchdog != null) {
            watchdog.close();
        }
        if (lock != null) {
            try {
                lock.release();
            } catch (IOException ignored) {
                // the channel's close releases it too
            }
        }
        closeQuietly(lockChannel);
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing to do
            }
        }
    }
}
