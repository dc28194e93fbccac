package io.orderflow.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CPU per thread of another JVM, from its thread dump ({@code jcmd <pid> Thread.print}, which gives
 * each thread's CPU time since JDK 11), grouped by name with the numbers taken out: a stage's
 * threads ("jms-batch[orderflow.events.stock]", "notification-sender", "order-relay", ...) add up.
 */
final class ThreadCpu {

    private static final Pattern THREAD = Pattern.compile("^\"(.*)\" .*\\bcpu=([0-9.]+)ms");
    private static final Pattern CAMEL = Pattern.compile("^Camel \\([^)]*\\) thread #\\d+ - ");

    private final Map<String, Double> millis;

    private ThreadCpu(Map<String, Double> millis) {
        this.millis = millis;
    }

    static ThreadCpu sample(long pid) {
        Map<String, Double> millis = new HashMap<>();
        try {
            Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), String.valueOf(pid),
                    "Thread.print").redirectErrorStream(true).start();
            String dump = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            jcmd.waitFor();
            for (String line : dump.split("\n")) {
                Matcher m = THREAD.matcher(line);
                if (m.find()) {
                    String name = CAMEL.matcher(m.group(1)).replaceFirst("").replaceAll("\\d+", "N");
                    millis.merge(name, Double.parseDouble(m.group(2)), Double::sum);
                }
            }
        } catch (IOException e) {
            // no jcmd (a JRE): no breakdown
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new ThreadCpu(millis);
    }

    /** Milliseconds of CPU per order each thread group used from this sample to a later one, largest first. */
    Map<String, Double> since(ThreadCpu later, int orders) {
        Map<String, Double> delta = new HashMap<>();
        later.millis.forEach((name, ms) -> {
            double d = ms - millis.getOrDefault(name, 0.0);
            if (d > 0) {
                delta.put(name, Math.round(d / orders * 1000) / 1000.0);
            }
        });
        Map<String, Double> sorted = new LinkedHashMap<>();
        delta.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }
}
