package io.orderflow.docs;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The settings docs/configuration.md lists, read from its tables headed
 * {@code | setting | default | meaning |}, and how they differ from the defaults in
 * application.properties. The page is the operator's reference, so a default it gets wrong is
 * worse than one it leaves out: both fail.
 */
final class ConfigurationPage {

    record Row(int line, String setting, String defaultCell) {
    }

    private static final List<String> HEADER = List.of("setting", "default", "meaning");
    private static final Pattern ONE_SETTING = Pattern.compile("`([^`\\s]+)`");
    private static final Pattern CODE_SPAN = Pattern.compile("(`+)(.*?)\\1");
    private static final Pattern SAYS_EMPTY = Pattern.compile("^empty\\b.*", Pattern.DOTALL);

    private final List<Row> rows = new ArrayList<>();
    private final List<String> malformed = new ArrayList<>();

    ConfigurationPage(String markdown) {
        boolean inTable = false;
        boolean inFence = false;
        String[] lines = markdown.split("\\R", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].trim();
            if (line.startsWith("```") || line.startsWith("~~~")) {
                inFence = !inFence;
            }
            if (inFence || !line.startsWith("|")) {
                inTable = false;
                continue;
            }
            List<String> cells = cells(line);
            if (cells.size() >= 3 && cells.subList(0, 3).stream().map(String::toLowerCase).toList().equals(HEADER)) {
                inTable = true;
                i++; // the |---|---|---| under the header
            } else if (inTable) {
                Matcher setting = ONE_SETTING.matcher(cells.get(0));
                if (cells.size() < 2 || !setting.matches()) {
                    malformed.add("line " + (i + 1) + ": the first cell should be one setting in backticks: " + line);
                } else {
                    rows.add(new Row(i + 1, setting.group(1), cells.get(1)));
                }
            }
        }
    }

    /** The orderflow.* settings of application.properties with their values, trimmed as orderflow trims them. */
    static Map<String, String> defaults(Properties properties) {
        Map<String, String> defaults = new TreeMap<>();
        for (String key : properties.stringPropertyNames()) {
            if (key.startsWith("orderflow.")) {
                defaults.put(key, properties.getProperty(key).trim());
            }
        }
        return defaults;
    }

    List<Row> rows() {
        return rows;
    }

    /** @return every difference from the defaults, one line each; empty when the page is right */
    List<String> problems(Map<String, String> defaults) {
        List<String> problems = new ArrayList<>(malformed);
        Map<String, Row> listed = new LinkedHashMap<>();
        for (Row row : rows) {
            Row first = listed.putIfAbsent(row.setting(), row);
            if (first != null) {
                problems.add("listed twice: " + row.setting() + " (lines " + first.line() + " and " + row.line() + ")");
            } else if (!defaults.containsKey(row.setting())) {
                problems.add("not a setting of application.properties: " + row.setting() + " (line " + row.line() + ")");
            } else {
                String wrong = wrongDefault(row.defaultCell(), defaults.get(row.setting()));
                if (wrong != null) {
                    problems.add("wrong default for " + row.setting() + " (line " + row.line() + "): " + wrong);
                }
            }
        }
        defaults.keySet().stream().filter(k -> !listed.containsKey(k))
                .forEach(k -> problems.add("missing from the page: " + k + " (default '" + defaults.get(k) + "')"));
        return problems;
    }

    /** @return null when the cell states the value: "empty..." for an empty one, else the value as the first code span */
    private static String wrongDefault(String cell, String value) {
        if (value.isEmpty()) {
            return SAYS_EMPTY.matcher(cell).matches() ? null
                    : "the page says '" + cell + "', application.properties has it empty (the cell should start with 'empty')";
        }
        Matcher code = CODE_SPAN.matcher(cell);
        String shown = code.find() ? code.group(2) : null;
        if (shown != null && shown.length() > 2 && shown.startsWith(" ") && shown.endsWith(" ") && !shown.isBlank()) {
            shown = shown.substring(1, shown.length() - 1); // a code span drops one space each side
        }
        return value.equals(shown) ? null
                : "the page says " + (shown == null ? "'" + cell + "'" : "`" + shown + "`") + ", application.properties says `" + value + "`";
    }

    /** A table row's cells, trimmed; a '|' escaped as "\|" stays in its cell, as in GitHub's tables. */
    private static List<String> cells(String row) {
        String inner = row.substring(1, row.endsWith("|") && !row.endsWith("\\|") && row.length() > 1 ? row.length() - 1 : row.length());
        List<String> cells = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        for (int i = 0; i < inner.length(); i++) {
            char c = inner.charAt(i);
            if (c == '\\' && i + 1 < inner.length() && inner.charAt(i + 1) == '|') {
                cell.append('|');
                i++;
            } else if (c == '|') {
                cells.add(cell.toString().trim());
                cell.setLength(0);
            } else {
                cell.append(c);
            }
        }
        cells.add(cell.toString().trim());
        return cells;
    }
}
