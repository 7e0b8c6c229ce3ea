package kafka_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/engine"
	"github.com/eligo/eligo/internal/kafka"
	"github.com/eligo/eligo/internal/readmodel"
	"github.com/eligo/eligo/internal/testenv"
	"github.com/eligo/eligo/internal/testenv/stack"
)

const topic = "eligo.events"

// testBundle is a kfake cluster, an engine on a store, and a producer.
type testBundle struct {
	brokers  []string
	conn     kafka.ConnConfig // brokers, TLS, SASL
	store    eligo.OrderStore
	engine   *engine.Engine
	applier  *countingApplier
	producer *kgo.Client
	group    string
	now      time.Time
}

// setup starts a kfake cluster whose topics have the given partition count
// and an engine on a fresh store of the kind.
func setup(t *testing.T, kind stack.Kind, partitions int32) *testBundle {
	t.Helper()
	return setupSecure(t, kind, partitions, func(brokers []string) kafka.ConnConfig { return kafka.ConnConfig{Brokers: brokers} })
}

// setupSecure is setup on a cluster started with opts, connected to with
// the ConnConfig conn returns for its brokers (TLS, SASL).
func setupSecure(t *testing.T, kind stack.Kind, partitions int32, conn func(brokers []string) kafka.ConnConfig, opts ...kfake.Opt) *testBundle {
	t.Helper()
	cluster, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(partitions, topic, topic+kafka.DeadLetterSuffix)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(cluster.Close)
	b := &testBundle{brokers: cluster.ListenAddrs(), group: "eligo-test", now: time.Now().UTC().Truncate(time.Microsecond)}
	b.conn = conn(b.brokers)
	b.store = stack.OpenStore(t, kind)
	b.engine, err = engine.New(engine.Config{Store: b.store, ReadModel: readmodel.NewMemory(), Policy: eligo.DefaultPolicy()})
	require.NoError(t, err)
	b.applier = &countingApplier{next: b.engine, outcomes: map[string]int{}}
	connOpts, err := b.conn.Opts()
	require.NoError(t, err)
	b.producer, err = kgo.NewClient(append(connOpts, kgo.DefaultProduceTopic(topic))...)
	require.NoError(t, err)
	t.Cleanup(b.producer.Close)
	return b
}

// countingApplier counts the outcomes of the events it passes to the
// engine, and can hold batches back until released.
type countingApplier struct {
	next     kafka.Applier
	mu       sync.Mutex
	outcomes map[string]int
	gate     chan struct{} // when set, each batch waits for it to close
}

func (a *countingApplier) ApplyEvents(ctx context.Context, events []eligo.Event) ([]engine.EventResult, error) {
	a.mu.Lock()
	gate := a.gate
	a.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	rs, err := a.next.ApplyEvents(ctx, events)
	if err == nil {
		a.mu.Lock()
		for _, r := range rs {
			a.outcomes[r.Outcome]++
		}
		a.mu.Unlock()
	}
	return rs, err
}

func (a *countingApplier) count(outcome string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.outcomes[outcome]
}

// consumer returns a consumer of the bundle's group, not yet running.
func (b *testBundle) consumer(t *testing.T, reg prometheus.Registerer, maxBatch int) *kafka.Consumer {
	t.Helper()
	c, err := kafka.New(kafka.Config{
		Conn: b.conn, Topic: topic, Group: b.group, Applier: b.applier,
		MaxBatch: maxBatch, LagInterval: 50 * time.Millisecond, Registerer: reg,
	})
	require.NoError(t, err)
	return c
}

// run runs c until the test ends or it returns; the returned channel
// receives Run's error.
func run(t *testing.T, c *kafka.Consumer) <-chan error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done, stopped := make(chan error, 1), make(chan struct{})
	go func() {
		defer close(stopped)
		done <- c.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-stopped:
		case <-time.After(20 * time.Second):
			t.Error("the consumer did not stop")
		}
	})
	return done
}

// createOrders creates n paid orders named order-000 ... through the engine.
func (b *testBundle) createOrders(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		_, _, err := b.engine.CreateOrder(t.Context(), &eligo.NewOrderParams{
			ID: orderID(i), CustomerID: "cust-1", PlacedAt: b.now, PromisedAt: b.now.Add(10 * time.Minute),
		}, eligo.WhoService)
		require.NoError(t, err)
	}
}

func orderID(i int) string { return fmt.Sprintf("order-%03d", i) }

