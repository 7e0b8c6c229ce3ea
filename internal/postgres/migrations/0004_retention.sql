-- The retention job deletes an ended order with its processed event ids,
-- found by order id: without this index, every batch scans the table. On a
-- large existing database, build it by hand with CREATE INDEX CONCURRENTLY
-- before upgrading (docs/production.md).

CREATE INDEX IF NOT EXISTS processed_events_order ON processed_events (order_id);
