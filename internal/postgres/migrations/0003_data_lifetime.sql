-- Indexes for the data lifetime (hot set, bounded rebuild, retention).
-- A terminal order never changes again (eligo.ApplyEvent), so its
-- updated_at is the instant it ended: orders_ended serves both the rebuild
-- of the hot set (status = 'PLACED', or ended after a bound) and the
-- retention job (ended before a bound). versions_created and
-- processed_events_processed serve the retention of version rows and of
-- processed event ids. On a large existing database, build them by hand
-- with CREATE INDEX CONCURRENTLY before upgrading (docs/production.md).

CREATE INDEX IF NOT EXISTS orders_ended ON orders (status, updated_at);
CREATE INDEX IF NOT EXISTS versions_created ON versions (created_at);
CREATE INDEX IF NOT EXISTS processed_events_processed ON processed_events (processed_at);