// produce produces the records and waits for the cluster to have them.
func (b *testBundle) produce(t *testing.T, recs ...*kgo.Record) {
	t.Helper()
	require.NoError(t, b.producer.ProduceSync(t.Context(), recs...).FirstErr())
}

func driverRecord(eventID, orderID string, s eligo.DriverStatus) *kgo.Record {
	return kafka.EventRecord(topic, &eligo.Event{EventID: eventID, OrderID: orderID, Type: eligo.EventDriverStatus, Status: s.String()})
}

// waitLagZero waits until the group has committed every record produced.
func waitLagZero(t *testing.T, c *kafka.Consumer) {
	t.Helper()
	require.Eventually(t, func() bool {
		lag, err := c.Lag(t.Context())
		return err == nil && lag == 0
	}, 20*time.Second, 20*time.Millisecond, "the consumer did not catch up")
}

// versionCount returns how many versions the order has in the store.
func (b *testBundle) versionCount(t *testing.T, id string) int {
	t.Helper()
	vs, err := b.store.FindVersions(t.Context(), id)
	require.NoError(t, err)
	return len(vs)
}

func TestEventsAppliedAndDuplicatesHarmless(t *testing.T) {
	t.Parallel()
	b := setup(t, stack.SQLite, 3)
	b.createOrders(t, 10)
	listener := &changeLog{}
	var err error
	b.engine, err = engine.New(engine.Config{Store: b.store, ReadModel: readmodel.NewMemory(), Policy: eligo.DefaultPolicy(),
		Listeners: []engine.Listener{listener}})
	require.NoError(t, err)
	_, err = b.engine.Rebuild(t.Context())
	require.NoError(t, err)
	b.applier.next = b.engine

	var recs []*kgo.Record
	for i := range 10 {
		recs = append(recs, driverRecord(fmt.Sprintf("ev-%d-a", i), orderID(i), eligo.DriverAssigned),
			driverRecord(fmt.Sprintf("ev-%d-b", i), orderID(i), eligo.DriverArrivedAtDoorstep))
	}
	b.produce(t, recs...)
	c := b.consumer(t, nil, 50)
	run(t, c)
	waitLagZero(t, c)

	for i := range 10 {
		o, err := b.engine.Order(t.Context(), orderID(i))
		require.NoError(t, err)
		require.Equal(t, eligo.DriverArrivedAtDoorstep, o.DriverStatus, "the read model moved forward")
		require.Equal(t, 3, b.versionCount(t, orderID(i)))
	}
	require.Equal(t, 20, listener.len(), "live subscribers were told of every change (versions 2 and 3 of 10 orders)")

	// The same events again, and a late PICKED_UP: nothing changes.
	b.produce(t, recs...)
	b.produce(t, driverRecord("ev-late", orderID(0), eligo.DriverPickedUp))
	waitLagZero(t, c)
	require.Equal(t, 20, b.applier.count(eligo.OutcomeDuplicate))
	require.Equal(t, 1, b.applier.count(eligo.OutcomeStale))
	for i := range 10 {
		require.Equal(t, 3, b.versionCount(t, orderID(i)))
	}
	require.Equal(t, 20, listener.len(), "no new version was told")
}

// changeLog is an engine.Listener that keeps the order versions it was
// told of. The engine may tell a version again (a duplicate event
// republishes the stored order); the hub ignores versions it has, and so
// does this.
type changeLog struct {
	mu       sync.Mutex
	versions map[string]map[int64]bool
}

func (l *changeLog) OrderChanged(_ context.Context, o eligo.Order) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.versions == nil {
		l.versions = map[string]map[int64]bool{}
	}
	if l.versions[o.ID] == nil {
		l.versions[o.ID] = map[int64]bool{}
	}
	l.versions[o.ID][o.Version] = true
}

// len returns how many distinct order versions were told.
func (l *changeLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, vs := range l.versions {
		n += len(vs)
	}
	return n
}

