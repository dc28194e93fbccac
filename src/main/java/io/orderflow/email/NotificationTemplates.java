package io.orderflow.email;

import com.fasterxml.jackson.databind.JsonNode;
import io.orderflow.config.Settings;
import io.orderflow.config.SettingsException;
import io.orderflow.outbox.Event;
import io.orderflow.outbox.EventJson;
import org.apache.velocity.Template;
import org.apache.velocity.runtime.parser.ParseException;
import org.apache.velocity.VelocityContext;
import org.apache.velocity.exception.ParseErrorException;
import org.apache.velocity.runtime.RuntimeInstance;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The wording of the emails: a Velocity template per kind of notification, parsed once when the
 * service starts and rendered for each notification (parsing a template costs more than rendering
 * it, and this runs for every order). The templates packed in the jar (templates/email/*.vm) are overridden file
 * by file by those in orderflow.mail.templates-dir. A template's first line is "Subject: ...",
 * then a blank line, then the text. Variables: $orderId, $customer.name, $customer.email, $lines
 * (each $line.sku, $line.quantity) and, out of stock, $missing (each $item.sku, $item.requested,
 * $item.available, $item.unknown). A reference to a field that is not there is rendered as
 * written ($customer.nickname), visibly, never as a failure.
 */
public final class NotificationTemplates {

    public static final List<String> NAMES = List.of(Notification.CONFIRMATION + ".vm", Notification.OUT_OF_STOCK + ".vm",
            Notification.CONFIRMATION + ".html.vm", Notification.OUT_OF_STOCK + ".html.vm");
    private static final String IN_JAR = "templates/email/";
    private static final String SUBJECT = "Subject:";

    /** @param html the HTML alternative of the body */
    record Rendered(String subject, String body, String html) {
    }

    /** By kind ("confirmation", "confirmation.html", ...); a Template merges from many threads at once. */
    private final Map<String, Template> templates = new LinkedHashMap<>();

    public NotificationTemplates(Settings settings) {
        RuntimeInstance velocity = new RuntimeInstance();
        velocity.init();
        sources(settings).forEach((name, source) -> {
            String where = source.startsWith("file:") ? source.substring(5) : source;
            Template template = new Template();
            template.setName(where);
            template.setRuntimeServices(velocity);
            try {
                template.setData(velocity.parse(new StringReader(read(source, where)), template));
            } catch (ParseException e) {
                // check() refused such a template before anything started
                throw new SettingsException("email template " + where + " does not parse: " + e.getMessage());
            }
            template.initDocument();
            templates.put(name.substring(0, name.length() - 3), template);
        });
    }

    /** Each template's source, for the velocity component: a file of the folder, or the jar's. */
    private static Map<String, String> sources(Settings settings) {
        Map<String, String> sources = new LinkedHashMap<>();
        String dir = settings.get("orderflow.mail.templates-dir");
        for (String name : NAMES) {
            Path file = dir.isEmpty() ? null : Path.of(dir).toAbsolutePath().resolve(name);
            sources.put(name, file != null && Files.isRegularFile(file) ? "file:" + file : "classpath:" + IN_JAR + name);
        }
        return sources;
    }

    /**
     * Refuses, with one line naming the file and the line, a templates folder that is missing,
     * holds a template orderflow does not know, or a template that does not parse or does not
     * begin with its subject. Called by the settings' validation, before anything starts.
     */
    public static void check(Settings settings) {
        String dir = settings.get("orderflow.mail.templates-dir");
        if (!dir.isEmpty()) {
            Path folder = Path.of(dir).toAbsolutePath();
            if (!Files.isDirectory(folder)) {
                throw new SettingsException("orderflow.mail.templates-dir " + folder + " is not a folder");
            }
            try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, "*.vm")) {
                for (Path f : files) {
                    if (!NAMES.contains(f.getFileName().toString())) {
                        throw new SettingsException("orderflow.mail.templates-dir: no template is called " + f.getFileName()
                                + " (templates: " + String.join(", ", NAMES) + ")");
                    }
                }
            } catch (IOException e) {
                throw new SettingsException("orderflow.mail.templates-dir " + folder + " cannot be read: " + e.getMessage());
            }
        }
        RuntimeInstance velocity = new RuntimeInstance();
        velocity.init();
        for (Map.Entry<String, String> t : sources(settings).entrySet()) {
            String where = t.getValue().startsWith("file:") ? t.getValue().substring(5) : t.getValue();
            String text = read(t.getValue(), where);
            if (!t.getKey().endsWith(".html.vm") && !text.startsWith(SUBJECT)) {
                throw new SettingsException("email template " + where + " line 1: must begin with \"Subject: ...\"");
            }
            try {
                velocity.evaluate(new VelocityContext(), new StringWriter(), t.getKey(), new StringReader(text));
            } catch (ParseErrorException e) {
                String reason = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
                throw new SettingsException("email template " + where + " line " + e.getLineNumber() + ", column "
                        + e.getColumnNumber() + ": does not parse (" + reason + ")");
            }
        }
    }

    private static String read(String source, String where) {
        try {
            if (source.startsWith("file:")) {
                return Files.readString(Path.of(where), StandardCharsets.UTF_8);
            }
            try (InputStream in = NotificationTemplates.class.getClassLoader().getResourceAsStream(where.substring("classpath:".length()))) {
                if (in == null) {
                    throw new IllegalStateException(where + " is missing from the jar");
                }
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new SettingsException("email template " + where + " cannot be read: " + e.getMessage());
        }
    }

    /** The subject and text of the notification of this kind about the decision. */
    Rendered render(String kind, Event decision) {
        Map<String, Object> model = new LinkedHashMap<>();
        JsonNode data = decision.data();
        model.put("orderId", decision.orderId());
        model.put("kind", kind);
        model.put("customer", EventJson.MAPPER.convertValue(data.path("customer"), Map.class));
        model.put("lines", data.has("lines") ? EventJson.MAPPER.convertValue(data.get("lines"), List.class) : List.of());
        model.put("missing", data.has("missing") ? EventJson.MAPPER.convertValue(data.get("missing"), List.class) : List.of());
        String text = render(templates.get(kind), model).replace("\r\n", "\n");
        // in HTML, every value from the order is text: <script> in a name is shown, never run
        String html = render(templates.get(kind + ".html"), escaped(model)).replace("\r\n", "\n").replace("\n", "\r\n");
        int end = text.indexOf('\n');
        String subject = (end < 0 ? text : text.substring(0, end)).substring(SUBJECT.length()).trim();
        String body = end < 0 ? "" : text.substring(end + 1);
        if (body.startsWith("\n")) {
            body = body.substring(1);
        }
        return new Rendered(subject, body.replace("\n", "\r\n"), html);
    }

    private static String render(Template template, Map<String, Object> model) {
        StringWriter out = new StringWriter();
        try {
            template.merge(new VelocityContext(new HashMap<>(model)), out);
        } catch (RuntimeException e) {
            throw new IllegalStateException("the template " + template.getName() + " failed: " + e.getMessage(), e);
        }
        return out.toString();
    }

    /** The model with every string HTML-escaped, at any depth. */
    @SuppressWarnings("unchecked")
    static <T> T escaped(T value) {
        if (value instanceof String s) {
            StringBuilder out = new StringBuilder(s.length());
            for (char c : s.toCharArray()) {
                switch (c) {
                    case '<' -> out.append("&lt;");
                    case '>' -> out.append("&gt;");
                    case '&' -> out.append("&amp;");
                    case '"' -> out.append("&quot;");
                    case '\'' -> out.append("&#39;");
                    default -> out.append(c);
                }
            }
            return (T) out.toString();
        }
        if (value instanceof Map<?, ?> map) {
            Map<Object, Object> copy = new LinkedHashMap<>();
            map.forEach((k, v) -> copy.put(k, escaped(v)));
            return (T) copy;
        }
        if (value instanceof List<?> list) {
            return (T) list.stream().map(NotificationTemplates::escaped).toList();
        }
        return value;
    }
}
