package io.orderflow.docs;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One markdown page as GitHub reads it, as far as the docs tests need: its ATX headings and their
 * anchors, its links and images, and its fenced code blocks. Whatever is inside a code fence or a
 * code span is code, not markdown: the docs hold Velocity templates whose {@code #if(...)} lines
 * are no headings, and commands whose brackets are no links.
 */
final class MarkdownPage {

    record Link(int line, String target) {
    }

    record Heading(int line, int level, String text, String anchor) {
    }

    /** @param info what follows the opening fence, e.g. "bash" or "" */
    record CodeBlock(int line, String info, List<String> lines) {
    }

    private static final Pattern FENCE = Pattern.compile("^ {0,3}(`{3,}|~{3,})(.*)$");
    private static final Pattern ATX = Pattern.compile("^ {0,3}(#{1,6})(?:[ \\t]+(.*?))?[ \\t]*$");
    private static final Pattern CLOSING_HASHES = Pattern.compile("(^|[ \\t]+)#+$");
    // "](target)" or "](target "title")": the end of an inline link or image, whatever its text holds
    private static final Pattern INLINE_TARGET = Pattern.compile(
            "\\]\\(\\s*(<[^>\\n]*>|[^\\s)]+)(?:\\s+(?:\"[^\"]*\"|'[^']*'|\\([^)]*\\)))?\\s*\\)");
    private static final Pattern DEFINITION = Pattern.compile("(?m)^ {0,3}\\[[^\\]]+\\]:[ \\t]*(<[^>\\n]*>|\\S+)");
    private static final Pattern HTML_ANCHOR = Pattern.compile("<a\\s[^>]*\\b(?:name|id)=\"([^\"]+)\"", Pattern.CASE_INSENSITIVE);
    private static final Pattern CODE_SPAN = Pattern.compile("(?<!`)(`+)(?!`)(.+?)(?<!`)\\1(?!`)", Pattern.DOTALL);
    private static final Pattern INLINE_LINK = Pattern.compile("!?\\[([^\\]]*)\\]\\([^)]*\\)");

    private final List<Heading> headings = new ArrayList<>();
    private final List<Link> links = new ArrayList<>();
    private final List<CodeBlock> codeBlocks = new ArrayList<>();
    private final Set<String> htmlAnchors = new LinkedHashSet<>();

    MarkdownPage(String text) {
        String[] lines = text.split("\\R", -1);
        Map<String, Integer> seenAnchors = new HashMap<>();
        List<String> paragraph = new ArrayList<>();
        int paragraphStart = 0;
        for (int i = 0; i < lines.length; i++) {
            int lineNo = i + 1;
            Matcher fence = FENCE.matcher(lines[i]);
            if (fence.matches() && !(fence.group(1).startsWith("`") && fence.group(2).contains("`"))) {
                readProse(paragraphStart, paragraph);
                i = readFence(lines, i, fence.group(1), fence.group(2).trim());
                continue;
            }
            Matcher atx = ATX.matcher(lines[i]);
            if (atx.matches()) {
                readProse(paragraphStart, paragraph);
                String title = atx.group(2) == null ? "" : CLOSING_HASHES.matcher(atx.group(2)).replaceFirst("").trim();
                headings.add(new Heading(lineNo, atx.group(1).length(), title, unique(anchor(title), seenAnchors)));
                readProse(lineNo, List.of(title));
                continue;
            }
            if (lines[i].isBlank()) {
                readProse(paragraphStart, paragraph);
                continue;
            }
            if (paragraph.isEmpty()) {
                paragraphStart = lineNo;
            }
            paragraph.add(lines[i]);
        }
        readProse(paragraphStart, paragraph);
    }

    /**
     * GitHub's anchor of a heading: the text as rendered (a link's text, no markup), lower case,
     * without anything but letters, digits, spaces, hyphens and underscores, each space a hyphen.
     * Underscores stay, even inside words: {@code orders.in_x} gives {@code ordersin_x}.
     */
    static String anchor(String headingText) {
        String rendered = INLINE_LINK.matcher(headingText).replaceAll("$1").replaceAll("<[^>]+>", "");
        StringBuilder anchor = new StringBuilder();
        rendered.toLowerCase(java.util.Locale.ROOT).codePoints().forEach(c -> {
            if (c == ' ') {
                anchor.append('-');
            } else if (Character.isLetterOrDigit(c) || c == '-' || c == '_') {
                anchor.appendCodePoint(c);
            }
        });
        return anchor.toString();
    }

    List<Heading> headings() {
        return headings;
    }

    List<Link> links() {
        return links;
    }

    List<CodeBlock> codeBlocks() {
        return codeBlocks;
    }

    /** What a {@code #fragment} may name: every heading's anchor and every {@code <a name|id="...">}. */
    Set<String> anchors() {
        Set<String> anchors = new LinkedHashSet<>(htmlAnchors);
        headings.forEach(h -> anchors.add(h.anchor()));
        return anchors;
    }

    /** The code blocks of the section under the heading with this text, up to the next heading of its level or above. */
    List<CodeBlock> codeBlocksUnder(String headingText) {
        Heading start = headings.stream().filter(h -> h.text().equals(headingText)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no heading '" + headingText + "'"));
        int end = headings.stream().filter(h -> h.line() > start.line() && h.level() <= start.level())
                .mapToInt(Heading::line).findFirst().orElse(Integer.MAX_VALUE);
        return codeBlocks.stream().filter(b -> b.line() > start.line() && b.line() < end).toList();
    }

    /** GitHub numbers a repeated anchor: the second "setup" is "setup-1", the third "setup-2". */
    private static String unique(String anchor, Map<String, Integer> seen) {
        String result = anchor;
        while (seen.containsKey(result)) {
            int n = seen.merge(anchor, 1, Integer::sum);
            result = anchor + "-" + n;
        }
        seen.put(result, 0);
        return result;
    }

    /** @return the index of the closing fence line (or the last line: an open fence runs to the end) */
    private int readFence(String[] lines, int open, String fence, String info) {
        Pattern closing = Pattern.compile("^ {0,3}" + Pattern.quote(fence.substring(0, 1)) + "{" + fence.length() + ",}[ \\t]*$");
        List<String> code = new ArrayList<>();
        int i = open + 1;
        while (i < lines.length && !closing.matcher(lines[i]).matches()) {
            code.add(lines[i]);
            i++;
        }
        codeBlocks.add(new CodeBlock(open + 1, info, List.copyOf(code)));
        return Math.min(i, lines.length - 1);
    }

    /**
     * Takes the links of one block of prose. The block is read whole because a code span, like a
     * link, may wrap onto the next line; code spans are blanked out first, newlines kept for the
     * line numbers.
     */
    private void readProse(int firstLine, List<String> block) {
        if (block.isEmpty()) {
            return;
        }
        String text = String.join("\n", block);
        if (block instanceof ArrayList<String> open) {
            open.clear();
        }
        Matcher span = CODE_SPAN.matcher(text);
        StringBuilder prose = new StringBuilder();
        while (span.find()) {
            span.appendReplacement(prose, Matcher.quoteReplacement(span.group().replaceAll("[^\\n]", " ")));
        }
        span.appendTail(prose);
        for (Pattern p : new Pattern[] {INLINE_TARGET, DEFINITION}) {
            Matcher m = p.matcher(prose);
            while (m.find()) {
                String target = m.group(1);
                if (target.startsWith("<") && target.endsWith(">")) {
                    target = target.substring(1, target.length() - 1);
                }
                links.add(new Link(firstLine + (int) prose.substring(0, m.start()).chars().filter(c -> c == '\n').count(), target));
            }
        }
        Matcher html = HTML_ANCHOR.matcher(prose);
        while (html.find()) {
            htmlAnchors.add(html.group(1));
        }
    }
}
