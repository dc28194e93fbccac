package io.orderflow.intake;

import org.apache.camel.Exchange;

import java.util.Map;

/** The intake folders by the id of the route that reads them, for the shared rejection handler. */
public final class Inboxes {

    private final Map<String, InboxFolder> byRoute;

    public Inboxes(Map<String, InboxFolder> byRoute) {
        this.byRoute = Map.copyOf(byRoute);
    }

    public void reject(Exchange exchange) {
        InboxFolder folder = byRoute.get(exchange.getFromRouteId());
        if (folder == null) {
            throw new IllegalStateException("no intake folder for route " + exchange.getFromRouteId());
        }
        folder.reject(exchange);
    }
}
