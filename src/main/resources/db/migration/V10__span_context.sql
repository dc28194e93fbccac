-- The W3C traceparent of the span that wrote each event or notification (traces exported over
-- OTLP): the span of the stage that publishes, consumes or mails it next becomes its child, across
-- restarts, failovers and replays. Null for rows written while traces were off.
ALTER TABLE order_outbox ADD COLUMN traceparent VARCHAR(55);
ALTER TABLE stock_outbox ADD COLUMN traceparent VARCHAR(55);
ALTER TABLE email_outbox ADD COLUMN traceparent VARCHAR(55);
ALTER TABLE email_notification ADD COLUMN traceparent VARCHAR(55);