func TestPoisonRecordsGoToDeadLetterTopic(t *testing.T) {
	t.Parallel()
	// One partition: the bad records sit between good ones in it.
	b := setup(t, stack.SQLite, 1)
	b.createOrders(t, 1)
	good := driverRecord("ev-1", orderID(0), eligo.DriverAssigned)
	bad := []struct {
		name      string
		rec       *kgo.Record
		code      string
		errorPart string
	}{
		{"NotJSON", &kgo.Record{Key: []byte(orderID(0)), Value: []byte("not json"),
			Headers: []kgo.RecordHeader{{Key: "trace-id", Value: []byte("abc")}}}, eligo.EINVALID, "is not valid JSON"},
		{"NoKey", &kgo.Record{Value: driverRecord("ev-x", orderID(0), eligo.DriverAtStore).Value}, eligo.EINVALID, "has no key"},
		{"KeyNotOrderID", &kgo.Record{Key: []byte("order-999"), Value: driverRecord("ev-y", orderID(0), eligo.DriverAtStore).Value},
			eligo.EINVALID, `is not the event's order_id`},
		{"UnknownStatus", &kgo.Record{Key: []byte(orderID(0)),
			Value: []byte(`{"event_id":"ev-z","order_id":"order-000","type":"driver_status","status":"TELEPORTED"}`)},
			eligo.EINVALID, "unknown driver status"},
		{"UnknownOrder", driverRecord("ev-404", "order-404", eligo.DriverAssigned), eligo.ENOTFOUND, `order "order-404" does not exist`},
	}
	recs := []*kgo.Record{good}
	for _, tt := range bad {
		recs = append(recs, tt.rec)
	}
	recs = append(recs, driverRecord("ev-2", orderID(0), eligo.DriverAtStore))
	b.produce(t, recs...)

	reg := prometheus.NewRegistry()
	c := b.consumer(t, reg, 50)
	run(t, c)
	waitLagZero(t, c)
	o, err := b.engine.Order(t.Context(), orderID(0))
	require.NoError(t, err)
	require.Equal(t, eligo.DriverAtStore, o.DriverStatus, "the good record after the bad ones applied")
	require.Equal(t, 3, b.versionCount(t, orderID(0)))

	dead := consumeAll(t, b.brokers, topic+kafka.DeadLetterSuffix, len(bad))
	require.Len(t, dead, len(bad))
	for i, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			d := dead[i]
			require.Equal(t, tt.rec.Key, d.Key, "the original key")
			require.Equal(t, tt.rec.Value, d.Value, "the original value")
			h := headers(d)
			require.Contains(t, h[kafka.HeaderError], tt.errorPart)
			require.Equal(t, tt.code, h[kafka.HeaderErrorCode])
			require.Equal(t, fmt.Sprintf("%s/0/%d", topic, i+1), h[kafka.HeaderSource])
			for _, orig := range tt.rec.Headers {
				require.Equal(t, string(orig.Value), h[orig.Key], "original headers are kept")
			}
		})
	}
	require.Equal(t, 5.0, counterSum(t, reg, "eligo_kafka_dead_letters_total"))
}

// consumeAll reads n records from the start of a topic (all partitions,
// in partition then offset order).
func consumeAll(t *testing.T, brokers []string, topic string, n int) []*kgo.Record {
	t.Helper()
	return consumeAllOn(t, kafka.ConnConfig{Brokers: brokers}, topic, n)
}

// consumeAllOn is consumeAll on the connection conn.
func consumeAllOn(t *testing.T, conn kafka.ConnConfig, topic string, n int) []*kgo.Record {
	t.Helper()
	connOpts, err := conn.Opts()
	require.NoError(t, err)
	cl, err := kgo.NewClient(append(connOpts, kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	require.NoError(t, err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		out = append(out, fs.Records()...)
	}
	return out
}

func headers(r *kgo.Record) map[string]string {
	h := map[string]string{}
	for _, kv := range r.Headers {
		h[kv.Key] = string(kv.Value)
	}
	return h
}

// counterSum returns the sum of a metric's samples in reg.
func counterSum(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	return testenv.MetricValue(t, reg, name)
}

// Pins at-least-once delivery made exactly-once in effect: a consumer that
// dies after the store commit and before the offset commit leaves the batch
// to the next one, which applies none of it twice.
func TestCrashBeforeCommitAppliesNothingTwice(t *testing.T) {
	t.Parallel()
	for _, kind := range stack.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			b := setup(t, kind, 3)
			const orders = 20
			b.createOrders(t, orders)
			statuses := []eligo.DriverStatus{eligo.DriverAssigned, eligo.DriverAtStore, eligo.DriverPickedUp, eligo.DriverArrivedAtDoorstep}
			var recs []*kgo.Record
			for _, s := range statuses {
				for i := range orders {
					recs = append(recs, driverRecord(fmt.Sprintf("ev-%d-%s", i, s), orderID(i), s))
				}
			}
			b.produce(t, recs...)

			crashed := b.consumer(t, nil, 10)
			var batches atomic.Int32
			crash := errors.New("crash before the offset commit")
			crashed.SetBeforeCommit(func() error {
				if batches.Add(1) == 3 {
					return crash
				}
				return nil
			})
			require.ErrorIs(t, <-run(t, crashed), crash)
			appliedBefore := b.applier.count(eligo.OutcomeApplied)
			require.Positive(t, appliedBefore)

			c := b.consumer(t, nil, 50)
			run(t, c)
			waitLagZero(t, c)
			require.Positive(t, b.applier.count(eligo.OutcomeDuplicate), "the uncommitted batch came again")
			require.Equal(t, orders*len(statuses), b.applier.count(eligo.OutcomeApplied), "every event applied once")
			for i := range orders {
				require.Equal(t, 1+len(statuses), b.versionCount(t, orderID(i)), "order %d", i)
			}
		})
	}
}

