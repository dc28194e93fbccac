package io.orderflow.operate;

/** The dead-letter admin API on the H2 file. */
class H2DeadLetterAdminTest extends DeadLetterAdminContract {
}
