-- Retention deletes processed-event rows by age, in small batches: without these indexes each
-- batch would scan the whole table.
CREATE INDEX stock_processed_event_by_time ON stock_processed_event (processed_at);
CREATE INDEX email_processed_event_by_time ON email_processed_event (processed_at);
