package io.orderflow.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Two servers made and run by one of the example scripts users deploy (examples/ha/*-pair.sh), on
 * free ports: each side runs as a process of its own (the script execs the server), killed with
 * SIGKILL. What is tested is what is shipped.
 */
abstract class ScriptedPair implements AutoCloseable {

    protected final Path dir;
    protected final int primaryPort;
    protected final int secondPort;
    private final Path script;
    private final String secondPortVariable;
    private final Map<String, Process> running = new HashMap<>();

    /** script: the example's file name; secondPortVariable: its variable for the other side's port. */
    protected ScriptedPair(String script, String secondPortVariable, Path dir) throws IOException {
        this.script = Path.of("examples/ha", script).toAbsolutePath();
        this.secondPortVariable = secondPortVariable;
        this.dir = dir;
        this.primaryPort = OrderflowProcess.freePort();
        this.secondPort = OrderflowProcess.freePort();
    }

    /** The script with these arguments and the pair's ports, plus what {@link #environment} adds. */
    protected ProcessBuilder script(String... args) {
        ProcessBuilder pb = new ProcessBuilder();
        pb.command().add("bash");
        pb.command().add(script.toString());
        pb.command().addAll(List.of(args));
        pb.environment().put("PRIMARY_PORT", String.valueOf(primaryPort));
        pb.environment().put(secondPortVariable, String.valueOf(secondPort));
        environment(pb.environment());
        return pb;
    }

    /** More of the script's variables. */
    protected void environment(Map<String, String> env) {
    }

    /** Runs the script to its end (create, promote), its output in log; fails if it fails. */
    protected void runToEnd(Path log, String... args) throws IOException, InterruptedException {
        Process p = script(args).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(script.getFileName() + " " + args[0] + " failed: " + Files.readString(log));
        }
    }

    /** Starts one side with the script's run command; does not wait. */
    protected void run(String side, ProcessBuilder.Redirect output, String... args) throws IOException {
        running.put(side, script(args).redirectErrorStream(true).redirectOutput(output).start());
    }

    /** Whether the side was started and has since exited by itself. */
    protected boolean exited(String side) {
        Process p = running.get(side);
        return p != null && !p.isAlive();
    }

    /** SIGKILL to the side's server. */
    public void kill(String side) throws InterruptedException {
        Process p = running.remove(side);
        if (p != null) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() throws InterruptedException {
        for (String side : List.copyOf(running.keySet())) {
            kill(side);
        }
    }
}