func TestLagGauge(t *testing.T) {
	t.Parallel()
	b := setup(t, stack.SQLite, 2)
	b.createOrders(t, 4)
	reg := prometheus.NewRegistry()
	c := b.consumer(t, reg, 50)
	run(t, c)
	b.produce(t, driverRecord("ev-0", orderID(0), eligo.DriverAssigned))
	waitLagZero(t, c)

	// Hold the consumer's next batch back: the lag shows what waits.
	gate := make(chan struct{})
	b.applier.mu.Lock()
	b.applier.gate = gate
	b.applier.mu.Unlock()
	var recs []*kgo.Record
	for i := range 4 {
		recs = append(recs, driverRecord(fmt.Sprintf("ev-%d-b", i), orderID(i), eligo.DriverAtStore))
	}
	b.produce(t, recs...)
	require.Eventually(t, func() bool { return counterSum(t, reg, "eligo_kafka_consumer_lag") == 4 },
		10*time.Second, 10*time.Millisecond, "the gauge shows the 4 waiting records")

	close(gate)
	require.Eventually(t, func() bool { return counterSum(t, reg, "eligo_kafka_consumer_lag") == 0 },
		10*time.Second, 10*time.Millisecond, "the gauge drops once they are committed")
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  kafka.Config
	}{
		{"NoBrokers", kafka.Config{Applier: &countingApplier{}}},
		{"NoApplier", kafka.Config{Conn: kafka.ConnConfig{Brokers: []string{"127.0.0.1:1"}}}},
		// Dead letters on the events topic would come back forever.
		{"DeadLetterIsTopic", kafka.Config{Conn: kafka.ConnConfig{Brokers: []string{"127.0.0.1:1"}}, Applier: &countingApplier{}, Topic: "t", DeadLetterTopic: "t"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := kafka.New(tt.cfg)
			require.Error(t, err)
		})
	}
}

