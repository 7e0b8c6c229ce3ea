-- What a processed event said, so that a reuse of its id for another event
-- is told from a resend (eligo.DecideUpdate), and when it happened, on the
-- event id and on the version it caused. Rows written before this
-- migration keep NULL: their content is not known, and only their order is
-- compared. event_type is '' for an internal change (no event).
-- occurred_at is Unix nanoseconds (UTC), NULL when not known.

ALTER TABLE processed_events ADD COLUMN event_type TEXT;
ALTER TABLE processed_events ADD COLUMN event_status TEXT;
ALTER TABLE processed_events ADD COLUMN occurred_at INTEGER;
ALTER TABLE versions ADD COLUMN occurred_at INTEGER;
