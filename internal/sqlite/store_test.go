package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/sqlite"
	"github.com/eligo/eligo/internal/storetest"
	"github.com/eligo/eligo/internal/testenv"
)

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Exercise(t, openTemp)
}

// openTemp opens a store on a new file in t's temporary directory (a
// storetest.NewStoreFunc). The store is not closed when the test ends: the
// caller (or storetest) does that.
func openTemp(t testing.TB, clock func() time.Time) eligo.OrderStore {
	t.Helper()
	s, err := sqlite.Open(t.Context(), &sqlite.Config{
		Path: filepath.Join(t.TempDir(), "eligo.db"), Now: clock, Host: "test-host", Build: "test-build",
	})
	require.NoError(t, err)
	return s
}

// testBundle is what the package's own tests work with.
type testBundle struct {
	path  string
	now   time.Time // where the clock started
	clock *testenv.Clock
	store *sqlite.Store
	// timeout is the stores' Config.Timeout: zero for the default.
	timeout time.Duration
}

// setup opens a store on a new file with a clock stopped at a time with
// nanoseconds.
func setup(t testing.TB) *testBundle {
	t.Helper()
	now := storetest.NanoTime
	b := &testBundle{path: filepath.Join(t.TempDir(), "eligo.db"), now: now, clock: testenv.NewClock(now)}
	b.store = b.open(t)
	return b
}

// open opens a store on the bundle's file and closes it when the test ends.
func (b *testBundle) open(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), &sqlite.Config{
		Path: b.path, Now: b.clock.Now, Host: "test-host", Build: "test-build", Timeout: b.timeout,
	})
	require.NoError(t, err)
	storetest.CloseAtEnd(t, s)
	return s
}

// params returns the params of a new order placed a minute ago.
func (b *testBundle) params(id string) *eligo.CreateOrderParams {
	return storetest.CreateParams(id, b.now)
}

var driverEvent = storetest.DriverEvent

func TestOpenRejectsBadConfig(t *testing.T) {
	t.Parallel()
	storetest.RequireOpenRefuses(t, sqlite.Open, map[string]*sqlite.Config{
		// The reader pool could not see an in-memory database.
		"Memory": {Path: ":memory:"},
		"URI":    {Path: "file:eligo.db?mode=memory"},
	}, nil)
}

func TestRestart(t *testing.T) {
	t.Parallel()
	storetest.ExerciseRestart(t, func(t *testing.T, clock func() time.Time) func() eligo.OrderStore {
		path := filepath.Join(t.TempDir(), "eligo.db")
		return func() eligo.OrderStore {
			s, err := sqlite.Open(t.Context(), &sqlite.Config{Path: path, Now: clock})
			require.NoError(t, err)
			return s
		}
	})
}

func TestTimesRoundTripExactly(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	tokyo := time.FixedZone("JST", 9*3600)
	p := b.params("order-1")
	p.Order.PlacedAt = time.Date(2031, time.March, 4, 14, 0, 0, 1, tokyo)
	p.Order.PromisedAt = p.Order.PlacedAt.Add(10*time.Minute + 7)
	p.Order.PaymentTimeoutAt = p.Order.PlacedAt.Add(5*time.Minute + 3)

	created, _, err := b.store.CreateOrder(ctx, p)
	require.NoError(t, err)
	found, err := b.store.FindOrder(ctx, "order-1")
	require.NoError(t, err)
	require.Equal(t, created, found, "an order reads back identical, nanoseconds and all")
	require.Equal(t, p.Order.PromisedAt.UnixNano(), found.PromisedAt.UnixNano())
	require.Equal(t, time.UTC, found.PlacedAt.Location())
	require.Equal(t, b.now.UnixNano(), found.UpdatedAt.UnixNano())

	vs, err := b.store.FindVersions(ctx, "order-1")
	require.NoError(t, err)
	require.Equal(t, b.now, vs[0].CreatedAt)
}

func TestTimeOutOfRangeIsInvalid(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p := b.params("order-1")
	p.Order.PromisedAt = time.Date(2300, time.January, 1, 0, 0, 0, 0, time.UTC)
	_, _, err := b.store.CreateOrder(t.Context(), p)
	require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err), "error: %v", err)
	require.Contains(t, eligo.ErrorMessage(err), "promised_at")
	_, err = b.store.FindOrder(t.Context(), "order-1")
	require.Equal(t, eligo.ENOTFOUND, eligo.ErrorCode(err))
}

