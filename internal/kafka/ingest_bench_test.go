package kafka_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/engine"
	"github.com/eligo/eligo/internal/kafka"
	"github.com/eligo/eligo/internal/postgres"
	"github.com/eligo/eligo/internal/readmodel"
	"github.com/eligo/eligo/internal/testenv"
)

// BenchmarkIngest measures Kafka ingest into PostgreSQL through the engine:
// b.N fulfillment events (four driver statuses for each of b.N/4 orders)
// produced to kfake, consumed by one consumer in batches, applied in one
// transaction per batch (synchronous_commit as the server has it), each
// change then told to a listener as the live hub is. Run it with a fixed
// count, e.g.
//
//	ELIGO_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test ./internal/kafka -run '^$' -bench Ingest -benchtime 200000x
//
// Backlog: every event is on the topic before the consumer starts; events/s
// is the most it applies. Paced: a producer sends at ELIGO_BENCH_RATE
// events a second (default 20000) while the consumer runs; the latency is
// from the send to the listener being told (event -> push), and events/s
// is what was applied over the run. ELIGO_BENCH_BATCH and
// ELIGO_BENCH_PARALLEL set the consumer's MaxBatch and Parallel.
func BenchmarkIngest(b *testing.B) {
	b.Run("backlog", func(b *testing.B) { benchmarkIngest(b, 0) })
	rate := 20000
	if v, err := strconv.Atoi(os.Getenv("ELIGO_BENCH_RATE")); err == nil && v > 0 {
		rate = v
	}
	b.Run(fmt.Sprintf("paced=%d/s", rate), func(b *testing.B) { benchmarkIngest(b, rate) })
}

var benchStatuses = []eligo.DriverStatus{eligo.DriverAssigned, eligo.DriverAtStore, eligo.DriverPickedUp, eligo.DriverArrivedAtDoorstep}

