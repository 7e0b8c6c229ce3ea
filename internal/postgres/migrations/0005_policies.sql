-- Issue 17: what the policy reads of an order and what an action records.
-- An order's attributes, named deadlines and the "once" actions taken are
-- jsonb in the shape of their fields in object_changes ({"city":"AMS"},
-- {"event_starts_at":"2027-01-01T20:00:00Z"}, ["refund"]), NULL when the
-- order has none: rows written before this migration read back with none.
-- A version that took a policy action (event "action") records the
-- action, the policy version it was decided under (SEQ-HASH12) and the
-- caller's params: json, not jsonb, so that they are kept byte for byte
-- as they came and pass through unchanged (jsonb would reorder their
-- keys); the three are NULL on every other version. Adding nullable
-- columns without a default rewrites no table.

ALTER TABLE orders
    ADD COLUMN attributes jsonb,
    ADD COLUMN deadlines  jsonb,
    ADD COLUMN taken      jsonb;
ALTER TABLE versions
    ADD COLUMN action         text,
    ADD COLUMN policy_version text,
    ADD COLUMN params         json;

-- The policy's versions (eligo.PolicyStore): seq counts them from 1, the
-- newest is the current one. body is the canonical policy file, hash its
-- hex SHA-256; who applied it, where and with which build, and when, as
-- on an order's version.
CREATE TABLE policies (
    seq        bigint      NOT NULL PRIMARY KEY CHECK (seq > 0),
    hash       text        NOT NULL,
    body       text        NOT NULL,
    whodunnit  text        NOT NULL,
    host       text        NOT NULL,
    build      text        NOT NULL,
    created_at timestamptz NOT NULL
);
