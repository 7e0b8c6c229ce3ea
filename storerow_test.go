package eligo_test

import (
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

// fakeRows is a query result of rows of single values.
type fakeRows struct {
	vals []any
	next int
	err  error
}

func (r *fakeRows) Next() bool { r.next++; return r.next <= len(r.vals) }
func (r *fakeRows) Err() error { return r.err }
func (r *fakeRows) Scan(dest ...any) error {
	s, ok := r.vals[r.next-1].(string)
	if !ok {
		return errors.New("not a string")
	}
	*dest[0].(*string) = s
	return nil
}

func scanString(row eligo.RowScanner) (string, error) {
	var s string
	err := row.Scan(&s)
	return s, err
}

func TestCollectRows(t *testing.T) {
	t.Parallel()
	got, err := eligo.CollectRows(&fakeRows{}, nil, "list", scanString)
	require.NoError(t, err)
	require.NotNil(t, got, "no rows is an empty slice")
	require.Empty(t, got)

	got, err = eligo.CollectRows(&fakeRows{vals: []any{"a", "b"}}, nil, "list", scanString)
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, got)

	// A failed scan fails the whole, and the rest is read to its end.
	rows := &fakeRows{vals: []any{"a", 1, "c"}}
	_, err = eligo.CollectRows(rows, nil, "list", scanString)
	require.EqualError(t, err, "list: not a string")
	require.Equal(t, eligo.EINTERNAL, eligo.ErrorCode(err))
	require.False(t, rows.Next(), "read to its end")

	_, err = eligo.CollectRows(&fakeRows{err: sql.ErrConnDone}, nil, "list", scanString)
	require.ErrorIs(t, err, sql.ErrConnDone)
	_, err = eligo.CollectRows[string](nil, sql.ErrConnDone, "list", scanString)
	require.ErrorIs(t, err, sql.ErrConnDone)
}

func TestStoreListRefusesLimitBelowOne(t *testing.T) {
	t.Parallel()
	query := func() (eligo.Rows, error) { t.Fatal("queried"); return nil, nil }
	for _, limit := range []int{0, -1} {
		_, err := eligo.StoreListChanges(limit, "list changes", query)
		require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err))
		_, err = eligo.StoreListOrders(&eligo.ListOrdersParams{Limit: limit}, "list orders", nil, query)
		require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err))
	}
	_, err := eligo.StoreListOrders(nil, "list orders", nil, query)
	require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err))
}

func TestFoundRow(t *testing.T) {
	t.Parallel()
	notFound := func() error { return eligo.OrderNotFound("order-1") }
	v, err := eligo.FoundRow(7, nil, sql.ErrNoRows, "find", notFound)
	require.NoError(t, err)
	require.Equal(t, 7, v)
	_, err = eligo.FoundRow(0, sql.ErrNoRows, sql.ErrNoRows, "find", notFound)
	require.Equal(t, eligo.ENOTFOUND, eligo.ErrorCode(err))
	require.NotErrorIs(t, err, sql.ErrNoRows, "the driver's no-rows error does not leave the store")
	_, err = eligo.FoundRow(0, sql.ErrConnDone, sql.ErrNoRows, "find", notFound)
	require.Equal(t, eligo.EINTERNAL, eligo.ErrorCode(err))
	require.EqualError(t, err, "find: "+sql.ErrConnDone.Error())
}

// orderRow is a row of the order columns, times as Unix seconds.
type orderRow []any

func (r orderRow) Scan(dest ...any) error {
	for i, v := range r {
		switch d := dest[i].(type) {
		case *string:
			*d = v.(string)
		case **string:
			if v != nil {
				s := v.(string)
				*d = &s
			}
		case *int64:
			*d = v.(int64)
		case **int64:
			if v != nil {
				n := v.(int64)
				*d = &n
			}
		}
	}
	return nil
}

func fromSeconds(n *int64) time.Time {
	if n == nil {
		return time.Time{}
	}
	return time.Unix(*n, 0).UTC()
}

func TestScanOrder(t *testing.T) {
	t.Parallel()
	row := orderRow{"order-1", "cust-1", "PLACED", nil, "PAID", int64(10), int64(20), nil, int64(1), int64(30)}
	o, err := eligo.ScanOrder(row, fromSeconds)
	require.NoError(t, err)
	require.Equal(t, eligo.Order{ID: "order-1", CustomerID: "cust-1", Status: eligo.StatusPlaced, PaymentStatus: eligo.PaymentPaid,
		PlacedAt: time.Unix(10, 0).UTC(), PromisedAt: time.Unix(20, 0).UTC(), Version: 1, UpdatedAt: time.Unix(30, 0).UTC()}, o)

	for i, bad := range map[int]any{2: "gone", 3: "flying", 4: "maybe"} {
		row := append(orderRow{}, row...)
		row[i] = bad
		_, err := eligo.ScanOrder(row, fromSeconds)
		require.Equal(t, eligo.EINTERNAL, eligo.ErrorCode(err), "a stored status that does not parse is internal: %v", err)
	}
}

