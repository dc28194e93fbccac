-- The console's order search: newest first, optionally by customer email or status. With these,
-- each page is an index range scan however many orders there are.
CREATE INDEX orders_by_time ON orders (placed_at, order_id);
CREATE INDEX orders_by_email ON orders (customer_email, placed_at);
CREATE INDEX orders_by_status ON orders (status, placed_at);