func TestVersionsRecordHostBuildAndExactChanges(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	o, _, err := b.store.CreateOrder(ctx, b.params("order-1"))
	require.NoError(t, err)
	rs, err := b.store.UpdateOrders(ctx, []eligo.Update{driverEvent("ev-1", "order-1", eligo.DriverAssigned)})
	require.NoError(t, err)

	vs, err := b.store.FindVersions(ctx, "order-1")
	require.NoError(t, err)
	require.Len(t, vs, 2)
	for _, v := range vs {
		require.Equal(t, "test-host", v.Host)
		require.Equal(t, "test-build", v.Build)
	}
	// Numbers read back as int64, so changes compare equal to eligo.Changes
	// without a JSON round trip.
	require.Equal(t, eligo.Changes(nil, &o), vs[0].ObjectChanges)
	require.Equal(t, eligo.Changes(&o, &rs[0].Order), vs[1].ObjectChanges)
}

func TestBatchOfThousandEventsIsOneTransaction(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// Without a deadline: under -race on a loaded machine the batch can
	// take longer than the default timeout, and what this test pins is
	// the one transaction, not how fast it is (BenchmarkUpdateOrders is).
	b.timeout = -1
	require.NoError(t, b.store.Close())
	b.store = b.open(t)
	ctx := t.Context()
	const orders = 250
	statuses := []eligo.DriverStatus{eligo.DriverAssigned, eligo.DriverAtStore, eligo.DriverPickedUp, eligo.DriverArrivedAtDoorstep}
	var updates []eligo.Update
	for i := range orders {
		id := fmt.Sprintf("order-%03d", i)
		_, _, err := b.store.CreateOrder(ctx, b.params(id))
		require.NoError(t, err)
		for j, s := range statuses {
			updates = append(updates, driverEvent(fmt.Sprintf("ev-%03d-%d", i, j), id, s))
		}
	}

	start := time.Now()
	rs, err := b.store.UpdateOrders(ctx, updates)
	require.NoError(t, err)
	t.Logf("%d events in one batch: %s", len(updates), time.Since(start))
	for i, r := range rs {
		require.Equal(t, eligo.OutcomeApplied, r.Outcome, "update %d: %v", i, r.Err)
	}
	o, err := b.store.FindOrder(ctx, "order-249")
	require.NoError(t, err)
	require.EqualValues(t, 5, o.Version)
	require.Equal(t, eligo.DriverArrivedAtDoorstep, o.DriverStatus)
}

// TestWriteWaitsForAnotherWriter pins the row lock of eligo.Update against
// writers outside the store (River's connections on the same file): an
// update waits for the other transaction, and Apply gets the clock read
// after the lock was taken, not before.
func TestWriteWaitsForAnotherWriter(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	_, _, err := b.store.CreateOrder(ctx, b.params("order-1"))
	require.NoError(t, err)
	conn, err := openRaw(t, b.path).Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	require.NoError(t, err)

	type result struct {
		rs  []eligo.UpdateResult
		err error
		now time.Time
	}
	done := make(chan result, 1)
	go func() {
		var r result
		r.rs, r.err = b.store.UpdateOrders(ctx, []eligo.Update{{OrderID: "order-1", Who: "test",
			Apply: func(o eligo.Order, now time.Time) (eligo.Order, error) {
				r.now = now
				o.DriverStatus = eligo.DriverAssigned
				return o, nil
			}}})
		done <- r
	}()
	select {
	case <-done:
		t.Fatal("UpdateOrders did not wait for the other writer")
	case <-time.After(100 * time.Millisecond):
	}
	later := b.clock.Advance(time.Minute)
	_, err = conn.ExecContext(ctx, "COMMIT")
	require.NoError(t, err)

	r := <-done
	require.NoError(t, r.err)
	require.Equal(t, eligo.OutcomeApplied, r.rs[0].Outcome)
	require.Equal(t, later, r.now, "Apply got the clock read under the lock")
	require.Equal(t, later, r.rs[0].Order.UpdatedAt)
}