// Pins issue 11: a record near the broker's limit whose error quotes its bad
// field made a dead letter twice the limit, which failed forever and held
// every later record back. Its dead letter is truncated now, and the good
// records after it apply.
func TestOversizedRecordDoesNotHaltIngest(t *testing.T) {
	t.Parallel()
	b := setup(t, stack.SQLite, 3) // kfake's default max.message.bytes: 1 MiB
	b.createOrders(t, 6)
	reg := prometheus.NewRegistry()
	c := b.consumer(t, reg, 50)
	run(t, c)

	// 900 KB of driver status: the engine rejects it, quoting the status.
	huge := strings.Repeat("X", 900<<10)
	bad := &kgo.Record{Key: []byte(orderID(0)), Value: []byte(`{"event_id":"ev-huge","order_id":"order-000","type":"driver_status","status":"` + huge + `"}`),
		Headers: []kgo.RecordHeader{{Key: "trace-id", Value: []byte("abc")}, {Key: "big", Value: []byte(huge[:50<<10])}}}
	b.produce(t, bad)
	require.Eventually(t, func() bool { return counterSum(t, reg, "eligo_kafka_dead_letters_total") == 1 },
		20*time.Second, 10*time.Millisecond, "the bad record was polled and rejected")

	// Good records after it, on its partition (order-000) and the others.
	var good []*kgo.Record
	for i := range 6 {
		good = append(good, driverRecord(fmt.Sprintf("ev-good-%d", i), orderID(i), eligo.DriverAssigned))
	}
	t0 := time.Now()
	b.produce(t, good...)
	waitLagZero(t, c)
	t.Logf("the good records after the bad one were applied and committed %v after they were produced", time.Since(t0))
	require.Zero(t, counterSum(t, reg, "eligo_kafka_dead_letters_skipped_total"), "nothing was skipped")
	for i := range 6 {
		o, err := b.engine.Order(t.Context(), orderID(i))
		require.NoError(t, err)
		require.Equal(t, eligo.DriverAssigned, o.DriverStatus, "order %d: the good record after the bad one applied", i)
	}

	dead := consumeAll(t, b.brokers, topic+kafka.DeadLetterSuffix, 1)
	require.Len(t, dead, 1)
	d := dead[0]
	require.Equal(t, bad.Key, d.Key, "the original key")
	require.Equal(t, kafka.DeadLetterMaxValueBytes, len(d.Value), "the value is truncated")
	require.True(t, bytes.Equal(bad.Value[:kafka.DeadLetterMaxValueBytes], d.Value), "to its start")
	h := headers(d)
	require.Equal(t, fmt.Sprintf("%s/%d/%d", topic, bad.Partition, bad.Offset), h[kafka.HeaderSource])
	require.Equal(t, eligo.EINVALID, h[kafka.HeaderErrorCode])
	require.Contains(t, h[kafka.HeaderError], "unknown driver status")
	require.Equal(t, "abc", h["trace-id"])
	require.NotEmpty(t, h[kafka.HeaderTruncated], "the truncation is said")
	for _, kv := range d.Headers {
		require.LessOrEqual(t, len(kv.Value), kafka.DeadLetterMaxHeaderBytes, "header %q is truncated", kv.Key)
	}
}

// A dead-letter topic that refuses even the truncated dead letter (its
// max.message.bytes is smaller) gets the minimal one; one that refuses that
// too costs the record, logged and counted, and not the records after it.
func TestDeadLetterRefusedFallsBackThenSkips(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		maxBytes string
		minimal  bool // the minimal dead letter fits
	}{
		{"MinimalFits", "3000", true},
		{"NothingFits", "60", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, stack.SQLite, 2)
			b.createOrders(t, 2)
			adm := kadm.NewClient(b.producer)
			v := tt.maxBytes
			_, err := adm.AlterTopicConfigs(t.Context(), []kadm.AlterConfig{{Name: "max.message.bytes", Value: &v}}, topic+kafka.DeadLetterSuffix)
			require.NoError(t, err)
			reg := prometheus.NewRegistry()
			c := b.consumer(t, reg, 50)
			run(t, c)

			// Random hex: the producer's compression does not shrink it.
			status := make([]byte, 5<<10)
			_, _ = rand.Read(status)
			bad := &kgo.Record{Key: []byte(orderID(0)), Value: []byte(`{"event_id":"ev-bad","order_id":"order-000","type":"driver_status","status":"` + hex.EncodeToString(status) + `"}`)}
			b.produce(t, bad)
			require.Eventually(t, func() bool { return counterSum(t, reg, "eligo_kafka_dead_letters_total") == 1 },
				20*time.Second, 10*time.Millisecond, "the bad record was polled and rejected")
			b.produce(t, driverRecord("ev-g0", orderID(0), eligo.DriverAssigned), driverRecord("ev-g1", orderID(1), eligo.DriverAssigned))
			waitLagZero(t, c)
			for i := range 2 {
				o, err := b.engine.Order(t.Context(), orderID(i))
				require.NoError(t, err)
				require.Equal(t, eligo.DriverAssigned, o.DriverStatus)
			}
			if !tt.minimal {
				require.Equal(t, 1.0, counterSum(t, reg, "eligo_kafka_dead_letters_skipped_total"))
				return
			}
			require.Zero(t, counterSum(t, reg, "eligo_kafka_dead_letters_skipped_total"))
			dead := consumeAll(t, b.brokers, topic+kafka.DeadLetterSuffix, 1)
			require.Len(t, dead, 1)
			require.Zero(t, len(dead[0].Value), "the minimal dead letter has no value")
			require.Equal(t, bad.Key, dead[0].Key)
			h := headers(dead[0])
			require.Equal(t, fmt.Sprintf("%s/%d/%d", topic, bad.Partition, bad.Offset), h[kafka.HeaderSource])
			require.Contains(t, h[kafka.HeaderTruncated], "minimal")
		})
	}
}
