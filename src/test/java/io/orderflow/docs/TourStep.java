package io.orderflow.docs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.awaitility.core.ThrowingRunnable;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The commands of the README's five-minute tour that TourIT knows, each with what the README
 * promises right after it. A command is recognised by its text without its comment; any other
 * command fails the tour, so a changed tour cannot pass without its promises being checked.
 */
enum TourStep {

    STOCK_COUNT("cp examples/stock.csv data/stock/inbox/") {
        @Override
        void take(Tour tour, String command) throws Exception {
            tour.succeed(command);
            // the orders that follow must find the stock counted
            within(() -> assertThat(tour.files("data/stock/done")).as("data/stock/done").contains("stock.csv"));
        }
    },

    ORDER_FILES("cp examples/orders/*.json data/orders/inbox/") {
        @Override
        void take(Tour tour, String command) throws Exception {
            tour.succeed(command);
            within(() -> {
                assertThat(tour.files("data/orders/done")).as("data/orders/done").contains("a-1001.json", "batch-1002.json");
                assertThat(tour.files("data/orders/error")).as("data/orders/error").contains("bad-1004.json", "bad-1004.json.error.txt");
                assertThat(tour.files("data/mail")).as("data/mail")
                        .contains("A-1001.confirmation.eml", "A-1003.confirmation.eml", "A-1002.out-of-stock.eml");
            });
            assertThat(Files.readString(tour.path("data/orders/error/bad-1004.json.error.txt")))
                    .as("the error file names every problem").contains("coupon").containsIgnoringCase("email").contains("quantity");
            // 3 available, or 2 if A-1003 took its mug first: the two orders are independent
            assertThat(Files.readString(tour.path("data/mail/A-1002.out-of-stock.eml"))).as("the out-of-stock mail")
                    .containsPattern("MUG-7: ordered 5, available [23]\\b");
            assertThat(Files.readString(tour.path("data/mail/A-1001.confirmation.eml"))).as("each email carries the order's trace id")
                    .containsPattern("(?m)^X-Orderflow-Trace-Id: [0-9a-f]{32}\\r?$");
            // what the service answers next is decided once the mails are written; give it the same few seconds
            within(() -> assertThat(List.of("A-1001", "A-1002", "A-1003")).as("orders decided and notified")
                    .allMatch(id -> tour.service().settled(id)));
        }
    },

    ORDER_CONFIRMED(curl("/api/orders/A-1001")) {
        @Override
        void take(Tour tour, String command) throws Exception {
            JsonNode order = json(tour.succeed(command));
            assertThat(order.path("status").asText()).isEqualTo("CONFIRMED");
            assertThat(order.path("lines")).as("lines").isNotEmpty();
            assertThat(types(order.path("timeline"))).as("the event timeline").contains("OrderPlaced", "StockReserved", "CustomerNotified");
        }
    },

    ORDER_REJECTED(curl("/api/orders/A-1002")) {
        @Override
        void take(Tour tour, String command) throws Exception {
            JsonNode order = json(tour.succeed(command));
            assertThat(order.path("status").asText()).isEqualTo("REJECTED");
            assertThat(order.path("rejectionReason").asText()).contains("MUG-7");
        }
    },

    STOCK_LEVEL(curl("/api/stock/BOOK-42")) {
        @Override
        void take(Tour tour, String command) throws Exception {
            JsonNode sku = json(tour.succeed(command));
            assertThat(sku.path("sku").asText()).isEqualTo("BOOK-42");
            assertThat(List.of(sku.path("onHand").asInt(), sku.path("reserved").asInt(), sku.path("available").asInt()))
                    .as("onHand, reserved, available").containsExactly(10, 3, 7);
        }
    },

    HEALTH(curl("/observe/health")) {
        @Override
        void take(Tour tour, String command) throws Exception {
            JsonNode health = json(tour.succeed(command));
            assertThat(health.path("status").asText()).isEqualTo("UP");
            List<String> up = new ArrayList<>();
            health.path("checks").forEach(c -> up.add(c.path("name").asText() + " " + c.path("status").asText()));
            assertThat(up).as("with the database and the broker").contains("database UP", "broker UP");
        }
    },

    METRICS(curl("/observe/metrics")) {
        @Override
        void take(Tour tour, String command) throws Exception {
            assertThat(tour.succeed(command)).containsPattern("(?m)^orderflow_orders_accepted_total(\\{[^}]*\\})? 3\\.0$");
        }
    },

