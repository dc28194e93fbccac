package io.orderflow.db;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Stops the embedded PostgreSQL when the JVM that started it dies, however it dies.
 *
 * <p>The postmaster is not the JVM's child (pg_ctl detaches it into a session of its own), so a
 * SIGKILL of the JVM (an IDE's stop button, the OOM killer, a CI timeout, {@code kill -9}) runs no
 * shutdown hook and leaves the server running with its shared buffers, its port and the cluster's
 * files. This is a tiny {@code /bin/sh} child whose stdin is a pipe that only the JVM holds open and
 * never writes to. When the JVM is gone the kernel closes the pipe; the shell reads end of file and
 * asks the postmaster for a fast shutdown (SIGINT). No native code, nothing to poll.
 *
 * <p>Why it works:
 * <ul>
 *   <li>Only the JVM holds the write end: Java's process launch closes every descriptor but 0-2 in
 *   its children, so neither this shell nor pg_ctl and the postmaster it forks (started later by
 *   their own ProcessBuilder) inherit it. A postmaster holding it would keep the pipe open forever.</li>
 *   <li>The pid is read from {@code postmaster.pid} at end of file, not at start: the supervisor of
 *   {@link EmbeddedPostgresServer} may have started a new postmaster since.</li>
 *   <li>The shell ignores SIGINT, SIGTERM and SIGHUP: a Ctrl-C in a terminal or a service manager's
 *   SIGTERM reaches the whole process group, and the shell must outlive the JVM's own clean stop.
 *   The postmaster, in its own session, does not get them.</li>
 *   <li>After a clean stop the JVM closes the pipe itself, once the server is down: the shell then
 *   finds no postmaster and exits.</li>
 * </ul>
 * If this fails anyway (the shell was killed too), the next start stops the orphan.
 */
final class PostmasterWatchdog implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PostmasterWatchdog.class);

    /** $1 is the cluster folder. Reads until end of file, then stops the postmaster if it is one. */
    private static final String SCRIPT = String.join("\n",
            "trap '' INT TERM HUP",
            "while read -r line; do :; done",
            "pid=",
            "read -r pid 2>/dev/null < \"$1/postmaster.pid\"",
            "if [ -n \"$pid\" ] && [ \"$(cat /proc/$pid/comm 2>/dev/null)\" = postgres ]; then",
            "  echo \"$(date -u '+%Y-%m-%d %H:%M:%S') orderflow's JVM is gone: stopping its embedded PostgreSQL (pid $pid)\" >&2",
            "  kill -INT \"$pid\"",
            "fi");

    private final Process shell;

    private PostmasterWatchdog(Process shell) {
        this.shell = shell;
    }

    /** Starts watching; the server's stop is written to its log. */
    static PostmasterWatchdog watch(Path cluster, Path log) throws IOException {
        Process shell = new ProcessBuilder("/bin/sh", "-c", SCRIPT, "orderflow-pg-watchdog", cluster.toString())
                .redirectOutput(Redirect.DISCARD)
                .redirectError(Redirect.appendTo(log.toFile()))
                .start();
        // stdin stays a pipe, held open by this JVM and never written to
        return new PostmasterWatchdog(shell);
    }

    /**
     * Closes the pipe, as the JVM's death would: the shell stops a postmaster still running. After a
     * clean stop there is none, and the shell just exits.
     */
    @Override
    public void close() {
        try {
            shell.getOutputStream().close();
            if (!shell.waitFor(5, TimeUnit.SECONDS)) {
                LOG.warn("The embedded PostgreSQL's watchdog (pid {}) did not exit in 5 s", shell.pid());
            }
        } catch (IOException e) {
            LOG.warn("Closing the embedded PostgreSQL's watchdog failed: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
