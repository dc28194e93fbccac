package io.orderflow.broker;

import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttVersion;
import org.apache.activemq.artemis.core.protocol.mqtt.MQTTInterceptor;
import org.apache.activemq.artemis.core.remoting.impl.netty.NettyConnection;
import org.apache.activemq.artemis.spi.core.protocol.RemotingConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses every MQTT connection with a reason the client can read: CONNACK "server unavailable",
 * then the connection closes. orderflow does not speak MQTT (docs/input.md says why), but the
 * acceptor recognises it, because a port that took an MQTT client's CONNECT for a CORE frame would
 * leave that client waiting for an answer that never comes until the broker's connection TTL.
 */
public final class MqttRefusal implements MQTTInterceptor {

    private static final Logger LOG = LoggerFactory.getLogger(MqttRefusal.class);

    @Override
    public boolean intercept(MqttMessage packet, RemotingConnection connection) {
        if (packet instanceof MqttConnectMessage connect && connection.getTransportConnection() instanceof NettyConnection netty) {
            boolean v5 = connect.variableHeader().version() == MqttVersion.MQTT_5.protocolLevel();
            netty.getNettyChannel().writeAndFlush(MqttMessageBuilders.connAck()
                    .returnCode(v5 ? MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE_5
                            : MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE)
                    .sessionPresent(false).build());
            LOG.warn("An MQTT client from {} (client id '{}') was refused: orderflow takes orders over CORE, OpenWire, AMQP 1.0, "
                    + "STOMP and HTTP, not MQTT", connection.getRemoteAddress(), connect.payload().clientIdentifier());
        }
        // false: the broker drops the packet and closes the connection
        return false;
    }
}