func TestOrderJSONColumnsReadBack(t *testing.T) {
	t.Parallel()
	at := time.Date(2031, time.March, 4, 5, 6, 7, 123456789, time.UTC)
	o := eligo.Order{ID: "order-1", Taken: []string{"refund", "tip"}}
	var err error
	o.Attributes, err = eligo.MakeAttributes(map[string]string{"merchant": "m-1", "city": "AMS"})
	require.NoError(t, err)
	o.Deadlines, err = eligo.MakeDeadlines(map[string]time.Time{"event_starts_at": at, "doors_at": at.Add(-time.Hour)})
	require.NoError(t, err)

	attrs, deadlines, taken := eligo.OrderJSONColumns(&o)
	require.JSONEq(t, `{"city":"AMS","merchant":"m-1"}`, *attrs)
	require.JSONEq(t, `{"doors_at":"2031-03-04T04:06:07.123456789Z","event_starts_at":"2031-03-04T05:06:07.123456789Z"}`, *deadlines)
	require.JSONEq(t, `["refund","tip"]`, *taken)

	row := orderRow{"order-1", "cust-1", "PLACED", nil, "PAID", int64(10), int64(20), nil, int64(1), int64(30), *attrs, *deadlines, *taken}
	got, err := eligo.ScanOrder(row, fromSeconds)
	require.NoError(t, err)
	require.Equal(t, o.Attributes, got.Attributes)
	require.Equal(t, o.Deadlines, got.Deadlines)
	require.Equal(t, o.Taken, got.Taken)

	// None of them: NULL, and NULL (a row from before the columns) reads
	// back as none.
	attrs, deadlines, taken = eligo.OrderJSONColumns(&eligo.Order{ID: "order-2"})
	require.Nil(t, attrs)
	require.Nil(t, deadlines)
	require.Nil(t, taken)
	got, err = eligo.ScanOrder(orderRow{"order-2", "cust-1", "PLACED", nil, "PAID", int64(10), int64(20), nil, int64(1), int64(30), nil, nil, nil}, fromSeconds)
	require.NoError(t, err)
	require.Nil(t, got.Attributes)
	require.Nil(t, got.Deadlines)
	require.Nil(t, got.Taken)

	for i, bad := range map[int]any{10: `["city"]`, 11: `{"x":"yesterday"}`, 12: `{}`} {
		row := append(orderRow{}, row...)
		row[i] = bad
		_, err := eligo.ScanOrder(row, fromSeconds)
		require.Equal(t, eligo.EINTERNAL, eligo.ErrorCode(err), "a stored column that does not decode is internal: %v", err)
	}
}

func TestNewVersionRowOfAnAction(t *testing.T) {
	t.Parallel()
	p, err := eligo.ParsePolicy([]byte(`{"actions":{"cancel":{"windows":[{"name":"any","from":"placed_at"}]},"reschedule":{"windows":[{"name":"any","from":"placed_at"}]}}}`))
	require.NoError(t, err)
	before := eligo.Order{ID: "order-1", Version: 1}
	after := before
	after.Version = 2
	u, err := eligo.ActionUpdate("order-1", eligo.WhoService, p, "reschedule", []byte(`{"slot": "18:00"}`), nil)
	require.NoError(t, err)
	row, err := eligo.NewVersionRow(&before, &after, &u)
	require.NoError(t, err)
	require.Equal(t, eligo.VersionAction, row.Event)
	require.Equal(t, "reschedule", *row.Action)
	require.Equal(t, p.VersionString(), *row.PolicyVersion)
	require.Equal(t, `{"slot":"18:00"}`, *row.Params)
	require.JSONEq(t, `{"version":[1,2]}`, string(row.Changes))

	plain := eligo.Update{OrderID: "order-1"}
	row, err = eligo.NewVersionRow(&before, &after, &plain)
	require.NoError(t, err)
	require.Equal(t, eligo.VersionUpdate, row.Event)
	require.Nil(t, row.Action)
	require.Nil(t, row.PolicyVersion)
	require.Nil(t, row.Params)
	row, err = eligo.NewVersionRow(nil, &after, nil)
	require.NoError(t, err)
	require.Equal(t, eligo.VersionCreate, row.Event)
}

func TestDecidePutPolicy(t *testing.T) {
	t.Parallel()
	now := time.Date(2031, time.March, 4, 5, 6, 7, 0, time.UTC)
	p := eligo.DefaultPolicy()
	first, create, err := eligo.DecidePutPolicy(&eligo.PutPolicyParams{Policy: p, Who: "service"}, nil, now, "h", "b")
	require.NoError(t, err)
	require.True(t, create)
	require.Equal(t, eligo.StoredPolicy{Seq: 1, Hash: p.Version().Hash, Body: p.Canonical(), Whodunnit: "service", Host: "h", Build: "b", CreatedAt: now}, first)

	same, create, err := eligo.DecidePutPolicy(&eligo.PutPolicyParams{Policy: p, Who: "other"}, &first, now.Add(time.Hour), "h2", "b2")
	require.NoError(t, err)
	require.False(t, create, "the same rules again store nothing")
	require.Equal(t, first, same)

	other, err := eligo.ParsePolicy([]byte(`{"actions":{"cancel":{"windows":[{"name":"any","from":"placed_at"}]}}}`))
	require.NoError(t, err)
	next, create, err := eligo.DecidePutPolicy(&eligo.PutPolicyParams{Policy: other, Who: "service"}, &first, now, "h", "b")
	require.NoError(t, err)
	require.True(t, create)
	require.EqualValues(t, 2, next.Seq)
	require.Equal(t, other.Version().Hash, next.Hash)

	for _, bad := range []*eligo.PutPolicyParams{nil, {Who: "service"}, {Policy: p}} {
		_, _, err := eligo.DecidePutPolicy(bad, &first, now, "h", "b")
		require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err))
	}
}
