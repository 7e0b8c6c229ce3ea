-- Orders, their versions and the ids of the events already processed.
-- Times are Unix nanoseconds (UTC); a missing time is NULL. Statuses are
-- stored by name so that the file reads on its own.

CREATE TABLE orders (
    id                 TEXT    NOT NULL PRIMARY KEY,
    customer_id        TEXT    NOT NULL,
    status             TEXT    NOT NULL,
    driver_status      TEXT,
    payment_status     TEXT    NOT NULL,
    placed_at          INTEGER NOT NULL,
    promised_at        INTEGER NOT NULL,
    payment_timeout_at INTEGER,
    version            INTEGER NOT NULL CHECK (version > 0),
    updated_at         INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE versions (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    item_type      TEXT    NOT NULL,
    item_id        TEXT    NOT NULL,
    event          TEXT    NOT NULL,
    whodunnit      TEXT    NOT NULL,
    object_changes TEXT    NOT NULL,
    event_id       TEXT,
    order_version  INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    host           TEXT    NOT NULL,
    build          TEXT    NOT NULL
);

CREATE INDEX versions_item ON versions (item_type, item_id, id);

CREATE TABLE processed_events (
    event_id     TEXT    NOT NULL PRIMARY KEY,
    order_id     TEXT    NOT NULL REFERENCES orders (id),
    processed_at INTEGER NOT NULL
) WITHOUT ROWID;
