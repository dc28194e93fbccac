package io.orderflow.broker;

import org.apache.activemq.artemis.api.core.client.ServerLocator;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * How orderflow's connections to an external broker come back after it fails: every broker user
 * (consumers, relays, intake's rejects, the admin API's queue browsers, the depth gauges) shares
 * one connection factory, and this is its reconnect policy.
 *
 * <p>A lost connection is tried again on its last broker, and on the backup that broker announced,
 * a few times (about 2 s); then on every server of the URL in turn, for ever. Artemis's client
 * (2.43, {@code ClientSessionFactoryImpl.failoverOrReconnect}) tries the URL's other servers only
 * once {@code reconnectAttempts} are used up, so with {@code -1} it never does; and it takes them
 * from the cluster topology unless {@code useTopologyForLoadBalancing=false}. After a failover the
 * topology names only the broker that took over, until a restarted partner announces itself: if
 * the active broker dies while its partner is still booting, a client with {@code -1} keeps trying
 * the dead one, and only a blocking call's timeout (10 s) brings it back: stalls of 9-10 s after the
 * partner served, measured by crash/BrokerPairRacesIT, and a relay waiting for producer credits from
 * the dead broker. The retry interval (the URL may set it) grows from 250 ms to at most 2 s, so the flow is back within about 2 s of a broker
 * serving, however long none did.
 *
 * <p>Each reconnecting session factory tries the URL's servers in turn ({@link EveryServerInTurn}),
 * not by a position all of them share.
 *
 * <p>A blocking call waits at most 3 s for the broker's answer ({@code callTimeout}, unless the URL
 * sets it). A killed broker's port still completes TCP connects for a moment while its process
 * dies, and so does a broker's port while the other half dies in the middle of a failover: a
 * reconnect attempt that lands there connects, then waits for the answer to its first blocking
 * call (the failover check, then the session's re-creation). The client runs that attempt on the
 * same ordered executor that would deliver the connection's death, so nothing cuts the wait short
 * but the call timeout: with 10 s, every such attempt stalled its consumers and relays 10 s after a
 * broker was already serving again (seen in crash/BrokerPairRacesIT's DEBUG logs: "Connected"
 * to the dying broker, then the next attempt 10.25 s later; commits timed out after 10 s). 3 s is
 * still hundreds of times a synced journal write (a few ms at p99 on the build machines' disks); a
 * broker slower than that fails the connection, which reconnects and sends again, as after any
 * failover.
 */
public final class Reconnection {

    private static final Logger LOG = LoggerFactory.getLogger(Reconnection.class);

    /** Tries on the last broker and its announced backup before the URL's servers: 250+375+563+844 ms. */
    static final int RECONNECT_ATTEMPTS = 4;
    static final long RETRY_INTERVAL_MS = 250;
    static final double RETRY_MULTIPLIER = 1.5;
    public static final long MAX_RETRY_INTERVAL_MS = 2_000;
    /** How long a blocking call (commit, durable send, session creation) waits for an external broker's answer. */
    static final long CALL_TIMEOUT_MS = 3_000;
    /** The URL parameters whose other values bring the stall back; orderflow sets them whatever the URL says. */
    private static final Map<String, String> FIXED = Map.of("reconnectattempts", String.valueOf(RECONNECT_ATTEMPTS),
            "failoverattempts", "-1", "usetopologyforloadbalancing", "false");

    private Reconnection() {
    }

    /** Applies the policy to a factory made from url (an external broker's; not the in-process vm://0). */
    public static void apply(ActiveMQConnectionFactory factory, String url) {
        Map<String, String> given = parameters(url);
        Set<String> replaced = given.entrySet().stream()
                .filter(p -> FIXED.containsKey(p.getKey()) && !FIXED.get(p.getKey()).equalsIgnoreCase(p.getValue().trim()))
                .map(p -> p.getKey() + "=" + p.getValue()).collect(Collectors.toCollection(TreeSet::new));
        if (!replaced.isEmpty()) {
            LOG.warn("orderflow.broker.url sets {}: orderflow replaces them (reconnectAttempts={}, failoverAttempts=-1, "
                    + "useTopologyForLoadBalancing=false), or a broker that dies while its partner restarts would leave its "
                    + "clients trying it for ever", replaced, RECONNECT_ATTEMPTS);
        }
        ServerLocator locator = factory.getServerLocator();
        factory.setReconnectAttempts(RECONNECT_ATTEMPTS);
        locator.setFailoverAttempts(-1);
        factory.setUseTopologyForLoadBalancing(false);
        if (!given.containsKey("connectionloadbalancingpolicyclassname")) {
            factory.setConnectionLoadBalancingPolicyClassName(EveryServerInTurn.class.getName());
        }
        if (!given.containsKey("calltimeout")) {
            factory.setCallTimeout(CALL_TIMEOUT_MS);
        }
        if (!given.containsKey("retryinterval")) {
            factory.setRetryInterval(RETRY_INTERVAL_MS);
        }
        if (!given.containsKey("retryintervalmultiplier")) {
            factory.setRetryIntervalMultiplier(RETRY_MULTIPLIER);
        }
        if (!given.containsKey("maxretryinterval")) {
            factory.setMaxRetryInterval(MAX_RETRY_INTERVAL_MS);
        }
    }

    /** The URL's query parameters, names in lower case (Artemis reads them so). */
    static Map<String, String> parameters(String url) {
        int query = url.indexOf('?');
        if (query < 0) {
            return Map.of();
        }
        return Arrays.stream(url.substring(query + 1).split("&")).filter(p -> !p.isBlank())
                .map(p -> p.split("=", 2))
                .collect(Collectors.toMap(p -> p[0].trim().toLowerCase(Locale.ROOT), p -> p.length > 1 ? p[1] : "", (a, b) -> b));
    }

    /**
     * How long a route waits at most between retries of a broker outage: no longer than the client
     * takes between reconnection tries, nor than the outage ceiling an operator set.
     */
    public static long outageRetryCeilingMs(long outageMaxDelayMs) {
        return Math.min(outageMaxDelayMs, MAX_RETRY_INTERVAL_MS);
    }

    /** For the log: the policy in one phrase. */
    public static String describe() {
        return "reconnect " + RECONNECT_ATTEMPTS + " times to the last broker, then to every server of the URL in turn, every "
                + RETRY_INTERVAL_MS + " ms growing to " + MAX_RETRY_INTERVAL_MS + " ms; blocking calls wait " + CALL_TIMEOUT_MS
                + " ms for an answer unless the URL sets callTimeout";
    }
}
