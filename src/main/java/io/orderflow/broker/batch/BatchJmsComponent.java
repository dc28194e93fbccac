package io.orderflow.broker.batch;

import jakarta.jms.ConnectionFactory;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

import java.util.Map;

/**
 * {@code jms-batch:<queue>}: JMS in batches, each batch one broker transaction.
 *
 * <p>As a consumer ({@code from}), each of its threads takes what is waiting on the queue, up to
 * {@code maxBatch} messages (waiting for the first, never for the rest), and hands them to the route
 * as one exchange whose body is a {@code List<Delivery>}; the broker transaction commits after the
 * route succeeds. A batch that fails for a reason of one of its messages is run again one message
 * per exchange, so that message alone is rejected or parked with its reason and the others are
 * applied (see {@link BatchJmsConsumer}). Camel's camel-jms listener hands over one message per
 * transaction and its batch consumer was removed in Camel 3.8, hence this component.
 *
 * <p>As a producer ({@code to}), it sends inside the broker transaction of the batch being
 * processed, so a rejection or a parked event commits with the receive; outside a batch it sends
 * in a transaction of its own.
 */
public final class BatchJmsComponent extends DefaultComponent {

    private final ConnectionFactory connectionFactory;
    private final String user;
    private final String password;

    public BatchJmsComponent(ConnectionFactory connectionFactory, String user, String password) {
        this.connectionFactory = connectionFactory;
        this.user = user;
        this.password = password;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        String queue = remaining.startsWith("queue:") ? remaining.substring("queue:".length()) : remaining;
        BatchJmsEndpoint endpoint = new BatchJmsEndpoint(uri, this, queue);
        setProperties(endpoint, parameters);
        return endpoint;
    }

    jakarta.jms.Connection connect() throws jakarta.jms.JMSException {
        return user.isEmpty() ? connectionFactory.createConnection() : connectionFactory.createConnection(user, password);
    }
}
