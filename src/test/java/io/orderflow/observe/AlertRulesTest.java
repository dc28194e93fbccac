package io.orderflow.observe;

import io.orderflow.support.FlowTestSupport;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import io.orderflow.support.MachinePart;

/** examples/alerts.yml: valid for Prometheus, and about meters orderflow really exposes. */
class AlertRulesTest extends FlowTestSupport {

    private static final Path RULES = Path.of("examples/alerts.yml");
    /** Registered at the first occurrence of what they count, so absent from a quiet instance. */
    private static final Set<String> REGISTERED_ON_FIRST_USE = Set.of("orderflow_retries_in_place_total", "orderflow_files_rejected_total");

    @Test
    void should_pass_promtool_check_rules() throws Exception {
        // .ci/run installs Debian's prometheus package, which ships promtool
        MachinePart.require(onPath("promtool"), "promtool is not installed (apt-get install prometheus); .ci/run installs it");
        Process promtool = new ProcessBuilder("promtool", "check", "rules", RULES.toString()).redirectErrorStream(true).start();
        String output = new String(promtool.getInputStream().readAllBytes());
        assertThat(promtool.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(promtool.exitValue()).as(output).isZero();
        assertThat(output).contains("SUCCESS");
    }

    @Test
    void should_only_name_meters_that_orderflow_exposes() throws Exception {
        Set<String> named = new TreeSet<>();
        Matcher m = Pattern.compile("orderflow_[a-z_]+").matcher(Files.readString(RULES));
        while (m.find()) {
            named.add(m.group());
        }
        assertThat(named).contains("orderflow_outbox_oldest_unpublished_age_seconds", "orderflow_dead_letters",
                "orderflow_events_redelivered_total", "orderflow_retention_run_seconds_max");
        String metrics = get("/observe/metrics").body();
        for (String name : named) {
            if (!REGISTERED_ON_FIRST_USE.contains(name)) {
                assertThat(metrics).as(name).containsPattern("(?m)^" + name + "[{ ]");
            }
        }
        assertThat(metrics).containsPattern("(?m)^orderflow_dead_letters\\{source=\"orderflow.dead-letter\",?\\} 0\\.0");
    }

    private static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }
}
