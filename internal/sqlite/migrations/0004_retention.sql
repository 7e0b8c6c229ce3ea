-- The retention job deletes an ended order with its processed event ids,
-- found by order id. SQLite also checks processed_events' foreign key on
-- every delete of an order: without this index, both scan the whole table.

CREATE INDEX processed_events_order ON processed_events (order_id);
