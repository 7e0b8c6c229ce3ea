package postgres_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/postgres"
	"github.com/eligo/eligo/internal/storetest"
	"github.com/eligo/eligo/internal/testenv"
)

func TestOpenRejectsBadConfig(t *testing.T) {
	t.Parallel()
	storetest.RequireOpenRefuses(t, postgres.Open, map[string]*postgres.Config{
		// The parse error would quote the password; the message must not.
		"Unparsable": {URL: "postgres://user:secret@host:notaport/db"},
	}, func(t *testing.T, err error) {
		require.NotContains(t, err.Error(), "secret")
	})
}

func TestRedact(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"NoPassword", "postgres://eligo@db:5432/eligo?sslmode=disable", "postgres://eligo@db:5432/eligo?sslmode=disable"},
		{"UserinfoPassword", "postgres://eligo:s3cret@db/eligo", "postgres://eligo:xxxxx@db/eligo"},
		{"QueryPassword", "postgres://eligo@db/eligo?password=s3cret", "postgres://eligo@db/eligo?password=xxxxx"},
		{"KeywordValue", "host=db password=s3cret", "(connection string with a password)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, postgres.Redact(tt.in))
		})
	}
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	connURL := testenv.PostgresSchemaURL(t)
	s, err := postgres.Open(t.Context(), &postgres.Config{URL: connURL})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })

	pending, err := s.Pending(t.Context())
	require.NoError(t, err)
	require.Equal(t, []string{"0001_orders", "0002_event_content", "0003_data_lifetime", "0004_retention", "0005_policies"}, pending, "an empty schema has every migration pending")
	_, err = s.FindOrder(t.Context(), "order-1")
	require.Equal(t, eligo.EINTERNAL, eligo.ErrorCode(err), "Open alone creates no table")

	// Replicas starting together: each migration is applied once.
	const n = 4
	applied := make([][]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			other, err := postgres.Open(t.Context(), &postgres.Config{URL: connURL, MaxConns: 2})
			if err != nil {
				t.Error(err)
				return
			}
			defer other.Close()
			applied[i], err = other.Migrate(t.Context())
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	var total int
	for _, a := range applied {
		total += len(a)
	}
	require.Equal(t, len(pending), total, "each migration once; applied: %v", applied)

	pending, err = s.Pending(t.Context())
	require.NoError(t, err)
	require.Empty(t, pending)
	again, err := s.Migrate(t.Context())
	require.NoError(t, err)
	require.Empty(t, again)
	_, err = s.FindOrder(t.Context(), "order-1")
	require.Equal(t, eligo.ENOTFOUND, eligo.ErrorCode(err))
}

// Pins that a repeated create with nanosecond times is the same order,
// though timestamptz keeps microseconds.
func TestTimesKeepMicroseconds(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	p := b.params("order-1")
	p.Order.PaymentTimeoutAt = b.now.Add(5*time.Minute + time.Nanosecond)
	starts := b.now.Add(48*time.Hour + time.Nanosecond)
	p.Order.Deadlines = map[string]time.Time{"event_starts_at": starts}

	o, created, err := b.store.CreateOrder(ctx, p)
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, b.now.Truncate(time.Microsecond), o.UpdatedAt)
	require.Equal(t, p.Order.PlacedAt.Truncate(time.Microsecond), o.PlacedAt)
	require.Equal(t, p.Order.PaymentTimeoutAt.Truncate(time.Microsecond), o.PaymentTimeoutAt)
	require.Equal(t, []eligo.Deadline{{Name: "event_starts_at", At: starts.Truncate(time.Microsecond)}}, o.Deadlines)
	require.Equal(t, starts, p.Order.Deadlines["event_starts_at"], "the caller's params are left as they were")
	stored, err := b.store.FindOrder(ctx, "order-1")
	require.NoError(t, err)
	require.Equal(t, o, stored, "what CreateOrder returns is what was stored")

	again, created, err := b.store.CreateOrder(ctx, p)
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, o, again)

	rs, err := b.store.UpdateOrders(ctx, []eligo.Update{driverEvent("ev-1", "order-1", eligo.DriverAssigned),
		eligo.EventUpdate(&eligo.Event{EventID: "ev-2", OrderID: "order-1", Type: eligo.EventDeadline, Deadline: "doors_open_at", At: starts.Add(-time.Hour)}, eligo.WhoService)})
	require.NoError(t, err)
	stored, err = b.store.FindOrder(ctx, "order-1")
	require.NoError(t, err)
	require.Equal(t, rs[1].Order, stored)
	at, _ := stored.Deadline("doors_open_at")
	require.Equal(t, starts.Add(-time.Hour).Truncate(time.Microsecond), at)
}

