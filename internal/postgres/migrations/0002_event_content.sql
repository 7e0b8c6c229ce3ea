-- What a processed event said, so that a reuse of its id for another event
-- is told from a resend (eligo.DecideUpdate), and when it happened, on the
-- event id and on the version it caused. Rows written before this
-- migration keep NULL: their content is not known, and only their order is
-- compared. event_type is '' for an internal change (no event). Adding
-- nullable columns without a default rewrites no table.

ALTER TABLE processed_events
    ADD COLUMN event_type   text,
    ADD COLUMN event_status text,
    ADD COLUMN occurred_at  timestamptz;
ALTER TABLE versions ADD COLUMN occurred_at timestamptz;
