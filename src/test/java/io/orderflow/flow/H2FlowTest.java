package io.orderflow.flow;

/** The flow on the H2 file (orderflow.db.embedded=h2, the test support's default). */
class H2FlowTest extends EmbeddedFlowContract {
}
