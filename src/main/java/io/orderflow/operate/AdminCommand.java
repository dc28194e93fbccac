package io.orderflow.operate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.orderflow.config.Settings;
import io.orderflow.outbox.EventJson;

import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code java -jar orderflow.jar dead-letters list|show|retry|discard|audit} and
 * {@code java -jar orderflow.jar replay ...}: the admin API of the running orderflow (orderflow.http.host/port of these settings), with orderflow.admin.token.
 * The broker and database are the running instance's, so the command works on the embedded
 * defaults as on a scaled-out deployment.
 */
public final class AdminCommand {

    static final String USAGE = """
            usage: java -jar orderflow.jar dead-letters <command>
              list    [filters] [--offset=N] [--limit=N]   the dead letters, oldest first
              show    ID                                  one, with its body and properties
              retry   ID... | --all [filters]             back to the queue each failed on
              discard --because=TEXT ID... | --all [filters]
              audit   [--limit=N]                         what was retried and discarded
            filters: --source=orderflow.dead-letter|orders.in.rejected|notifications --event-type=TYPE
                     --order-id=ID --reason=TEXT (part of the failure) --older-than=PT1H (ISO-8601)
            needs orderflow.admin.token (e.g. ORDERFLOW_ADMIN_TOKEN) as set on the running orderflow""";

    static final String REPLAY_USAGE = """
            usage: java -jar orderflow.jar replay (--order-id=ID | --since=INSTANT [--until=INSTANT]) [--event-type=TYPE]
                                                  [--queue=QUEUE] [--dry-run]
              replays published events from the outbox history (kept for orderflow.retention.outbox) to one
              queue bound to orderflow.events, or to every subscriber; instants are ISO-8601 (2026-12-01T10:00:00Z)
            needs orderflow.admin.token (e.g. ORDERFLOW_ADMIN_TOKEN) as set on the running orderflow""";

    private static final Map<String, String> REPLAY_OPTIONS = Map.of("--order-id", "orderId", "--since", "since", "--until", "until",
            "--event-type", "eventType", "--queue", "queue");

    private static final Map<String, String> FILTERS = Map.of("--source", "source", "--event-type", "eventType",
            "--order-id", "orderId", "--reason", "reason", "--older-than", "olderThan");

    private AdminCommand() {
    }

    /** {@code replay ...}: one POST to /admin/replay. */
    public static int replay(Settings settings, String[] args, PrintStream out) {
        ObjectNode body = EventJson.MAPPER.createObjectNode();
        for (int i = 1; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            String name = eq < 0 ? args[i] : args[i].substring(0, eq);
            if (name.equals("--dry-run")) {
                body.put("dryRun", true);
            } else if (REPLAY_OPTIONS.containsKey(name) && eq > 0) {
                body.put(REPLAY_OPTIONS.get(name), args[i].substring(eq + 1));
            } else {
                out.println("orderflow: unknown option " + args[i] + "\n" + REPLAY_USAGE);
                return 2;
            }
        }
        String token = settings.get("orderflow.admin.token");
        if (token.isEmpty() || body.isEmpty()) {
            out.println(token.isEmpty() ? "orderflow: set orderflow.admin.token (for example ORDERFLOW_ADMIN_TOKEN) to the running "
                    + "orderflow's admin token" : REPLAY_USAGE);
            return 2;
        }
        return call(settings, post(base(settings) + "/admin/replay", token, body), false, out);
    }

