-- How many times a service received an event again and skipped it, and when last: the console's
-- timeline shows it. Written only when a duplicate arrives, never on the first delivery.
ALTER TABLE order_event ADD COLUMN duplicates INTEGER NOT NULL DEFAULT 0;
ALTER TABLE order_event ADD COLUMN last_duplicate_at TIMESTAMP WITH TIME ZONE;
ALTER TABLE stock_processed_event ADD COLUMN duplicates INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stock_processed_event ADD COLUMN last_duplicate_at TIMESTAMP WITH TIME ZONE;
ALTER TABLE email_processed_event ADD COLUMN duplicates INTEGER NOT NULL DEFAULT 0;
ALTER TABLE email_processed_event ADD COLUMN last_duplicate_at TIMESTAMP WITH TIME ZONE;
-- The delivery that applied the event, when it was not the first (a rollback or a failed attempt
-- before it): the console's timeline shows the retries. Null for an event applied at once.
ALTER TABLE order_event ADD COLUMN applied_at_delivery INTEGER;
ALTER TABLE stock_processed_event ADD COLUMN applied_at_delivery INTEGER;
ALTER TABLE email_processed_event ADD COLUMN applied_at_delivery INTEGER;
