package postgres

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/eligo/eligo"
)

// writes are the rows one transaction writes, collected while it decides
// and sent with one statement per table in one round trip (flush).
type writes struct {
	insert   *eligo.Order  // a new order (CreateOrder)
	updates  []orderWrite  // orders moved forward, one per order
	versions []versionRow  // in write order
	events   []processedID // event ids to record
}

// orderWrite is the last state of an order in the transaction and the
// version it had when it was locked.
type orderWrite struct {
	order       eligo.Order
	prevVersion int64
}

type versionRow struct {
	itemID       string
	who          string
	row          eligo.VersionRow
	eventID      pgtype.Text
	occurredAt   pgtype.Timestamptz
	orderVersion int64
}

// processedID is an event id to record and what its event said.
type processedID struct {
	eventID string
	rec     eligo.ProcessedEvent
}

// addVersion records the change from before to after (before nil for a
// create), written by the update u (nil for a create: see
// eligo.NewVersionRow), caused by the event eventID that occurred at
// occurred (both zero for none), and returns its index in w.versions.
func (ws *writes) addVersion(before, after *eligo.Order, u *eligo.Update, who, eventID string, occurred time.Time) int {
	row, err := eligo.NewVersionRow(before, after, u)
	if err != nil {
		// Changes holds strings, nils and int64s only.
		panic(fmt.Sprintf("postgres: encode object changes: %v", err))
	}
	ws.versions = append(ws.versions, versionRow{
		itemID: after.ID, who: who, row: row,
		eventID: pgtype.Text{String: eventID, Valid: eventID != ""}, occurredAt: timestamp(occurred), orderVersion: after.Version,
	})
	return len(ws.versions) - 1
}