func TestSchemaMigrationsRecorded(t *testing.T) {
	t.Parallel()
	b := setup(t)
	require.NoError(t, b.store.Close())
	b.open(t) // a second Open applies nothing again

	db := openRaw(t, b.path)
	var versions []string
	rows, err := db.QueryContext(t.Context(), `SELECT version || ':' || name FROM schema_migrations ORDER BY version`)
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var v string
		require.NoError(t, rows.Scan(&v))
		versions = append(versions, v)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{"1:0001_orders", "2:0002_event_content", "3:0003_data_lifetime", "4:0004_retention", "5:0005_policies"}, versions)

	var mode string
	require.NoError(t, db.QueryRowContext(t.Context(), `PRAGMA journal_mode`).Scan(&mode))
	require.Equal(t, "wal", strings.ToLower(mode))
}

// openRaw opens the database file directly, for checks the store's API does
// not offer.
func openRaw(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	return db
}

func TestJobsHook(t *testing.T) {
	t.Parallel()
	storetest.ExerciseJobs(t, func(t *testing.T, clock func() time.Time, hook func(context.Context, []eligo.Change) error) (eligo.OrderStore, func() []int64) {
		s, err := sqlite.Open(t.Context(), &sqlite.Config{
			Path: filepath.Join(t.TempDir(), "eligo.db"), Now: clock,
			Jobs: func(ctx context.Context, tx *sql.Tx, changes []eligo.Change) error {
				if err := hook(ctx, changes); err != nil {
					return err
				}
				for _, c := range changes {
					// Only a version this transaction sees makes a row.
					res, err := tx.ExecContext(ctx, `INSERT INTO test_jobs (version_id) SELECT id FROM versions WHERE id = ?`, c.VersionID)
					if err != nil {
						return err
					}
					if n, _ := res.RowsAffected(); n != 1 {
						return fmt.Errorf("version %d is not visible to the hook", c.VersionID)
					}
				}
				return nil
			},
		})
		require.NoError(t, err)
		_, err = s.DB().ExecContext(t.Context(), `CREATE TABLE test_jobs (version_id INTEGER NOT NULL)`)
		require.NoError(t, err)
		return s, func() []int64 {
			var ids []int64
			rows, err := s.DB().QueryContext(t.Context(), `SELECT version_id FROM test_jobs ORDER BY rowid`)
			require.NoError(t, err)
			defer rows.Close()
			for rows.Next() {
				var id int64
				require.NoError(t, rows.Scan(&id))
				ids = append(ids, id)
			}
			require.NoError(t, rows.Err())
			return ids
		}
	})
}

// Pins migration 0005 on a file written before it: the order and version
// rows of then read back with no attributes, deadlines or action, and take
// them after.
func TestRowsFromBeforeMigration5(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "eligo.db")
	db := openRaw(t, path)
	ctx := t.Context()
	_, err := db.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`)
	require.NoError(t, err)
	for i, name := range []string{"0001_orders", "0002_event_content", "0003_data_lifetime", "0004_retention"} {
		body, err := os.ReadFile(filepath.Join("migrations", name+".sql"))
		require.NoError(t, err)
		_, err = db.ExecContext(ctx, string(body))
		require.NoError(t, err, name)
		_, err = db.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (?, ?, 0)`, i+1, name)
		require.NoError(t, err)
	}
	now := storetest.NanoTime
	_, err = db.ExecContext(ctx, `INSERT INTO orders (id, customer_id, status, driver_status, payment_status,
		placed_at, promised_at, payment_timeout_at, version, updated_at) VALUES ('old-1', 'cust-1', 'PLACED', NULL, 'PAID', ?, ?, NULL, 1, ?)`,
		now.Add(-time.Minute).UnixNano(), now.Add(10*time.Minute).UnixNano(), now.UnixNano())
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `INSERT INTO versions (item_type, item_id, event, whodunnit, object_changes, event_id,
		order_version, created_at, host, build, occurred_at) VALUES ('Order', 'old-1', 'create', 'service', '{"id":[null,"old-1"]}', NULL, 1, ?, 'h', 'b', NULL)`,
		now.UnixNano())
	require.NoError(t, err)
	require.NoError(t, db.Close())

	s, err := sqlite.Open(ctx, &sqlite.Config{Path: path, Now: testenv.NewClock(now).Now})
	require.NoError(t, err)
	storetest.CloseAtEnd(t, s)
	storetest.RequireOrderFromBeforeAttributes(t, s, "old-1")
}
