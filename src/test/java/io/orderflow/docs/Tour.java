package io.orderflow.docs;

import io.orderflow.support.OrderflowProcess;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's tour as a user takes it: the service started from a folder holding {@code examples}
 * and {@code target/orderflow.jar}, and another terminal in that folder running the tour's
 * commands. The terminal's environment points the command line at this test's service (its own
 * HTTP and broker ports rather than 8080 and 61616), and keeps what the tour exports.
 */
final class Tour {

    /** @param output what the command wrote to stdout; curl's progress meter and the like go to stderr */
    record Result(int exitCode, String output, String errors) {
    }

    private static final long COMMAND_TIMEOUT_S = 180;

    private final Path folder;
    private final OrderflowProcess service;
    private final Map<String, String> terminal = new LinkedHashMap<>();

    Tour(Path folder, OrderflowProcess service) {
        this.folder = folder;
        this.service = service;
        // the java of this build first: the tour's java must run the jar
        terminal.put("PATH", Path.of(System.getProperty("java.home"), "bin") + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        terminal.put("ORDERFLOW_HTTP_PORT", String.valueOf(service.httpPort));
        terminal.put("ORDERFLOW_BROKER_LISTEN", "tcp://127.0.0.1:" + service.brokerPort);
    }

    OrderflowProcess service() {
        return service;
    }

    /** A path under the folder the tour runs in, e.g. "data/orders/done". */
    Path path(String relative) {
        return folder.resolve(relative);
    }

    /** Runs a tour command as typed, on this test's port instead of 8080, and prints it with its output. */
    Result run(String command) throws IOException, InterruptedException {
        String onOurPort = command.replace("localhost:8080", "localhost:" + service.httpPort);
        Path stdout = Files.createTempFile("tour-", ".out");
        Path stderr = Files.createTempFile("tour-", ".err");
        try {
            ProcessBuilder shell = new ProcessBuilder("bash", "-c", onOurPort).directory(folder.toFile())
                    .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
            shell.environment().putAll(terminal);
            Process process = shell.start();
            if (!process.waitFor(COMMAND_TIMEOUT_S, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("the tour's command did not end within " + COMMAND_TIMEOUT_S + " s: " + onOurPort
                        + "\n" + Files.readString(stdout) + Files.readString(stderr));
            }
            Result result = new Result(process.exitValue(), Files.readString(stdout), Files.readString(stderr));
            System.out.printf("$ %s%n%s%s(exit %d)%n%n", onOurPort, ended(result.output()),
                    result.errors().isEmpty() ? "" : "[stderr]\n" + ended(result.errors()), result.exitCode());
            return result;
        } finally {
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
        }
    }

    private static String ended(String text) {
        return text.isEmpty() || text.endsWith("\n") ? text : text + "\n";
    }

    /** Runs a command that must succeed; its output. */
    String succeed(String command) throws IOException, InterruptedException {
        Result result = run(command);
        assertThat(result.exitCode()).as("exit code of: " + command + "\n" + result.output() + result.errors()).isZero();
        return result.output();
    }

    /** {@code export NAME=...}: evaluated by bash, and kept for every later command of the terminal. */
    String export(String command, String name) throws IOException, InterruptedException {
        String value = succeed(command + "; printf %s \"$" + name + "\"");
        terminal.put(name, value);
        return value;
    }

    /** Ctrl-C in the service's terminal: SIGTERM, and a clean end. */
    void stopService() throws InterruptedException {
        int exit = service.stop();
        System.out.printf("(the service stopped with SIGTERM, exit %d; log: %s)%n%n", exit, service.log());
        assertThat(exit).as("the service's exit code after SIGTERM").isIn(0, 143);
    }

    /** The service started again with the terminal's ORDERFLOW_ADMIN_TOKEN, as a user restarts it after exporting it. */
    void restartWithAdminToken() throws IOException, InterruptedException {
        String token = terminal.get("ORDERFLOW_ADMIN_TOKEN");
        assertThat(token).as("the tour exports ORDERFLOW_ADMIN_TOKEN before it restarts the service").isNotBlank();
        stopService();
        service.with("orderflow.admin.token", token).start();
        System.out.printf("(the service started again with the admin token; log: %s)%n%n", service.log());
    }

    /** The names of the files in a folder of the tour, without the hidden ones a writer or the service keeps. */
    List<String> files(String relative) throws IOException {
        Path dir = path(relative);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (var list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList();
        }
    }
}
