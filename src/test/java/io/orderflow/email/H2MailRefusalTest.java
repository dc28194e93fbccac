package io.orderflow.email;

/** A mail server's refusals, on the H2 file. */
class H2MailRefusalTest extends MailRefusalContract {
}
