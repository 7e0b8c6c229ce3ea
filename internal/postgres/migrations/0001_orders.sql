-- Orders, their versions and the ids of the events already processed.
-- Statuses are stored by name so that the tables read on their own. Ids are
-- compared bytewise (COLLATE "C"), as the embedded store compares them, so
-- that ListOrders pages the same way on both.

CREATE TABLE orders (
    id                 text COLLATE "C" NOT NULL PRIMARY KEY,
    customer_id        text        NOT NULL,
    status             text        NOT NULL,
    driver_status      text,
    payment_status     text        NOT NULL,
    placed_at          timestamptz NOT NULL,
    promised_at        timestamptz NOT NULL,
    payment_timeout_at timestamptz,
    version            bigint      NOT NULL CHECK (version > 0),
    updated_at         timestamptz NOT NULL
) WITH (fillfactor = 80); -- room on each page for HOT updates: an event rewrites the row, never the key

-- One row per change, in the shape of a PaperTrail version. The unique key
-- makes "each order version is written once" a fact of the database.
CREATE TABLE versions (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_type      text        NOT NULL,
    item_id        text COLLATE "C" NOT NULL,
    event          text        NOT NULL,
    whodunnit      text        NOT NULL,
    object_changes jsonb       NOT NULL,
    event_id       text,
    order_version  bigint      NOT NULL,
    created_at     timestamptz NOT NULL,
    host           text        NOT NULL,
    build          text        NOT NULL,
    CONSTRAINT versions_item_order_version UNIQUE (item_type, item_id, order_version)
);

-- No foreign key to orders: every row is written by the transaction that
-- holds its order's row lock, and orders are never deleted; the key's check
-- was a sixth of the database time of a batch of events.
CREATE TABLE processed_events (
    event_id     text        NOT NULL PRIMARY KEY,
    order_id     text COLLATE "C" NOT NULL,
    processed_at timestamptz NOT NULL
);
