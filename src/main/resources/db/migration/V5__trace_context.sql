-- An order's W3C trace id (32 hex digits): taken from the traceparent of the message that brought
-- it, or generated; carried by every event of the order and kept where its services record them.
ALTER TABLE orders ADD COLUMN trace_id VARCHAR(32);
ALTER TABLE order_event ADD COLUMN trace_id VARCHAR(32);
ALTER TABLE email_notification ADD COLUMN trace_id VARCHAR(32);
