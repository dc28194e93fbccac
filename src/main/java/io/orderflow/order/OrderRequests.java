package io.orderflow.order;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.orderflow.infra.Failures;
import io.orderflow.infra.TraceContext;
import io.orderflow.intake.RejectedInputException;
import io.orderflow.outbox.EventJson;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Orders over HTTP: {@code POST /api/orders} takes one order as JSON, as a file or a message holds
 * it, and answers only after the order and its OrderPlaced committed, so that a client holding a
 * 201 or a 200 can forget the order. 201: recorded now; 200: the same order was recorded before
 * (a duplicate, harmless); 409: another order under that id; 400: every problem of the order; 413:
 * over orderflow.orders.max-file-size (the HTTP server refuses a longer body as it arrives); 415: not
 * JSON; 503 with Retry-After: the database does not answer or the disk is full, and nothing was
 * written.
 */
public final class OrderRequests {

    private static final Logger LOG = LoggerFactory.getLogger(OrderRequests.class);
    static final int RETRY_AFTER_S = 5;

    private final OrderFormat format;
    private final OrderIntake intake;
    private final OrderView view;
    private final long maxSize;
    private final BooleanSupplier diskOk;
    private final Counter rejected;

    public OrderRequests(OrderFormat format, OrderIntake intake, OrderView view, long maxSize, BooleanSupplier diskOk,
                         MeterRegistry meters) {
        this.format = format;
        this.intake = intake;
        this.view = view;
        this.maxSize = maxSize;
        this.diskOk = diskOk;
        this.rejected = Counter.builder("orderflow.requests.rejected")
                .description("Order requests over HTTP answered 4xx for their content").register(meters);
    }

    /** Route entry: POST /api/orders. */
    public void place(Exchange exchange) throws Exception {
        Message in = exchange.getIn();
        String contentType = in.getHeader(Exchange.CONTENT_TYPE, String.class);
        String traceparent = in.getHeader(TraceContext.TRACEPARENT, String.class);
        byte[] body = in.getBody(byte[].class);
        if (contentType == null || !OrderMessages.isJson(contentType)) {
            answer(exchange, 415, Map.of("error", "Content-Type is " + (contentType == null ? "missing" : contentType)
                    + ": expected application/json"));
            rejected.increment();
            return;
        }
        if (body == null || firstNonBlank(body) == -1) {
            answer(exchange, 400, Map.of("error", "empty body: expected one order as JSON", "problems", List.of("empty body")));
            rejected.increment();
            return;
        }
        if (body.length > maxSize) {
            answer(exchange, 413, Map.of("error", "the body is " + body.length + " bytes, over the limit of " + maxSize
                    + " bytes (orderflow.orders.max-file-size)"));
            rejected.increment();
            return;
        }
        Order order;
        try {
            if (firstNonBlank(body) == '[') {
                throw new RejectedInputException("expected one order per request, got a JSON array");
            }
            order = format.parse(body).get(0);
        } catch (RejectedInputException e) {
            answer(exchange, 400, Map.of("error", String.join("; ", e.problems()), "problems", e.problems()));
            rejected.increment();
            return;
        }
        if (!diskOk.getAsBoolean()) {
            unavailable(exchange, "the disk of orderflow's data is full (below orderflow.disk.min-free-mb): nothing was written");
            return;
        }
        OrderIntake.Outcome outcome;
        try {
            outcome = intake.accept(List.of(order), List.of("http"), java.util.Collections.singletonList(traceparent));
        } catch (RejectedInputException e) {
            // the one input rule a single valid order can break here: its id is taken by another order
            answer(exchange, 409, Map.of("error", String.join("; ", e.problems()), "orderId", order.orderId()));
            rejected.increment();
            return;
        } catch (RuntimeException e) {
            if (Failures.classify(e) != Failures.Kind.OUTAGE) {
                throw e;
            }
            LOG.warn("Order {} over HTTP: the database did not answer, 503 ({})", order.orderId(), Failures.reason(e));
            unavailable(exchange, "the database does not answer: nothing was written (" + Failures.reason(e) + ")");
            return;
        }
        Map<String, Object> state = view.find(order.orderId());
        answer(exchange, outcome.placed() == 1 ? 201 : 200, state == null ? Map.of("orderId", order.orderId()) : state);
        exchange.getMessage().setHeader("Location", "/api/orders/" + order.orderId());
    }

    private static void unavailable(Exchange exchange, String reason) throws Exception {
        answer(exchange, 503, Map.of("error", reason));
        exchange.getMessage().setHeader("Retry-After", String.valueOf(RETRY_AFTER_S));
    }

    private static int firstNonBlank(byte[] body) {
        for (byte b : body) {
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n' && (b & 0xFF) != 0xEF && (b & 0xFF) != 0xBB && (b & 0xFF) != 0xBF) {
                return b;
            }
        }
        return -1;
    }

    private static void answer(Exchange exchange, int status, Map<String, ?> body) throws Exception {
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
        exchange.getMessage().setBody(EventJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(new LinkedHashMap<>(body)));
    }
}