func TestRestart(t *testing.T) {
	t.Parallel()
	testenv.PostgresURL(t)
	storetest.ExerciseRestart(t, func(t *testing.T, clock func() time.Time) func() eligo.OrderStore {
		connURL := testenv.PostgresSchemaURL(t)
		return func() eligo.OrderStore { return open(t, connURL, clock) }
	})
}

// Pins the lock order: batches that name the same orders in opposite
// orders, from several replicas at once, never deadlock and lose nothing.
func TestCrossedBatchesFromReplicas(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	const orders = 8
	for i := range orders {
		_, _, err := b.store.CreateOrder(ctx, b.params(fmt.Sprintf("order-%d", i)))
		require.NoError(t, err)
	}
	replicas := []*postgres.Store{b.store, b.open(t)}
	flip := func(o eligo.Order, _ time.Time) (eligo.Order, error) {
		o.PaymentStatus = map[eligo.PaymentStatus]eligo.PaymentStatus{eligo.PaymentPaid: eligo.PaymentFailed, eligo.PaymentFailed: eligo.PaymentPaid}[o.PaymentStatus]
		return o, nil
	}
	const writers, rounds = 4, 10
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for range rounds {
				batch := make([]eligo.Update, orders)
				for i := range orders {
					id := i
					if w%2 == 1 {
						id = orders - 1 - i
					}
					batch[i] = eligo.Update{OrderID: fmt.Sprintf("order-%d", id), Who: fmt.Sprintf("writer-%d", w), Apply: flip}
				}
				rs, err := replicas[w%2].UpdateOrders(ctx, batch)
				if err != nil {
					t.Error(err)
					return
				}
				for _, r := range rs {
					if r.Outcome != eligo.OutcomeApplied {
						t.Errorf("outcome %s: %v", r.Outcome, r.Err)
					}
				}
			}
		})
	}
	wg.Wait()
	for i := range orders {
		vs, err := b.store.FindVersions(ctx, fmt.Sprintf("order-%d", i))
		require.NoError(t, err)
		require.Len(t, vs, 1+writers*rounds)
		for j, v := range vs {
			require.EqualValues(t, j+1, v.OrderVersion)
		}
	}
}

