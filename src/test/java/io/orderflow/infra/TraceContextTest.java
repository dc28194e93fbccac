package io.orderflow.infra;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** W3C Trace Context: which traceparent values give a trace id. */
class TraceContextTest {

    @Test
    void should_take_the_trace_id_of_a_valid_traceparent() {
        assertThat(TraceContext.traceId("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")).contains("4bf92f3577b34da6a3ce929d0e0e4736");
        // a later version may append fields
        assertThat(TraceContext.traceId("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-extra")).isPresent();
    }

    @Test
    void should_ignore_a_missing_malformed_or_invalid_traceparent() {
        assertThat(TraceContext.traceId(null)).isEmpty();
        assertThat(TraceContext.traceId("")).isEmpty();
        assertThat(TraceContext.traceId("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01")).as("upper case").isEmpty();
        assertThat(TraceContext.traceId("00-00000000000000000000000000000000-00f067aa0ba902b7-01")).as("zero trace id").isEmpty();
        assertThat(TraceContext.traceId("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01")).as("zero parent id").isEmpty();
        assertThat(TraceContext.traceId("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")).as("version ff").isEmpty();
        assertThat(TraceContext.traceId("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x")).as("version 00 has 4 fields").isEmpty();
        assertThat(TraceContext.traceId("<script>")).isEmpty();
    }

    @Test
    void should_generate_valid_trace_ids_and_traceparents() {
        String id = TraceContext.newTraceId();
        assertThat(id).matches("[0-9a-f]{32}").isNotEqualTo(TraceContext.newTraceId());
        assertThat(TraceContext.traceId(TraceContext.traceparent(id))).contains(id);
    }
}
