package io.orderflow.console;

import org.apache.camel.Exchange;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/**
 * Serves the console's static files (src/main/resources/console: HTML, CSS, JavaScript, no build
 * chain) under /console/. Only the files packed there, by name: no path outside the folder. The
 * pages read orderflow's own API; they need no network beyond orderflow itself.
 */
public final class ConsoleFiles {

    private static final Map<String, String> TYPES = Map.of("html", "text/html; charset=utf-8", "css", "text/css; charset=utf-8",
            "js", "text/javascript; charset=utf-8", "svg", "image/svg+xml", "png", "image/png");

    public void serve(Exchange exchange) throws IOException {
        String path = exchange.getIn().getHeader(Exchange.HTTP_PATH, String.class);
        String name = path == null ? "" : path.replaceFirst("^/?(console)?/?", "");
        if (name.isEmpty()) {
            name = "index.html";
        }
        String extension = name.substring(name.lastIndexOf('.') + 1);
        exchange.getMessage().removeHeaders("*");
        if (!name.matches("[a-z0-9-]+\\.[a-z]+") || !TYPES.containsKey(extension)) {
            notFound(exchange, name);
            return;
        }
        try (InputStream in = ConsoleFiles.class.getResourceAsStream("/console/" + name)) {
            if (in == null) {
                notFound(exchange, name);
                return;
            }
            exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
            exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, TYPES.get(extension));
            // the pages take no script or style from anywhere but orderflow
            exchange.getMessage().setHeader("Content-Security-Policy", "default-src 'self'; img-src 'self' data:");
            exchange.getMessage().setHeader("X-Content-Type-Options", "nosniff");
            exchange.getMessage().setBody(in.readAllBytes());
        }
    }

    private static void notFound(Exchange exchange, String name) {
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 404);
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "text/plain; charset=utf-8");
        exchange.getMessage().setBody("no console file " + name);
    }
}