// Pins the retry on a unique violation: replicas creating the same order
// at once get one create and the same order back.
func TestConcurrentCreateFromReplicas(t *testing.T) {
	t.Parallel()
	b := setup(t)
	replicas := []*postgres.Store{b.store, b.open(t), b.open(t)}
	const n = 12
	created := make([]bool, n)
	orders := make([]eligo.Order, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			var err error
			orders[i], created[i], err = replicas[i%len(replicas)].CreateOrder(t.Context(), b.params("order-1"))
			if err != nil {
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	var count int
	for i := range n {
		if created[i] {
			count++
		}
		require.Equal(t, orders[0], orders[i])
	}
	require.Equal(t, 1, count)
	vs, err := b.store.FindVersions(t.Context(), "order-1")
	require.NoError(t, err)
	require.Len(t, vs, 1)
}

// Pins that replicas applying policies at once never store two under one
// sequence number, nor fail: their puts take turns (a table lock), not
// retries on the primary key, which many at once would run out of.
func TestConcurrentPutPolicyFromReplicas(t *testing.T) {
	t.Parallel()
	b := setup(t)
	storetest.RequireConcurrentPutPolicies(t, []eligo.PolicyStore{b.store, b.open(t), b.open(t)}, 40)
}

// Pins that the versions table refuses a second row for one order version,
// whatever writes it.
func TestVersionsAreUniquePerOrderVersion(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, _, err := b.store.CreateOrder(t.Context(), b.params("order-1"))
	require.NoError(t, err)
	conn, err := pgx.Connect(t.Context(), b.url)
	require.NoError(t, err)
	defer conn.Close(t.Context())
	_, err = conn.Exec(t.Context(), `INSERT INTO versions (item_type, item_id, event, whodunnit, object_changes,
		order_version, created_at, host, build) VALUES ('Order', 'order-1', 'create', 'x', '{}', 1, now(), 'h', 'b')`)
	require.ErrorContains(t, err, "versions_item_order_version")
}

func TestPoolSize(t *testing.T) {
	t.Parallel()
	connURL := testenv.PostgresURL(t)
	tests := []struct {
		name     string
		url      string
		maxConns int32
		want     int32
	}{
		{"Default", connURL, 0, 10},
		{"Config", connURL, 3, 3},
		{"URL", testenv.WithSearchPath(t, connURL, "public") + "&pool_max_conns=7", 0, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := postgres.Open(t.Context(), &postgres.Config{URL: tt.url, MaxConns: tt.maxConns})
			require.NoError(t, err)
			defer s.Close()
			require.Equal(t, tt.want, s.Pool().Config().MaxConns)
		})
	}
}

func TestJobsHook(t *testing.T) {
	t.Parallel()
	testenv.PostgresURL(t)
	storetest.ExerciseJobs(t, func(t *testing.T, clock func() time.Time, hook func(context.Context, []eligo.Change) error) (eligo.OrderStore, func() []int64) {
		s, err := postgres.Open(t.Context(), &postgres.Config{URL: testenv.PostgresSchemaURL(t), Now: clock, MaxConns: 2,
			Jobs: func(ctx context.Context, tx pgx.Tx, changes []eligo.Change) error {
				if err := hook(ctx, changes); err != nil {
					return err
				}
				ids := make([]int64, len(changes))
				for i, c := range changes {
					ids[i] = c.VersionID
				}
				// Only versions this transaction sees make rows.
				tag, err := tx.Exec(ctx, `INSERT INTO test_jobs (version_id)
					SELECT v.id FROM unnest($1::bigint[]) WITH ORDINALITY AS u(id, n) JOIN versions v ON v.id = u.id ORDER BY u.n`, ids)
				if err != nil {
					return err
				}
				if tag.RowsAffected() != int64(len(ids)) {
					return fmt.Errorf("%d of %d versions are visible to the hook", tag.RowsAffected(), len(ids))
				}
				return nil
			}})
		require.NoError(t, err)
		_, err = s.Migrate(t.Context())
		require.NoError(t, err)
		_, err = s.Pool().Exec(t.Context(), `CREATE TABLE test_jobs (n bigint GENERATED ALWAYS AS IDENTITY, version_id bigint NOT NULL)`)
		require.NoError(t, err)
		return s, func() []int64 {
			rows, err := s.Pool().Query(t.Context(), `SELECT version_id FROM test_jobs ORDER BY n`)
			require.NoError(t, err)
			ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
			require.NoError(t, err)
			return ids
		}
	})
}

// TestPoolCollector pins the pool's metrics: its bound, and the
// connections taken.
func TestPoolCollector(t *testing.T) {
	t.Parallel()
	s, err := postgres.Open(t.Context(), &postgres.Config{URL: testenv.PostgresURL(t), MaxConns: 4})
	require.NoError(t, err)
	defer s.Close()
	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(postgres.PoolCollector(s)))
	require.NoError(t, s.Ping(t.Context()))
	require.Equal(t, 4.0, testenv.MetricValue(t, reg, "eligo_postgres_pool_max_connections"))
	require.GreaterOrEqual(t, testenv.MetricValue(t, reg, "eligo_postgres_pool_acquires_total"), 1.0)
	_, ok := testenv.Metric(t, reg, "eligo_postgres_pool_connections", "state", "idle")
	require.True(t, ok)
}

// Pins migration 0005 on a schema written before it: the order and
// version rows of then read back with no attributes, deadlines or action,
// and take them after.
func TestRowsFromBeforeMigration5(t *testing.T) {
	t.Parallel()
	connURL := testenv.PostgresSchemaURL(t)
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, connURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `CREATE TABLE schema_migrations (version integer NOT NULL PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)`)
	require.NoError(t, err)
	for i, name := range []string{"0001_orders", "0002_event_content", "0003_data_lifetime", "0004_retention"} {
		body, err := os.ReadFile(filepath.Join("migrations", name+".sql"))
		require.NoError(t, err)
		_, err = conn.Exec(ctx, string(body))
		require.NoError(t, err, name)
		_, err = conn.Exec(ctx, `INSERT INTO schema_migrations VALUES ($1, $2, now())`, i+1, name)
		require.NoError(t, err)
	}
	now := storetest.NanoTime.Truncate(time.Microsecond)
	_, err = conn.Exec(ctx, `INSERT INTO orders (id, customer_id, status, driver_status, payment_status,
		placed_at, promised_at, payment_timeout_at, version, updated_at) VALUES ('old-1', 'cust-1', 'PLACED', NULL, 'PAID', $1, $2, NULL, 1, $3)`,
		now.Add(-time.Minute), now.Add(10*time.Minute), now)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `INSERT INTO versions (item_type, item_id, event, whodunnit, object_changes, event_id,
		order_version, created_at, host, build, occurred_at) VALUES ('Order', 'old-1', 'create', 'service', '{"id":[null,"old-1"]}', NULL, 1, $1, 'h', 'b', NULL)`,
		now)
	require.NoError(t, err)

	s, err := postgres.Open(ctx, &postgres.Config{URL: connURL, Now: func() time.Time { return now }})
	require.NoError(t, err)
	storetest.CloseAtEnd(t, s)
	applied, err := s.Migrate(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"0005_policies"}, applied)
	storetest.RequireOrderFromBeforeAttributes(t, s, "old-1")
}
