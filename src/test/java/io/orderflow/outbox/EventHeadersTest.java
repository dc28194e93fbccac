package io.orderflow.outbox;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** What the CloudEvents attributes of an event message are taken from. */
class EventHeadersTest {

    @Test
    void should_take_the_time_from_the_event_as_written_and_from_any_other_json() {
        Event e = Event.create(Event.ORDER_PLACED, "A-1", EventJson.MAPPER.createObjectNode(), Instant.parse("2026-12-06T10:00:00.123Z"));
        assertThat(EventJson.occurredAt(EventJson.write(e))).isEqualTo("2026-12-06T10:00:00.123Z");
        assertThat(EventJson.occurredAt("{\"occurredAt\" : \"2026-12-06T10:00:00Z\"}")).isEqualTo("2026-12-06T10:00:00Z");
        assertThat(EventJson.occurredAt("{\"type\":\"OrderPlaced\"}")).isNull();
        assertThat(EventJson.occurredAt("not json")).isNull();
    }

    @Test
    void should_name_the_emitting_service_as_the_source() {
        assertThat(EventHeaders.source(Event.ORDER_PLACED)).isEqualTo("/orderflow/order");
        assertThat(EventHeaders.source(Event.OUT_OF_STOCK)).isEqualTo("/orderflow/stock");
        assertThat(EventHeaders.source(Event.NOTIFICATION_FAILED)).isEqualTo("/orderflow/email");
    }
}
