package io.orderflow.infra;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.orderflow.outbox.EventJson;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.CamelContext;
import org.apache.camel.StartupListener;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * What the HTTP server holds to before any route sees a request, on the Vert.x router that Camel's
 * platform-http runs on (its configuration has no read timeout):
 * <ul>
 * <li>a request body must arrive whole within the read timeout, or the client gets 408 and its
 * connection is closed: a client that sends its body a byte at a time (or stops half way) holds a
 * connection and a buffer for no longer than that;</li>
 * <li>a body over the size limit gets 413 with the limit in a JSON reason, as every other refusal
 * of the API does, instead of Vert.x's bare answer and an ERROR line in the log for each; a client
 * gone before its answer is no ERROR either.</li>
 * </ul>
 */
public final class HttpGuard implements StartupListener {

    private static final Logger LOG = LoggerFactory.getLogger(HttpGuard.class);

    private final long readTimeoutMs;
    private final long maxBodyBytes;

    public HttpGuard(long readTimeoutMs, long maxBodyBytes) {
        this.readTimeoutMs = readTimeoutMs;
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
        // the router is there once the HTTP server has started, before the routes take requests
    }

    @Override
    public void onCamelContextFullyStarted(CamelContext context, boolean alreadyStarted) {
        // camel-main's HTTP server binds its router by port; the API, health and metrics share it
        java.util.Set<VertxPlatformHttpRouter> routers = context.getRegistry().findByType(VertxPlatformHttpRouter.class);
        if (routers.isEmpty()) {
            LOG.warn("No HTTP router found: request bodies have no read timeout");
        }
        java.util.Set<Router> done = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (VertxPlatformHttpRouter router : routers) {
            if (done.add(router)) {
                install(router, router.vertx());
            }
        }
    }

    void install(Router router, Vertx vertx) {
        router.route().order(Integer.MIN_VALUE).handler(ctx -> readWithin(ctx, vertx));
        router.route().order(Integer.MIN_VALUE).failureHandler(this::failed);
    }

    private void readWithin(RoutingContext ctx, Vertx vertx) {
        HttpServerRequest request = ctx.request();
        // only a body is timed, never the work after it: a GET has none, and the router keeps a
        // request without a body handler paused (not "ended") until its answer, however long that takes
        if (hasBody(request) && !request.isEnded()) {
            long timer = vertx.setTimer(readTimeoutMs, id -> {
                if (!request.isEnded() && !ctx.response().ended()) {
                    LOG.warn("{} {} from {}: the body did not arrive within {} ms; answered 408 and closed the connection",
                            request.method(), request.path(), request.remoteAddress(), readTimeoutMs);
                    ctx.response().setStatusCode(408).putHeader("Content-Type", "application/json").putHeader("Connection", "close")
                            .end(error("the request body did not arrive within " + readTimeoutMs + " ms (orderflow.http.read-timeout-ms)"))
                            .onComplete(done -> request.connection().close());
                }
            });
            ctx.addEndHandler(done -> vertx.cancelTimer(timer));
        }
        ctx.next();
    }

    private static boolean hasBody(HttpServerRequest request) {
        String length = request.getHeader("Content-Length");
        if (length != null) {
            try {
                return Long.parseLong(length.trim()) > 0;
            } catch (NumberFormatException e) {
                return true;
            }
        }
        return request.getHeader("Transfer-Encoding") != null;
    }

    private void failed(RoutingContext ctx) {
        if (ctx.response().ended() || ctx.failure() instanceof HttpClosedException) {
            // answered already (the 408 above), or the client is gone: nothing to say, and nothing for the log
            return;
        }
        if (ctx.statusCode() != 413) {
            ctx.next();
            return;
        }
        ctx.response().setStatusCode(413).putHeader("Content-Type", "application/json").putHeader("Connection", "close")
                .end(error("the body is over the limit of " + maxBodyBytes + " bytes (orderflow.orders.max-file-size)"));
    }

    private static String error(String reason) {
        try {
            return EventJson.MAPPER.writeValueAsString(Map.of("error", reason));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
