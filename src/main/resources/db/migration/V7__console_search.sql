-- The console's order search: newest first (placed_at, then order_id), optionally by customer email
-- or status. Each index ends in the whole sort key, so a page is read in index order and the
-- query stops after it, however many orders match (H2 sorted every match otherwise: 3.8 s for a
-- status with 1,000,000 orders).
CREATE INDEX orders_by_time ON orders (placed_at, order_id);
CREATE INDEX orders_by_email ON orders (customer_email, placed_at, order_id);
CREATE INDEX orders_by_status ON orders (status, placed_at, order_id);
