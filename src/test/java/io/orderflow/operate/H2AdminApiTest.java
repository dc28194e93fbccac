package io.orderflow.operate;

/** The admin API on the H2 file. */
class H2AdminApiTest extends AdminApiContract {
}
