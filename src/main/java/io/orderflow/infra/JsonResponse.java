package io.orderflow.infra;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.orderflow.outbox.EventJson;
import org.apache.camel.Exchange;

import java.util.Map;

/** Writes an API answer: the body as JSON, or 404 with a JSON error when there is nothing. */
public final class JsonResponse {

    /** 400 with the failure's message as the reason. */
    public void badRequest(Exchange exchange) throws JsonProcessingException {
        error(exchange, 400);
    }

    /** 500 (503 when the database does not answer) with the failure as the reason. */
    public void failed(Exchange exchange) throws JsonProcessingException {
        Throwable failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        org.slf4j.LoggerFactory.getLogger(JsonResponse.class).warn("{} {} failed: {}", exchange.getIn().getHeader(Exchange.HTTP_METHOD),
                exchange.getIn().getHeader(Exchange.HTTP_PATH), String.valueOf(failure));
        error(exchange, failure instanceof org.springframework.dao.DataAccessException ? 503 : 500);
    }

    private static void error(Exchange exchange, int status) throws JsonProcessingException {
        Throwable failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        exchange.getMessage().setBody(EventJson.MAPPER.writerWithDefaultPrettyPrinter()
                .writeValueAsString(Map.of("error", String.valueOf(failure == null ? "bad request" : failure.getMessage()))));
    }

    public void write(Exchange exchange, String what) throws JsonProcessingException {
        Object body = exchange.getMessage().getBody();
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
        if (body == null) {
            exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 404);
            body = Map.of("error", "unknown " + what);
        } else {
            exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
        }
        exchange.getMessage().setBody(EventJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(body));
    }
}
