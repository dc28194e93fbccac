package io.orderflow.broker;

import org.apache.activemq.artemis.api.core.client.loadbalance.ConnectionLoadBalancingPolicy;

/**
 * Which server of the URL a session factory tries next: each reconnecting factory goes through
 * every server in turn, one per attempt. Artemis's default round robin keeps one position for all
 * the factories of a connection factory: a dozen factories reconnecting at the same moment (every
 * consumer, relay and browser of orderflow after a broker dies) share it, so one factory's
 * attempts can fall on the dead server round after round while the others take the live one, and
 * it waits its retry interval each time. A reconnect runs on one thread from start to end, so a
 * position per thread is a position per reconnecting factory.
 */
public final class EveryServerInTurn implements ConnectionLoadBalancingPolicy {

    private static final ThreadLocal<int[]> LAST = ThreadLocal.withInitial(() -> new int[] {-1});

    @Override
    public int select(int max) {
        int[] last = LAST.get();
        last[0] = (last[0] + 1) % max;
        return last[0];
    }
}