    public static int run(Settings settings, String[] args, PrintStream out) {
        if (args.length < 2) {
            out.println(USAGE);
            return 2;
        }
        String token = settings.get("orderflow.admin.token");
        if (token.isEmpty()) {
            out.println("orderflow: set orderflow.admin.token (for example ORDERFLOW_ADMIN_TOKEN) to the running orderflow's admin token");
            return 2;
        }
        Map<String, String> filter = new LinkedHashMap<>();
        Map<String, String> options = new LinkedHashMap<>();
        List<String> ids = new ArrayList<>();
        boolean all = false;
        for (int i = 2; i < args.length; i++) {
            String arg = args[i];
            int eq = arg.indexOf('=');
            String name = eq < 0 ? arg : arg.substring(0, eq);
            String value = eq < 0 ? "" : arg.substring(eq + 1);
            if (FILTERS.containsKey(name)) {
                filter.put(FILTERS.get(name), value);
            } else if (name.equals("--offset") || name.equals("--limit") || name.equals("--because")) {
                options.put(name.substring(2), value);
            } else if (name.equals("--all")) {
                all = true;
            } else if (arg.startsWith("--")) {
                out.println("orderflow: unknown option " + arg + "\n" + USAGE);
                return 2;
            } else {
                ids.add(arg);
            }
        }
        String base = base(settings);
        HttpRequest request;
        switch (args[1]) {
            case "list" -> {
                Map<String, String> query = new LinkedHashMap<>(filter);
                query.putAll(options);
                request = get(base + "/admin/dead-letters" + query(query), token);
            }
            case "show" -> {
                if (ids.size() != 1) {
                    out.println("orderflow: show takes one dead letter id\n" + USAGE);
                    return 2;
                }
                request = get(base + "/admin/dead-letters/" + URLEncoder.encode(ids.get(0), StandardCharsets.UTF_8).replace("+", "%20"), token);
            }
            case "retry", "discard" -> {
                if (ids.isEmpty() == !all || (!ids.isEmpty() && !filter.isEmpty())) {
                    out.println("orderflow: " + args[1] + " takes dead letter ids, or --all with optional filters\n" + USAGE);
                    return 2;
                }
                ObjectNode body = EventJson.MAPPER.createObjectNode();
                if (all) {
                    ObjectNode f = body.putObject("filter");
                    filter.forEach(f::put);
                } else {
                    ArrayNode list = body.putArray("ids");
                    ids.forEach(list::add);
                }
                if (options.containsKey("because")) {
                    body.put("reason", options.get("because"));
                }
                request = post(base + "/admin/dead-letters/" + args[1], token, body);
            }
            case "audit" -> request = get(base + "/admin/audit" + query(options), token);
            default -> {
                out.println("orderflow: unknown dead-letters command '" + args[1] + "'\n" + USAGE);
                return 2;
            }
        }
        return call(settings, request, args[1].equals("list"), out);
    }

    private static String base(Settings settings) {
        return "http://" + settings.get("orderflow.http.host") + ":" + settings.get("orderflow.http.port");
    }

    private static HttpRequest post(String uri, String token, ObjectNode body) {
        return HttpRequest.newBuilder(URI.create(uri)).header("Authorization", "Bearer " + token).header("User-Agent", "orderflow-cli")
                .header("Content-Type", "application/json").timeout(Duration.ofMinutes(30))
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
    }

    private static int call(Settings settings, HttpRequest request, boolean table, PrintStream out) {
        String base = base(settings);
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
            JsonNode answer;
            try {
                answer = EventJson.MAPPER.readTree(response.body());
            } catch (com.fasterxml.jackson.core.JsonProcessingException notJson) {
                out.println("orderflow: " + response.statusCode() + " from " + base + (response.statusCode() == 404
                        ? ": no admin endpoints there; is orderflow.admin.token set on the running orderflow?" : ": " + response.body()));
                return 1;
            }
            if (response.statusCode() != 200) {
                out.println("orderflow: " + response.statusCode() + ": " + answer.path("error").asText(response.body()));
                return 1;
            }
            if (table) {
                printTable(answer, out);
            } else {
                out.println(EventJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(answer));
            }
            return 0;
        } catch (ConnectException e) {
            out.println("orderflow: no orderflow answers on " + base + " (orderflow.http.host/port): is it running?");
            return 1;
        } catch (Exception e) {
            out.println("orderflow: " + e);
            return 1;
        }
    }

    private static void printTable(JsonNode page, PrintStream out) {
        out.printf("%d dead letter(s)%s%n", page.get("total").asInt(), page.get("total").asInt() > page.get("deadLetters").size()
                ? ", showing " + page.get("deadLetters").size() + " from " + page.get("offset").asInt() : "");
        for (JsonNode l : page.get("deadLetters")) {
            out.printf("%s  %s  %s  %s  %s  %s%n", l.path("id").asText(), l.path("source").asText(), l.path("eventType").asText("-"),
                    l.path("orderId").asText("-"), l.path("failedAt").asText(), l.path("reason").asText(""));
        }
    }

    private static HttpRequest get(String uri, String token) {
        return HttpRequest.newBuilder(URI.create(uri)).header("Authorization", "Bearer " + token)
                .header("User-Agent", "orderflow-cli").timeout(Duration.ofMinutes(2)).GET().build();
    }

    private static String query(Map<String, String> values) {
        if (values.isEmpty()) {
            return "";
        }
        List<String> pairs = new ArrayList<>();
        values.forEach((k, v) -> pairs.add(k + "=" + URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return "?" + String.join("&", pairs);
    }
}
