package io.orderflow.retention;

/** Retention on the H2 file. */
class H2RetentionTest extends RetentionContract {
}
