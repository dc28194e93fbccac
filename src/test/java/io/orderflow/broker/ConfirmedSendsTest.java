package io.orderflow.broker;

import org.apache.activemq.artemis.api.core.client.ServerLocator;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ConfirmedSendsTest {

    @Test
    void should_copy_servers_credentials_and_reconnect_policy_and_turn_confirmations_on() throws Exception {
        String url = "(tcp://127.0.0.1:61716,tcp://127.0.0.1:61717)?ha=true&sslEnabled=true&trustStorePath=/etc/t.p12";
        try (ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory(url, "relay", "s3cret")) {
            Reconnection.apply(factory, url);
            try (ActiveMQConnectionFactory copy = ConfirmedSends.copyOf(factory)) {
                ServerLocator original = factory.getServerLocator();
                ServerLocator locator = copy.getServerLocator();

                assertThat(locator.getConfirmationWindowSize()).isEqualTo(ConfirmedSends.CONFIRMATION_WINDOW);
                assertThat(original.getConfirmationWindowSize()).as("the shared factory is left alone").isEqualTo(-1);
                assertThat(locator.getStaticTransportConfigurations()).extracting(t -> t.getParams().get("port"))
                        .containsExactly("61716", "61717");
                assertThat(locator.getStaticTransportConfigurations()[0].getParams()).containsEntry("sslEnabled", "true")
                        .containsEntry("trustStorePath", "/etc/t.p12");
                assertThat(locator.isHA()).isTrue();
                assertThat(copy.getUser()).isEqualTo("relay");
                assertThat(copy.getPassword()).isEqualTo("s3cret");
                assertThat(locator.getReconnectAttempts()).isEqualTo(Reconnection.RECONNECT_ATTEMPTS);
                assertThat(locator.getFailoverAttempts()).isEqualTo(-1);
                assertThat(locator.getUseTopologyForLoadBalancing()).isFalse();
                assertThat(locator.getCallTimeout()).isEqualTo(Reconnection.CALL_TIMEOUT_MS);
                assertThat(locator.getRetryInterval()).isEqualTo(original.getRetryInterval());
                assertThat(locator.getMaxRetryInterval()).isEqualTo(Reconnection.MAX_RETRY_INTERVAL_MS);
                assertThat(locator.getConnectionLoadBalancingPolicyClassName()).isEqualTo(EveryServerInTurn.class.getName());
            }
        }
    }
}
