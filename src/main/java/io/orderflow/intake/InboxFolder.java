package io.orderflow.intake;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * An intake folder with inbox/, done/ and error/. Decides where a processed file goes (the route
 * moves it to the path in the {@value #TARGET} header) and writes the reasons of a rejection
 * beside the rejected file. A name already present in done/ or error/ is never overwritten.
 */
public final class InboxFolder {

    public static final String TARGET = "orderflowTarget";
    private static final Logger LOG = LoggerFactory.getLogger(InboxFolder.class);
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS").withZone(ZoneOffset.UTC);

    private final String kind;
    private final Path root;
    private final Counter rejected;

    public InboxFolder(String kind, Path root, MeterRegistry meters) {
        this.kind = kind;
        this.root = root;
        this.rejected = Counter.builder("orderflow.files.rejected").tag("kind", kind)
                .description("Input files moved to the error folder").register(meters);
        try {
            Files.createDirectories(root.resolve("inbox"));
            Files.createDirectories(root.resolve("done"));
            Files.createDirectories(root.resolve("error"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + root + ": " + e.getMessage(), e);
        }
    }

    public Path inbox() {
        return root.resolve("inbox");
    }

    /** Marks the exchange's file to go to done/. */
    public void accepted(Exchange exchange) {
        exchange.getIn().setHeader(TARGET, unique(root.resolve("done"), fileName(exchange)).toString());
    }

    /** Moves the exchange's file to error/ and writes why beside it, as name.error.txt. */
    public void reject(Exchange exchange) {
        Throwable failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        List<String> problems = failure instanceof RejectedInputException r ? r.problems()
                : List.of("could not be processed: " + failure);
        String name = fileName(exchange);
        Path target = unique(root.resolve("error"), name);
        StringBuilder report = new StringBuilder();
        report.append(kind).append(" file ").append(name).append(" rejected at ").append(Instant.now()).append('\n');
        report.append("Nothing in it was applied. Problems:\n");
        problems.forEach(p -> report.append("- ").append(p).append('\n'));
        try {
            Files.writeString(target.resolveSibling(target.getFileName() + ".error.txt"), report, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the rejection report for " + name, e);
        }
        exchange.getIn().setHeader(TARGET, target.toString());
        rejected.increment();
        LOG.warn("Rejected {} file {} (moved to {}): {}", kind, name, target, String.join("; ", problems));
    }

    private static String fileName(Exchange exchange) {
        return exchange.getIn().getHeader(Exchange.FILE_NAME_ONLY, String.class);
    }

    /** The name itself if free, else name with a timestamp (and a counter) before its extension. */
    static Path unique(Path dir, String name) {
        Path candidate = dir.resolve(name);
        if (!Files.exists(candidate) && !Files.exists(dir.resolve(name + ".error.txt"))) {
            return candidate;
        }
        int dot = name.lastIndexOf('.');
        String base = dot > 0 ? name.substring(0, dot) : name;
        String ext = dot > 0 ? name.substring(dot) : "";
        String stamp = STAMP.format(Instant.now());
        for (int i = 1; ; i++) {
            candidate = dir.resolve(base + "." + stamp + (i == 1 ? "" : "-" + i) + ext);
            if (!Files.exists(candidate)) {
                return candidate;
            }
        }
    }
}
