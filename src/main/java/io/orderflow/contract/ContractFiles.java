package io.orderflow.contract;

import org.apache.camel.Exchange;

import java.io.IOException;
import java.io.InputStream;
import java.util.regex.Pattern;

/**
 * Serves the published contract as packed in the jar: the AsyncAPI document under
 * /api/contract/asyncapi.yaml, each event's JSON Schema under /api/contract/events/, and the order's
 * under /api/schema/. The URLs mirror the files' places on the classpath, so the document's relative
 * $refs resolve against orderflow as they do in the repository.
 */
public final class ContractFiles {

    static final Pattern FILES = Pattern.compile("contract/asyncapi\\.yaml|contract/events/[A-Za-z]+\\.v[0-9]+\\.schema\\.json"
            + "|schema/order\\.schema\\.json");

    public void serve(Exchange exchange) throws IOException {
        String path = exchange.getIn().getHeader(Exchange.HTTP_URI, String.class);
        String name = path == null ? "" : path.replaceFirst("\\?.*$", "").replaceFirst("^/api/", "");
        exchange.getMessage().removeHeaders("*");
        InputStream in = FILES.matcher(name).matches() ? ContractFiles.class.getResourceAsStream("/" + name) : null;
        if (in == null) {
            exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 404);
            exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "text/plain; charset=utf-8");
            exchange.getMessage().setBody("no contract file " + name);
            return;
        }
        try (in) {
            exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
            exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, name.endsWith(".yaml")
                    ? "application/yaml; charset=utf-8" : "application/schema+json");
            exchange.getMessage().setHeader("X-Content-Type-Options", "nosniff");
            exchange.getMessage().setBody(in.readAllBytes());
        }
    }
}
