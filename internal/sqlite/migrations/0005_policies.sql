-- Issue 17: what the policy reads of an order and what an action records.
-- An order's attributes, named deadlines and the "once" actions taken are
-- JSON text in the shape of their fields in object_changes
-- ({"city":"AMS"}, {"event_starts_at":"2027-01-01T20:00:00Z"},
-- ["refund"]), NULL when the order has none: rows written before this
-- migration read back with none. A version that took a policy action
-- (event "action") records the action, the policy version it was decided
-- under (SEQ-HASH12) and the caller's params (a JSON object, kept as it
-- came); the three are NULL on every other version.

ALTER TABLE orders ADD COLUMN attributes TEXT;
ALTER TABLE orders ADD COLUMN deadlines TEXT;
ALTER TABLE orders ADD COLUMN taken TEXT;
ALTER TABLE versions ADD COLUMN action TEXT;
ALTER TABLE versions ADD COLUMN policy_version TEXT;
ALTER TABLE versions ADD COLUMN params TEXT;

-- The policy's versions (eligo.PolicyStore): seq counts them from 1, the
-- newest is the current one. body is the canonical policy file, hash its
-- hex SHA-256; who applied it, where and with which build, and when
-- (created_at, Unix nanoseconds, UTC), as on an order's version.
CREATE TABLE policies (
    seq        INTEGER NOT NULL PRIMARY KEY CHECK (seq > 0),
    hash       TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    whodunnit  TEXT    NOT NULL,
    host       TEXT    NOT NULL,
    build      TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
