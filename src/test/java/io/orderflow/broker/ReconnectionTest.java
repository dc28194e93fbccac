package io.orderflow.broker;

import org.apache.activemq.artemis.api.core.client.ServerLocator;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ReconnectionTest {

    @Test
    void should_try_the_urls_servers_once_the_last_broker_fails_however_the_url_says_to_reconnect() throws Exception {
        String url = "(tcp://127.0.0.1:61716,tcp://127.0.0.1:61717)?ha=true&reconnectAttempts=-1&useTopologyForLoadBalancing=true";
        try (ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory(url)) {
            Reconnection.apply(factory, url);
            ServerLocator locator = factory.getServerLocator();

            assertThat(locator.getReconnectAttempts()).as("tries on the last broker").isEqualTo(Reconnection.RECONNECT_ATTEMPTS);
            assertThat(locator.getFailoverAttempts()).as("then the URL's servers, for ever").isEqualTo(-1);
            assertThat(locator.getUseTopologyForLoadBalancing()).as("the URL's servers, not the topology's").isFalse();
            assertThat(locator.getMaxRetryInterval()).isEqualTo(Reconnection.MAX_RETRY_INTERVAL_MS);
            assertThat(locator.getCallTimeout()).as("a blocking call on a dying broker's connection").isEqualTo(Reconnection.CALL_TIMEOUT_MS);
            assertThat(locator.getConnectionLoadBalancingPolicyClassName()).isEqualTo(EveryServerInTurn.class.getName());
        }
    }

    @Test
    void should_give_each_reconnecting_thread_every_server_in_turn_whatever_the_others_take() throws Exception {
        EveryServerInTurn policy = new EveryServerInTurn();
        java.util.List<Integer> mine = new java.util.ArrayList<>();
        java.util.List<Integer> theirs = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        for (int round = 0; round < 3; round++) {
            mine.add(policy.select(2));
            // another factory reconnecting at the same moment, on its own thread, takes its turn in between
            Thread other = new Thread(() -> theirs.add(policy.select(2)));
            other.start();
            other.join();
            mine.add(policy.select(2));
        }
        assertThat(mine).containsExactly(0, 1, 0, 1, 0, 1);
    }

    @Test
    void should_keep_the_retry_interval_and_call_timeout_the_url_tunes() throws Exception {
        String url = "(tcp://127.0.0.1:61716,tcp://127.0.0.1:61717)?ha=true&retryInterval=100&maxRetryInterval=1000&callTimeout=20000";
        try (ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory(url)) {
            Reconnection.apply(factory, url);

            assertThat(factory.getServerLocator().getRetryInterval()).isEqualTo(100);
            assertThat(factory.getServerLocator().getMaxRetryInterval()).isEqualTo(1000);
            assertThat(factory.getServerLocator().getRetryIntervalMultiplier()).isEqualTo(Reconnection.RETRY_MULTIPLIER);
            assertThat(factory.getServerLocator().getCallTimeout()).as("a slow broker's operator may wait longer").isEqualTo(20_000);
        }
    }
}
