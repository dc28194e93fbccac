package io.orderflow.docs;

import io.orderflow.support.OrderflowProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The README's five-minute tour, run against the jar as a user would run it: every command of the
 * tour's code blocks in order, in a folder holding {@code examples} and {@code target/orderflow.jar},
 * each followed by a check of what the README says happens. Commands that need a second terminal
 * or Ctrl-C are played by the test ({@link TourStep}).
 */
class TourIT {

    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final String TOUR = "A five-minute tour";
    /** Code blocks of these kinds are commands to type; json, java and the like are shown, not run. */
    private static final Set<String> SHELL = Set.of("", "bash", "sh");

    @TempDir
    Path folder;

    @Test
    void should_keep_every_promise_of_the_readme_tour() throws Exception {
        List<String> commands = tourCommands();
        // every command is known before anything runs: an unknown one fails at once
        List<TourStep> steps = commands.stream().map(TourStep::of).toList();
        Path jar = Path.of(System.getProperty("orderflow.jar", "target/orderflow.jar")).toAbsolutePath();
        Files.createSymbolicLink(folder.resolve("examples"), ROOT.resolve("examples"));
        Files.createSymbolicLink(Files.createDirectories(folder.resolve("target")).resolve("orderflow.jar"), jar);

        try (OrderflowProcess service = new OrderflowProcess(folder)) {
            // "With the service running, in another terminal, from the folder you started it in"
            service.start();
            Tour tour = new Tour(folder, service);
            for (int i = 0; i < commands.size(); i++) {
                steps.get(i).take(tour, commands.get(i));
            }
        }
    }

    @Test
    void should_refuse_a_tour_command_it_does_not_know() {
        assertThatThrownBy(() -> TourStep.of("rm -rf data/orders/done"))
                .hasMessageStartingWith("the tour has a command TourIT does not know: rm -rf data/orders/done");
        assertThatThrownBy(() -> TourStep.of("curl localhost:8080/api/orders/A-9999"))
                .hasMessageContaining("does not know");
        assertThat(TourStep.of("java -jar target/orderflow.jar      # in one terminal")).isEqualTo(TourStep.RESTART_WITH_TOKEN);
        assertThat(TourStep.of("curl -s localhost:8080/observe/health   # UP")).isEqualTo(TourStep.HEALTH);
    }

    /** Every non-blank line of the shell code blocks between the tour's heading and the next "## " heading. */
    private static List<String> tourCommands() throws Exception {
        MarkdownPage readme = new MarkdownPage(Files.readString(ROOT.resolve("README.md")));
        List<String> commands = readme.codeBlocksUnder(TOUR).stream().filter(b -> SHELL.contains(b.info()))
                .flatMap(b -> b.lines().stream()).filter(line -> !line.isBlank()).toList();
        assertThat(commands).as("the commands of the README's section '" + TOUR + "'").isNotEmpty();
        System.out.println("The tour's commands:\n  " + String.join("\n  ", commands) + "\n");
        return commands;
    }
}
