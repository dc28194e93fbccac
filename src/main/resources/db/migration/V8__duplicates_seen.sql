-- How many times a service received an event again and skipped it, and when last: the console's
-- timeline shows it. Written only when a duplicate arrives, never on the first delivery.
ALTER TABLE order_event ADD COLUMN duplicates INTEGER NOT NULL DEFAULT 0;
ALTER TABLE order_event ADD COLUMN last_duplicate_at TIMESTAMP WITH TIME ZONE;
ALTER TABLE stock_processed_event ADD COLUMN duplicates INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stock_processed_event ADD COLUMN last_duplicate_at TIMESTAMP WITH TIME ZONE;
ALTER TABLE email_processed_event ADD COLUMN duplicates INTEGER NOT NULL DEFAULT 0;
ALTER TABLE email_processed_event ADD COLUMN last_duplicate_at TIMESTAMP WITH TIME ZONE;
