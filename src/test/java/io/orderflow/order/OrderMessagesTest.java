package io.orderflow.order;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Which AMQP content-types an order message may carry. */
class OrderMessagesTest {

    @Test
    void should_take_json_with_or_without_parameters_and_json_suffixed_types() {
        assertThat(OrderMessages.isJson("application/json")).isTrue();
        assertThat(OrderMessages.isJson("Application/JSON; charset=utf-8")).isTrue();
        assertThat(OrderMessages.isJson("application/vnd.shop.order+json")).isTrue();
    }

    @Test
    void should_refuse_other_types() {
        assertThat(OrderMessages.isJson("text/plain")).isFalse();
        assertThat(OrderMessages.isJson("application/octet-stream")).isFalse();
        assertThat(OrderMessages.isJson("application/jsonx")).isFalse();
        assertThat(OrderMessages.isJson("")).isFalse();
    }
}
