package io.orderflow.support;

import io.orderflow.db.EmbeddedPostgresServer;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/** The orderflow jar run as a separate JVM, as an operator runs it, for tests that kill it. */
public final class OrderflowProcess implements AutoCloseable {

    private final Path jar;
    private final Path workDir;
    private Path logDir;
    private final Map<String, String> settings = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private Process process;
    private String heap = "-Xmx256m";
    private int starts;
    public final int httpPort;
    public final int brokerPort;

    public OrderflowProcess(Path workDir) throws IOException {
        this.jar = Path.of(System.getProperty("orderflow.jar", "target/orderflow.jar")).toAbsolutePath();
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: run mvn package first");
        }
        this.workDir = workDir;
        this.logDir = workDir;
        this.httpPort = freePort();
        this.brokerPort = freePort();
        settings.put("orderflow.data-dir", workDir.resolve("data").toString());
        settings.put("orderflow.http.port", String.valueOf(httpPort));
        settings.put("orderflow.broker.listen", "tcp://127.0.0.1:" + brokerPort);
        settings.put("orderflow.files.stable-window-ms", "200");
        settings.put("orderflow.files.poll-interval-ms", "100");
        settings.put("orderflow.retry.initial-delay-ms", "100");
        settings.put("orderflow.retry.max-delay-ms", "500");
        // a test's start need not wait for the warm-up; the bench and the README's tour run it
        settings.put("orderflow.startup.warmup-ms", "0");
        settings.put("orderflow.startup.connected-warmup-ms", "0");
    }

    public OrderflowProcess with(String key, String value) {
        settings.put(key, value);
        return this;
    }

    /** Where the process's output goes (its working folder by default), e.g. another disk than its data. */
    public OrderflowProcess logsIn(Path dir) {
        this.logDir = dir;
        return this;
    }

    /** The JVM's maximum heap, e.g. "64m". */
    public OrderflowProcess heap(String max) {
        this.heap = "-Xmx" + max;
        return this;
    }

    public OrderflowProcess without(String key) {
        settings.remove(key);
        return this;
    }

    /** Waits for the process to end by itself (a fault-injection halt); returns its exit code. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("orderflow still running after " + timeout);
        }
        return process.exitValue();
    }

    /** Starts without waiting for health: for a run that may halt during startup. */
    public void launch() throws IOException {
        starts++;
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add(heap);
        settings.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        // -Dorderflow.test.logback=file.xml: the process logs by another configuration, e.g. the broker client's DEBUG lines
        String logback = System.getProperty("orderflow.test.logback", "");
        if (!logback.isBlank()) {
            cmd.add("-Dlogback.configurationFile=" + Path.of(logback).toAbsolutePath());
        }
        cmd.add("-jar");
        cmd.add(jar.toString());
        process = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(log().toFile()).start();
    }

    public Path dataDir() {
        return workDir.resolve("data");
    }

    public Path log() {
        return logDir.resolve("orderflow-" + starts + ".log");
    }

    public void start() throws IOException {
        launch();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            if (!process.isAlive()) {
                throw new IllegalStateException("orderflow exited with " + process.exitValue() + ": " + Files.readString(log()));
            }
            return healthy();
        });
    }

    public boolean healthy() {
        try {
            HttpResponse<String> r = get("/observe/health");
            return r.statusCode() == 200 && r.body().contains("UP");
        } catch (IOException e) {
            return false;
        }
    }

    public HttpResponse<String> get(String path) throws IOException {
        return get(path, null);
    }

    /** A GET with the admin token (none if null). */
    public HttpResponse<String> get(String path, String adminToken) throws IOException {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                    .timeout(Duration.ofSeconds(10));
            if (adminToken != null) {
                request.header("Authorization", "Bearer " + adminToken);
            }
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /**
     * SIGKILL: no shutdown hook, no graceful anything. The embedded PostgreSQL, a process of its
     * own, is stopped by its watchdog a moment later (a fast shutdown), as after a real kill; if it
     * still runs, the next start stops it.
     */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /**
     * SIGKILL to the JVM and to the embedded PostgreSQL's postmaster: everything dies at once, as
     * in a machine crash (without losing the page cache). PostgreSQL recovers from its WAL at the
     * next start.
     */
    public void killWithDatabase() throws InterruptedException {
        // the server first: killed after the JVM, it would already be in its watchdog's fast
        // shutdown, which is no crash
        Optional<Long> pid = EmbeddedPostgresServer.postmasterPid(dataDir());
        pid.flatMap(ProcessHandle::of).ifPresent(p -> {
            p.destroyForcibly();
            p.onExit().orTimeout(30, TimeUnit.SECONDS).join();
        });
        kill();
    }

    /** Stops an embedded PostgreSQL a killed JVM's watchdog did not stop (test clean-up). */
    private void stopOrphanedDatabase() {
        try {
            EmbeddedPostgresServer.stopOrphanOf(dataDir());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** SIGTERM: the graceful shutdown an operator triggers. */
    public int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("orderflow did not stop within 60 s of SIGTERM");
        }
        return process.exitValue();
    }

    /** The JVM's threads and their stacks now (jcmd Thread.print), to find threads stuck where they should not be. */
    public String threadDump() throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), String.valueOf(process.pid()), "Thread.print").redirectErrorStream(true).start();
        String dump = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("jcmd Thread.print failed: " + dump);
        }
        return dump;
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        if (isAlive()) {
            kill();
        }
        stopOrphanedDatabase();
    }

    /** Drops a file into an inbox the way a careful writer does: written under a dot name, then renamed. */
    public static void drop(Path inbox, String name, String content) throws IOException {
        Path tmp = inbox.resolve("." + name + ".part");
        Files.writeString(tmp, content, java.nio.charset.StandardCharsets.UTF_8);
        Files.move(tmp, inbox.resolve(name));
    }

    /** How many notifications this process wrote to its mail folder (file mode). */
    public int mails() throws IOException {
        Path dir = dataDir().resolve("mail");
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            return (int) files.filter(p -> p.getFileName().toString().endsWith(".eml") && !p.getFileName().toString().startsWith("."))
                    .count();
        }
    }

    /** Whether the order is decided and its customer notified, as the API shows it. */
    public boolean settled(String orderId) {
        try {
            String body = get("/api/orders/" + orderId).body();
            return body.contains("\"notifiedAt\" : \"") && !body.contains("\"status\" : \"PLACED\"");
        } catch (IOException e) {
            return false;
        }
    }

    /** A TCP port free on this machine now. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
