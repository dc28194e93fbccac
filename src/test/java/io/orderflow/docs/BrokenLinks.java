package io.orderflow.docs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The relative links of a set of markdown pages that lead nowhere: to a file or folder that does
 * not exist, or to a {@code #fragment} no heading of the target page has. Web links (http, https,
 * mailto) are left alone: this is about links that break when a page moves or a heading changes.
 */
final class BrokenLinks {

    private final Path root;
    private final Map<Path, Set<String>> anchorsByPage = new HashMap<>();

    private BrokenLinks(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /** @return one line per broken link, "file:line: target (why)", by file and line */
    static List<String> in(Path root, List<Path> pages) {
        BrokenLinks check = new BrokenLinks(root);
        List<String> broken = new ArrayList<>();
        for (Path page : pages) {
            Path file = check.root.resolve(page).normalize();
            List<MarkdownPage.Link> links = new ArrayList<>(new MarkdownPage(read(file)).links());
            links.sort(Comparator.comparingInt(MarkdownPage.Link::line));
            for (MarkdownPage.Link link : links) {
                String why = check.whyBroken(file, link.target());
                if (why != null) {
                    broken.add(check.name(file) + ":" + link.line() + ": " + link.target() + " (" + why + ")");
                }
            }
        }
        return broken;
    }

    /** @return null when the link resolves */
    private String whyBroken(Path page, String target) {
        String lower = target.toLowerCase(java.util.Locale.ROOT);
        if (lower.startsWith("http:") || lower.startsWith("https:") || lower.startsWith("mailto:")) {
            return null;
        }
        int hash = target.indexOf('#');
        String path = hash < 0 ? target : target.substring(0, hash);
        int query = path.indexOf('?');
        path = decode(query < 0 ? path : path.substring(0, query));
        Path linked;
        if (path.isEmpty()) {
            linked = page;
        } else if (path.startsWith("/")) {
            // GitHub reads a leading slash as the repository's root
            linked = root.resolve(path.substring(1)).normalize();
        } else {
            linked = page.getParent().resolve(path).normalize();
        }
        if (!Files.exists(linked)) {
            return "no such file: " + name(linked);
        }
        if (hash < 0) {
            return null;
        }
        String fragment = decode(target.substring(hash + 1));
        if (!Files.isRegularFile(linked) || !linked.getFileName().toString().endsWith(".md")) {
            return "#" + fragment + " on " + name(linked) + ", which is no markdown page";
        }
        Set<String> anchors = anchorsByPage.computeIfAbsent(linked, p -> new MarkdownPage(read(p)).anchors());
        return anchors.contains(fragment) ? null : "no heading in " + name(linked) + " has the anchor #" + fragment;
    }

    private String name(Path file) {
        Path relative = file.startsWith(root) ? root.relativize(file) : file;
        return relative.toString().replace('\\', '/');
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException notEncoded) {
            // a lone '%' is a character of the name, not an escape
            return s;
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
