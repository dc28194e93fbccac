package io.orderflow.docs;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README and docs/*.md against the repository: every relative link and anchor leads somewhere,
 * and docs/configuration.md states every setting with the default application.properties gives
 * it. The checkers themselves are tested on small pages first, so a green run means the docs are
 * right, not that the checker saw nothing.
 */
class DocsTest {

    /** Maven runs the tests from the project's folder. */
    private static final Path ROOT = Path.of("").toAbsolutePath();

    @Test
    void should_have_every_relative_link_and_anchor_of_the_readme_and_docs_resolve() throws IOException {
        List<Path> pages = new ArrayList<>(List.of(Path.of("README.md")));
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            docs.filter(p -> p.getFileName().toString().endsWith(".md")).sorted().forEach(p -> pages.add(ROOT.relativize(p)));
        }

        List<String> broken = BrokenLinks.in(ROOT, pages);

        assertThat(broken).as("broken links in " + pages.size() + " pages:\n" + String.join("\n", broken) + "\n").isEmpty();
    }

    @Test
    void should_list_every_setting_of_application_properties_with_its_default_in_docs_configuration_md() throws IOException {
        Properties properties = new Properties();
        try (var in = Files.newBufferedReader(ROOT.resolve("src/main/resources/application.properties"))) {
            properties.load(in);
        }
        ConfigurationPage page = new ConfigurationPage(Files.readString(ROOT.resolve("docs/configuration.md")));

        List<String> problems = page.problems(ConfigurationPage.defaults(properties));

        assertThat(problems).as("docs/configuration.md against application.properties:\n" + String.join("\n", problems) + "\n")
                .isEmpty();
    }

    @Nested
    class Anchors {

        @Test
        void should_drop_code_marks_and_punctuation() {
            assertThat(MarkdownPage.anchor("Order messages: queue `orders.in`")).isEqualTo("order-messages-queue-ordersin");
            assertThat(MarkdownPage.anchor("Guarantees and their limits")).isEqualTo("guarantees-and-their-limits");
            assertThat(MarkdownPage.anchor("What a failover does (and costs)?")).isEqualTo("what-a-failover-does-and-costs");
        }

        @Test
        void should_keep_underscores_hyphens_and_letters_of_any_script() {
            assertThat(MarkdownPage.anchor("`orders.in_x` and *emphasis*")).isEqualTo("ordersin_x-and-emphasis");
            assertThat(MarkdownPage.anchor("Stock counts: `data/stock/inbox/`")).isEqualTo("stock-counts-datastockinbox");
            assertThat(MarkdownPage.anchor("Über-Größe")).isEqualTo("über-größe");
        }

        @Test
        void should_take_a_links_text_from_a_heading() {
            assertThat(MarkdownPage.anchor("See [the guarantees](guarantees.md)")).isEqualTo("see-the-guarantees");
        }

        @Test
        void should_number_a_repeated_heading_and_strip_closing_hashes() {
            MarkdownPage page = new MarkdownPage("# Setup\n\n## Setup ##\n\n### Setup\n\n## Setup-1\n");

            assertThat(page.headings()).extracting(MarkdownPage.Heading::anchor)
                    .containsExactly("setup", "setup-1", "setup-2", "setup-1-1");
        }

        @Test
        void should_not_take_lines_inside_a_code_fence_or_without_a_space_for_headings() {
            MarkdownPage page = new MarkdownPage("""
                    # Templates
                    ```
                    #if($customer.name)Hello#end
                    # not a heading either
                    ```
                    #foreach($line in $lines)
                    ~~~~
                    ## inside a tilde fence
                    ~~~~
                    ## Real one
                    """);

            assertThat(page.headings()).extracting(MarkdownPage.Heading::text).containsExactly("Templates", "Real one");
        }
    }

    @Nested
    class Links {

        @Test
        void should_find_links_images_and_titled_links_with_their_lines() {
            MarkdownPage page = new MarkdownPage("""
                    Read [the input](docs/input.md) and
                    ![the console](docs/console-flow.png "The Flow tab"), then
                    [retention](operating.md#retention) and [up](../README.md 'title').
                    [![badge](img/b.svg)](docs/)
                    """);

            assertThat(page.links()).extracting(MarkdownPage.Link::line, MarkdownPage.Link::target).containsExactlyInAnyOrder(
                    org.assertj.core.groups.Tuple.tuple(1, "docs/input.md"),
                    org.assertj.core.groups.Tuple.tuple(2, "docs/console-flow.png"),
                    org.assertj.core.groups.Tuple.tuple(3, "operating.md#retention"),
                    org.assertj.core.groups.Tuple.tuple(3, "../README.md"),
                    org.assertj.core.groups.Tuple.tuple(4, "img/b.svg"),
                    org.assertj.core.groups.Tuple.tuple(4, "docs/"));
        }

        @Test
        void should_ignore_links_in_code_fences_and_code_spans_even_wrapped() {
            MarkdownPage page = new MarkdownPage("""
                    ```bash
                    echo "[x](missing.md)"
                    ```
                    A span `[y](missing.md)` and one that wraps `a
                    [z](missing.md)` here; autolinks <http://localhost:8080/console/> are no inline links.
                    """);

            assertThat(page.links()).isEmpty();
        }

        @Test
        void should_report_every_broken_link_with_its_file_line_and_reason(@TempDir Path root) throws IOException {
            Files.createDirectories(root.resolve("docs"));
            Files.writeString(root.resolve("README.md"), """
                    # Orderflow
                    [ok](docs/a.md#order-messages-queue-ordersin) [ok](#orderflow) [folder](docs/) [web](https://example.com/x.md)
                    [gone](docs/missing.md)
                    [no anchor](docs/a.md#nowhere)
                    """);
            Files.writeString(root.resolve("docs/a.md"), """
                    ## Order messages: queue `orders.in`
                    [ok](../README.md) [self](#order-messages-queue-ordersin) [bad self](#orderflow)
                    [anchor on a picture](shot.png#top)
                    """);

            List<String> broken = BrokenLinks.in(root, List.of(Path.of("README.md"), Path.of("docs/a.md")));

            assertThat(broken).containsExactly(
                    "README.md:3: docs/missing.md (no such file: docs/missing.md)",
                    "README.md:4: docs/a.md#nowhere (no heading in docs/a.md has the anchor #nowhere)",
                    "docs/a.md:2: #orderflow (no heading in docs/a.md has the anchor #orderflow)",
                    "docs/a.md:3: shot.png#top (no such file: docs/shot.png)");
        }
    }

    @Nested
    class ConfigurationDefaults {

        private final Map<String, String> defaults = ConfigurationPage.defaults(properties("""
                orderflow.db.url =
                orderflow.db.pool-size = 32  \s
                orderflow.data-dir = ./data
                camel.main.name = orderflow
                """));

        @Test
        void should_accept_a_page_that_states_every_default() {
            ConfigurationPage page = new ConfigurationPage(table(
                    "| `orderflow.db.url` | empty: the embedded database | a server |",
                    "| `orderflow.db.pool-size` | `32` | connections |",
                    "| `orderflow.data-dir` | `./data` (relative to the working folder) | where data goes \\| lives |"));

            assertThat(page.problems(defaults)).isEmpty();
        }

        @Test
        void should_catch_a_wrong_default_a_missing_setting_and_an_unknown_one() {
            ConfigurationPage page = new ConfigurationPage(table(
                    "| `orderflow.db.url` | `jdbc:h2:mem` | a server |",
                    "| `orderflow.db.pool-size` | `16` | connections |",
                    "| `orderflow.db.pool-max` | `64` | no such thing |"));

            assertThat(page.problems(defaults)).containsExactly(
                    "wrong default for orderflow.db.url (line 5): the page says '`jdbc:h2:mem`', application.properties has it empty "
                            + "(the cell should start with 'empty')",
                    "wrong default for orderflow.db.pool-size (line 6): the page says `16`, application.properties says `32`",
                    "not a setting of application.properties: orderflow.db.pool-max (line 7)",
                    "missing from the page: orderflow.data-dir (default './data')");
        }

        @Test
        void should_catch_a_setting_listed_twice_and_a_row_that_names_no_single_setting() {
            ConfigurationPage page = new ConfigurationPage(table(
                    "| `orderflow.db.url` | empty | a server |",
                    "| `orderflow.db.pool-size` | `32` | connections |",
                    "| `orderflow.data-dir` | `./data` | where |",
                    "| `orderflow.db.pool-size` | `32` | again |",
                    "| `orderflow.db.user`, `orderflow.db.password` | empty | both |"));

            assertThat(page.problems(defaults)).containsExactly(
                    "line 9: the first cell should be one setting in backticks: | `orderflow.db.user`, `orderflow.db.password` | empty | both |",
                    "listed twice: orderflow.db.pool-size (lines 6 and 8)");
        }

        @Test
        void should_read_only_tables_headed_setting_default_meaning() {
            ConfigurationPage page = new ConfigurationPage("""
                    | way | where | what |
                    |---|---|---|
                    | `orderflow.nothing` | `1` | not a settings table |

                    ```
                    | setting | default | meaning |
                    | `orderflow.in-a-fence` | `1` | code |
                    ```
                    """);

            assertThat(page.rows()).isEmpty();
        }

        private static String table(String... rows) {
            return "# Configuration\n\n| setting | default | meaning |\n|---|---|---|\n" + String.join("\n", rows) + "\n";
        }

        private static Properties properties(String text) {
            Properties p = new Properties();
            try {
                p.load(new StringReader(text));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return p;
        }
    }
}
