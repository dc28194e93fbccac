-- Events and reservations looked up by order and by SKU: the invariant check (`check`,
-- /observe/invariants) joins every order with its events. Without these indexes H2 answers those
-- joins by scanning, and the check ran past its 30 s statement timeout at 10,000 orders.
CREATE INDEX order_outbox_by_order ON order_outbox (order_id, event_type);
CREATE INDEX stock_outbox_by_order ON stock_outbox (order_id, event_type);
CREATE INDEX email_outbox_by_order ON email_outbox (order_id, event_type);
CREATE INDEX stock_reservation_by_sku ON stock_reservation (sku);
