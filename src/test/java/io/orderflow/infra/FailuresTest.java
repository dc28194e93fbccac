package io.orderflow.infra;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.jms.JMSException;
import org.apache.activemq.artemis.api.core.ActiveMQNotConnectedException;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;

import java.sql.SQLException;

import static org.assertj.core.api.Assertions.assertThat;

/** Which outages are the broker's: those are retried as often as the broker client reconnects, not after a backoff of 10 s. */
class FailuresTest {

    private final Failures failures = new Failures(new OutageLog(10_000, new SimpleMeterRegistry()));

    @Test
    void should_take_a_broker_that_cannot_be_reached_for_a_broker_outage() {
        JMSException jms = new JMSException("AMQ219007: Cannot connect to server(s)");
        jms.setLinkedException(new ActiveMQNotConnectedException());

        assertThat(failures.isBrokerOutage(failed(new IllegalStateException("publishing failed", jms)))).isTrue();
        assertThat(failures.isOutage(failed(jms))).isTrue();
    }

    @Test
    void should_not_take_a_database_failure_for_a_broker_outage_even_inside_a_broker_call() {
        Exception database = new DataAccessResourceFailureException("no connection", new SQLException("refused", "08001"));
        JMSException wrapped = new JMSException("a batch failed");
        wrapped.initCause(database);

        assertThat(failures.isBrokerOutage(failed(database))).isFalse();
        assertThat(failures.isBrokerOutage(failed(wrapped))).isFalse();
        assertThat(failures.isOutage(failed(database))).isTrue();
    }

    private static Exchange failed(Exception e) {
        Exchange exchange = new DefaultExchange(new DefaultCamelContext());
        exchange.setException(e);
        return exchange;
    }
}