    DUPLICATE_ORDER("cp examples/orders/a-1001.json data/orders/inbox/") {
        @Override
        void take(Tour tour, String command) throws Exception {
            List<String> errorsBefore = tour.files("data/orders/error");
            tour.succeed(command);
            within(() -> {
                assertThat(tour.files("data/orders/done")).as("data/orders/done")
                        .anySatisfy(n -> assertThat(n).startsWith("a-1001.").isNotEqualTo("a-1001.json"));
                assertThat(tour.files("data/orders/inbox")).as("data/orders/inbox").isEmpty();
            });
            assertThat(tour.files("data/orders/error")).as("no new file in error/").isEqualTo(errorsBefore);
            assertThat(Files.readString(tour.service().log())).as("the duplicate is logged")
                    .contains("Order A-1001 from").contains("ignoring the duplicate");
            assertThat(tour.service().get("/observe/metrics").body()).as("the duplicate is counted")
                    .containsPattern("(?m)^orderflow_orders_duplicates_total(\\{[^}]*\\})? 1\\.0$");
        }
    },

    ADMIN_TOKEN("export ORDERFLOW_ADMIN_TOKEN=$(openssl rand -hex 24)") {
        @Override
        void take(Tour tour, String command) throws Exception {
            assertThat(tour.export(command, "ORDERFLOW_ADMIN_TOKEN")).matches("[0-9a-f]{48}");
        }
    },

    /** The tour means: stop the running service (Ctrl-C) and start it again, with the admin token. */
    RESTART_WITH_TOKEN("java -jar target/orderflow.jar") {
        @Override
        void take(Tour tour, String command) throws Exception {
            tour.restartWithAdminToken();
        }
    },

    DEAD_LETTERS("java -jar target/orderflow.jar dead-letters list") {
        @Override
        void take(Tour tour, String command) throws Exception {
            assertThat(tour.succeed(command)).as("nothing waits").startsWith("0 dead letter(s)");
        }
    },

    REPLAY_DRY_RUN("java -jar target/orderflow.jar replay --order-id=A-1001 --dry-run") {
        @Override
        void take(Tour tour, String command) throws Exception {
            JsonNode outcome = json(tour.succeed(command));
            assertThat(outcome.path("dryRun").asBoolean()).as("a dry run").isTrue();
            assertThat(outcome.path("events").asInt()).as("A-1001's events").isEqualTo(3);
            assertThat(outcome.path("byQueue")).as("where they would go").isNotEmpty();
        }
    },

    /** The tour stops the service first (Ctrl-C), then checks. */
    CHECK("java -jar target/orderflow.jar check") {
        @Override
        void take(Tour tour, String command) throws Exception {
            tour.stopService();
            assertThat(tour.succeed(command)).contains("OK: every invariant holds, nothing pending");
        }
    };

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration FEW_SECONDS = Duration.ofSeconds(30);

    private final Pattern command;

    TourStep(String command) {
        this(Pattern.compile(Pattern.quote(command)));
    }

    TourStep(Pattern command) {
        this.command = command;
    }

    abstract void take(Tour tour, String command) throws Exception;

    /** @throws AssertionError for a command this test does not know */
    static TourStep of(String command) {
        String typed = command.replaceFirst("(^|\\s+)#.*$", "").trim().replaceAll("\\s+", " ");
        return Arrays.stream(values()).filter(s -> s.command.matcher(typed).matches()).findFirst()
                .orElseThrow(() -> new AssertionError("the tour has a command TourIT does not know: " + command
                        + "\n(add it to " + TourStep.class.getName() + " with what the README promises after it)"));
    }

    /** {@code curl localhost:8080<path>}, with or without options and http://, keyed on the path. */
    private static Pattern curl(String path) {
        return Pattern.compile("curl(?: -\\S+)* (?:http://)?localhost:8080" + Pattern.quote(path));
    }

    /** "Within a few seconds": the assertions hold before long, or fail with what the folders held last. */
    private static void within(ThrowingRunnable assertions) {
        await().atMost(FEW_SECONDS).pollInterval(Duration.ofMillis(200)).untilAsserted(assertions);
    }

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    private static List<String> types(JsonNode events) {
        List<String> types = new ArrayList<>();
        events.forEach(e -> types.add(e.path("type").asText()));
        return types;
    }
}
