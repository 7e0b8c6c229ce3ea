-- Indexes for the data lifetime (hot set, bounded rebuild, retention).
-- A terminal order never changes again (eligo.ApplyEvent), so its
-- updated_at is the instant it ended: orders_ended serves both the rebuild
-- of the hot set (status = 'PLACED', or ended after a bound) and the
-- retention job (ended before a bound). versions_created and
-- processed_events_processed serve the retention of version rows and of
-- processed event ids.

CREATE INDEX orders_ended ON orders (status, updated_at);
CREATE INDEX versions_created ON versions (created_at);
CREATE INDEX processed_events_processed ON processed_events (processed_at);
