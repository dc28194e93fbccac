package io.orderflow.infra.worker;

/**
 * A bean that knows when there is work for its worker route: it is given the route's wake-up
 * ({@code worker:<name>?wakeBy=#bean}) and calls it, e.g. once a transaction that produced work
 * has committed.
 */
public interface Wakeable {

    void wakeWith(Runnable wake);
}