const (
	insertOrderSQL = `INSERT INTO orders (` + orderColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`

	// updateOrdersSQL moves each order from the version it was locked at
	// to its new state.
	updateOrdersSQL = `UPDATE orders AS o SET customer_id = u.customer_id, status = u.status,
		driver_status = u.driver_status, payment_status = u.payment_status,
		placed_at = u.placed_at, promised_at = u.promised_at, payment_timeout_at = u.payment_timeout_at,
		version = u.version, updated_at = u.updated_at,
		attributes = u.attributes::jsonb, deadlines = u.deadlines::jsonb, taken = u.taken::jsonb
	FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
		$7::timestamptz[], $8::timestamptz[], $9::bigint[], $10::timestamptz[], $11::bigint[],
		$12::text[], $13::text[], $14::text[])
		AS u(id, customer_id, status, driver_status, payment_status, placed_at,
		promised_at, payment_timeout_at, version, updated_at, prev_version,
		attributes, deadlines, taken)
	WHERE o.id = u.id AND o.version = u.prev_version`

	// insertVersionsSQL returns each row's id with the key that names it,
	// so ids are matched to rows without relying on the order of RETURNING.
	insertVersionsSQL = `INSERT INTO versions (item_type, item_id, event, whodunnit, object_changes,
		event_id, order_version, created_at, host, build, occurred_at, action, policy_version, params)
	SELECT $1, v.item_id, v.event, v.whodunnit, v.changes::jsonb, v.event_id, v.order_version, $2, $3, $4, v.occurred_at,
		v.action, v.policy_version, v.params::json
	FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bigint[], $11::timestamptz[],
		$12::text[], $13::text[], $14::text[])
		AS v(item_id, event, whodunnit, changes, event_id, order_version, occurred_at, action, policy_version, params)
	RETURNING id, item_id, order_version`

	insertProcessedSQL = `INSERT INTO processed_events (event_id, order_id, processed_at, event_type, event_status, occurred_at)
	SELECT e.event_id, e.order_id, $3, e.event_type, e.event_status, e.occurred_at
	FROM unnest($1::text[], $2::text[], $4::text[], $5::text[], $6::timestamptz[])
		AS e(event_id, order_id, event_type, event_status, occurred_at)`
)

// flush writes ws in one round trip and returns the version ids, in the
// order of ws.versions.
func (w *writeTx) flush(ws *writes) ([]int64, error) {
	var b pgx.Batch
	if ws.insert != nil {
		o := ws.insert
		b.Queue(insertOrderSQL, orderArgs(o)...)
	}
	if n := len(ws.updates); n > 0 {
		b.Queue(updateOrdersSQL, updateArgs(ws.updates)...)
	}
	if n := len(ws.versions); n > 0 {
		itemIDs, events, whos, changes := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		eventIDs, orderVersions := make([]pgtype.Text, n), make([]int64, n)
		occurred := make([]pgtype.Timestamptz, n)
		actions, policyVersions, params := make([]*string, n), make([]*string, n), make([]*string, n)
		for i, v := range ws.versions {
			itemIDs[i], events[i], whos[i], changes[i] = v.itemID, v.row.Event, v.who, string(v.row.Changes)
			eventIDs[i], orderVersions[i], occurred[i] = v.eventID, v.orderVersion, v.occurredAt
			actions[i], policyVersions[i], params[i] = v.row.Action, v.row.PolicyVersion, v.row.Params
		}
		b.Queue(insertVersionsSQL, eligo.ItemTypeOrder, w.now, w.store.set.Host, w.store.set.Build,
			itemIDs, events, whos, changes, eventIDs, orderVersions, occurred, actions, policyVersions, params)
	}
	if n := len(ws.events); n > 0 {
		eventIDs, orderIDs, types, statuses := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		occurred := make([]pgtype.Timestamptz, n)
		for i, e := range ws.events {
			eventIDs[i], orderIDs[i], types[i], statuses[i] = e.eventID, e.rec.OrderID, e.rec.Type, e.rec.Status
			occurred[i] = timestamp(e.rec.OccurredAt)
		}
		b.Queue(insertProcessedSQL, eventIDs, orderIDs, w.now, types, statuses, occurred)
	}
	if b.Len() == 0 {
		return nil, nil
	}
	br := w.tx.SendBatch(w.ctx, &b)
	ids, err := readFlush(br, ws)
	if cerr := br.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("postgres: write: %w", cerr)
	}
	return ids, err
}

// readFlush reads the results of flush's batch, in the order it queued them.
func readFlush(br pgx.BatchResults, ws *writes) ([]int64, error) {
	if ws.insert != nil {
		if _, err := br.Exec(); err != nil {
			return nil, fmt.Errorf("postgres: insert order: %w", err)
		}
	}
	if n := len(ws.updates); n > 0 {
		tag, err := br.Exec()
		if err != nil {
			return nil, fmt.Errorf("postgres: update orders: %w", err)
		}
		if tag.RowsAffected() != int64(n) {
			// The rows are locked, so this is a bug, not a race.
			return nil, fmt.Errorf("postgres: update orders: %d of %d locked rows updated", tag.RowsAffected(), n)
		}
	}
	var ids []int64
	if n := len(ws.versions); n > 0 {
		type key struct {
			itemID  string
			version int64
		}
		byKey := make(map[key]int64, n)
		rows, err := br.Query()
		if err != nil {
			return nil, fmt.Errorf("postgres: insert versions: %w", err)
		}
		var (
			id, version int64
			itemID      string
		)
		_, err = pgx.ForEachRow(rows, []any{&id, &itemID, &version}, func() error {
			byKey[key{itemID, version}] = id
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("postgres: insert versions: %w", err)
		}
		ids = make([]int64, n)
		for i, v := range ws.versions {
			if ids[i] = byKey[key{v.itemID, v.orderVersion}]; ids[i] == 0 {
				return nil, fmt.Errorf("postgres: insert versions: no id returned for %s version %d", v.itemID, v.orderVersion)
			}
		}
	}
	if len(ws.events) > 0 {
		if _, err := br.Exec(); err != nil {
			return nil, fmt.Errorf("postgres: record processed events: %w", err)
		}
	}
	return ids, nil
}

// updateArgs returns the arguments of updateOrdersSQL: one array per column.
func updateArgs(us []orderWrite) []any {
	n := len(us)
	ids, customers, statuses, payments := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	drivers, timeouts := make([]pgtype.Text, n), make([]pgtype.Timestamptz, n)
	placed, promised, updated := make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n)
	versions, prev := make([]int64, n), make([]int64, n)
	attrs, deadlines, taken := make([]*string, n), make([]*string, n), make([]*string, n)
	for i := range us {
		o := &us[i].order
		ids[i], customers[i], statuses[i], payments[i] = o.ID, o.CustomerID, o.Status.String(), o.PaymentStatus.String()
		drivers[i], timeouts[i] = driverText(o.DriverStatus), timestamptz(o)
		placed[i] = pgtype.Timestamptz{Time: o.PlacedAt, Valid: true}
		promised[i] = pgtype.Timestamptz{Time: o.PromisedAt, Valid: true}
		updated[i] = pgtype.Timestamptz{Time: o.UpdatedAt, Valid: true}
		versions[i], prev[i] = o.Version, us[i].prevVersion
		attrs[i], deadlines[i], taken[i] = eligo.OrderJSONColumns(o)
	}
	return []any{ids, customers, statuses, drivers, payments, placed, promised, timeouts, versions, updated, prev,
		attrs, deadlines, taken}
}

// orderArgs returns o's column values in the order of orderColumns, for
// an INSERT (insertOrderSQL) or a COPY (BulkLoad).
func orderArgs(o *eligo.Order) []any {
	attrs, deadlines, taken := eligo.OrderJSONColumns(o)
	return []any{o.ID, o.CustomerID, o.Status.String(), driverText(o.DriverStatus), o.PaymentStatus.String(),
		o.PlacedAt, o.PromisedAt, timestamptz(o), o.Version, o.UpdatedAt, attrs, deadlines, taken}
}

// driverText is the driver_status column of a driver status: NULL for none.
func driverText(s eligo.DriverStatus) pgtype.Text {
	return pgtype.Text{String: s.String(), Valid: s != eligo.DriverNone}
}

// timestamptz is the payment_timeout_at column of o: NULL for none.
func timestamptz(o *eligo.Order) pgtype.Timestamptz { return timestamp(o.PaymentTimeoutAt) }

// timestamp is a nullable timestamptz column: NULL for the zero time.
func timestamp(t time.Time) pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: t, Valid: !t.IsZero()}
}