func benchmarkIngest(b *testing.B, rate int) {
	orders := max(b.N/len(benchStatuses), 1)
	events := orders * len(benchStatuses)
	batch, parallel := kafka.DefaultMaxBatch, kafka.DefaultParallel
	if v, err := strconv.Atoi(os.Getenv("ELIGO_BENCH_BATCH")); err == nil && v > 0 {
		batch = v
	}
	if v, err := strconv.Atoi(os.Getenv("ELIGO_BENCH_PARALLEL")); err == nil && v > 0 {
		parallel = v
	}
	ctx := b.Context()

	connURL := testenv.PostgresSchemaURL(b)
	store, err := postgres.Open(ctx, &postgres.Config{URL: connURL, MaxConns: int32(parallel) + 2})
	require.NoError(b, err)
	b.Cleanup(func() { store.Close() })
	_, err = store.Migrate(ctx)
	require.NoError(b, err)
	createBenchOrders(b, store, orders)

	rec := newLatencyRecorder(events)
	eng, err := engine.New(engine.Config{Store: store, ReadModel: readmodel.NewMemory(), Policy: eligo.DefaultPolicy(),
		Listeners: []engine.Listener{rec}})
	require.NoError(b, err)
	_, err = eng.Rebuild(ctx)
	require.NoError(b, err)

	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(6, topic, topic+kafka.DeadLetterSuffix))
	require.NoError(b, err)
	b.Cleanup(cluster.Close)
	producer, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.DefaultProduceTopic(topic),
		kgo.ProducerLinger(time.Millisecond), kgo.MaxBufferedRecords(1<<20))
	require.NoError(b, err)
	b.Cleanup(producer.Close)
	consumer, err := kafka.New(kafka.Config{Conn: kafka.ConnConfig{Brokers: cluster.ListenAddrs()}, Topic: topic, Group: "bench",
		Applier: eng, MaxBatch: batch, Parallel: parallel, LagInterval: time.Minute})
	require.NoError(b, err)

	record := func(i int) *kgo.Record {
		o, s := i%orders, benchStatuses[i/orders]
		return kafka.EventRecord(topic, &eligo.Event{EventID: fmt.Sprintf("e-%d-%d", o, s), OrderID: benchOrderID(o),
			Type: eligo.EventDriverStatus, Status: s.String()})
	}
	if rate == 0 {
		recs := make([]*kgo.Record, events)
		for i := range recs {
			recs[i] = record(i)
		}
		require.NoError(b, producer.ProduceSync(ctx, recs...).FirstErr())
	}

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	if rate > 0 {
		// Paced: the consumer has joined its group and caught up (with a
		// stale event, which pushes nothing) before the clock starts.
		go func() { done <- consumer.Run(runCtx) }()
		warm := kafka.EventRecord(topic, &eligo.Event{EventID: "warm-up", OrderID: benchOrderID(0), Type: eligo.EventPayment, Status: "PAID"})
		require.NoError(b, producer.ProduceSync(ctx, warm).FirstErr())
		require.Eventually(b, func() bool { lag, err := consumer.Lag(ctx); return err == nil && lag == 0 },
			time.Minute, 10*time.Millisecond)
	}
	b.ResetTimer()
	start := time.Now()
	if rate > 0 {
		paceProducer(b, producer, rec, events, rate, record)
		b.Logf("the producer sent %d events in %s", events, time.Since(start).Round(time.Millisecond))
	} else {
		go func() { done <- consumer.Run(runCtx) }()
	}
	select {
	case <-rec.all:
	case err := <-done:
		b.Fatalf("the consumer stopped: %v", err)
	case <-time.After(10 * time.Minute):
		b.Fatalf("only %d of %d events applied", rec.count.Load(), events)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	stop()
	require.NoError(b, <-done)

	var versions int
	require.NoError(b, store.Pool().QueryRow(ctx, `SELECT count(*) FROM versions`).Scan(&versions))
	require.Equal(b, orders+events, versions, "every event applied once, and only those")

	if rate > 0 {
		// From the first send to the last push, so a consumer that falls
		// behind shows a lower rate.
		elapsed = rec.last() - rec.firstSent()
		p := rec.percentiles(50, 99, 100)
		b.ReportMetric(float64(p[0].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(p[1].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(p[2].Microseconds())/1000, "max-ms")
	}
	b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(events), "ns/event")
}

func benchOrderID(i int) string { return fmt.Sprintf("o-%07d", i) }

// createBenchOrders writes n paid orders and their create versions with
// COPY: a benchmark of events need not wait for n creates.
func createBenchOrders(b *testing.B, store *postgres.Store, n int) {
	b.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	orderRows := make([][]any, n)
	versionRows := make([][]any, n)
	for i := range n {
		o := eligo.Order{ID: benchOrderID(i), CustomerID: "cust", Status: eligo.StatusPlaced, PaymentStatus: eligo.PaymentPaid,
			PlacedAt: now, PromisedAt: now.Add(10 * time.Minute), Version: 1, UpdatedAt: now}
		orderRows[i] = []any{o.ID, o.CustomerID, "PLACED", nil, "PAID", o.PlacedAt, o.PromisedAt, nil, int64(1), o.UpdatedAt}
		versionRows[i] = []any{eligo.ItemTypeOrder, o.ID, eligo.VersionCreate, eligo.WhoService, `{}`, int64(1), now, "bench", "bench"}
	}
	ctx := b.Context()
	_, err := store.Pool().CopyFrom(ctx, pgx.Identifier{"orders"}, []string{"id", "customer_id", "status", "driver_status",
		"payment_status", "placed_at", "promised_at", "payment_timeout_at", "version", "updated_at"}, pgx.CopyFromRows(orderRows))
	require.NoError(b, err)
	_, err = store.Pool().CopyFrom(ctx, pgx.Identifier{"versions"}, []string{"item_type", "item_id", "event", "whodunnit",
		"object_changes", "order_version", "created_at", "host", "build"}, pgx.CopyFromRows(versionRows))
	require.NoError(b, err)
	_, err = store.Pool().Exec(ctx, `ANALYZE orders; ANALYZE versions`)
	require.NoError(b, err)
}

// paceProducer sends the events at rate a second, in ticks of a
// millisecond, stamping each event's send time.
func paceProducer(b *testing.B, producer *kgo.Client, rec *latencyRecorder, events, rate int, record func(int) *kgo.Record) {
	const tick = time.Millisecond
	start := time.Now()
	for sent := 0; sent < events; {
		due := min(int(time.Since(start).Seconds()*float64(rate))+1, events)
		for ; sent < due; sent++ {
			rec.sent[sent].Store(time.Now().UnixNano())
			producer.Produce(b.Context(), record(sent), func(_ *kgo.Record, err error) {
				if err != nil {
					b.Errorf("produce: %v", err)
				}
			})
		}
		time.Sleep(tick)
	}
	require.NoError(b, producer.Flush(b.Context()))
}

// latencyRecorder is an engine.Listener that notes when each event's change
// was pushed.
type latencyRecorder struct {
	sent, pushed []atomic.Int64 // Unix ns, by event index
	orders       int
	count        atomic.Int64
	all          chan struct{} // closed when every event was pushed
	once         sync.Once
}

func newLatencyRecorder(events int) *latencyRecorder {
	return &latencyRecorder{sent: make([]atomic.Int64, events), pushed: make([]atomic.Int64, events),
		orders: events / len(benchStatuses), all: make(chan struct{})}
}

func (r *latencyRecorder) OrderChanged(_ context.Context, o eligo.Order) {
	n, err := strconv.Atoi(o.ID[2:])
	if err != nil {
		return
	}
	i := (int(o.DriverStatus)-1)*r.orders + n
	r.pushed[i].Store(time.Now().UnixNano())
	if r.count.Add(1) == int64(len(r.pushed)) {
		r.once.Do(func() { close(r.all) })
	}
}

func (r *latencyRecorder) firstSent() time.Duration { return time.Duration(r.sent[0].Load()) }

func (r *latencyRecorder) last() time.Duration {
	var last int64
	for i := range r.pushed {
		last = max(last, r.pushed[i].Load())
	}
	return time.Duration(last)
}

// percentiles returns the send -> push latencies at the percentiles.
func (r *latencyRecorder) percentiles(ps ...float64) []time.Duration {
	lat := make([]time.Duration, len(r.sent))
	for i := range r.sent {
		lat[i] = time.Duration(r.pushed[i].Load() - r.sent[i].Load())
	}
	slices.Sort(lat)
	out := make([]time.Duration, len(ps))
	for i, p := range ps {
		out[i] = lat[min(int(p/100*float64(len(lat))), len(lat)-1)]
	}
	return out
}
