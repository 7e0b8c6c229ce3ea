package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/jobs"
	"github.com/eligo/eligo/internal/kafka"
)

// flakyPublisher fails a share of publishes before they reach Kafka, so
// that retried jobs run after later ones and ordering is put to the test.
type flakyPublisher struct {
	next  jobs.Publisher
	share float64
	mu    sync.Mutex
	rand  *rand.Rand
}

func (f *flakyPublisher) Publish(ctx context.Context, p jobs.Payload) error {
	f.mu.Lock()
	fail := f.rand.Float64() < f.share
	f.mu.Unlock()
	if fail {
		return errors.New("flaky: publish failed")
	}
	return f.next.Publish(ctx, p)
}

// TestOutboundKafka publishes every version of concurrent orders to kfake
// through a publisher that fails a third of the time: every version
// arrives, and each order's versions arrive in order.
func TestOutboundKafka(t *testing.T) {
	t.Parallel()
	forEachFamily(t, func(t *testing.T, fam family) {
		const topic = "eligo.order-versions"
		cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4, topic))
		require.NoError(t, err)
		t.Cleanup(cluster.Close)
		kp, err := jobs.NewKafkaPublisher(kafka.ConnConfig{Brokers: cluster.ListenAddrs()}, topic)
		require.NoError(t, err)
		t.Cleanup(kp.Close)

		b := setup(t, fam, setupOpts{enqueue: jobs.EnqueueConfig{Outbound: true}})
		pub := &flakyPublisher{next: kp, share: 0.3, rand: rand.New(rand.NewPCG(1, 2))}
		b.work(t, jobs.WorkersConfig{Publisher: pub, OutboundWait: 50 * time.Millisecond})

		const orders = 10
		statuses := []string{"ASSIGNED", "AT_STORE", "PICKED_UP", "ARRIVED_AT_DOORSTEP"}
		var wg sync.WaitGroup
		for i := range orders {
			wg.Go(func() {
				id := fmt.Sprintf("order-%02d", i)
				b.createOrder(t, id, 0)
				for j, s := range statuses {
					_, err := b.engine.ApplyEvents(context.Background(), []eligo.Event{{EventID: fmt.Sprintf("%s-ev-%d", id, j), OrderID: id, Type: eligo.EventDriverStatus, Status: s}})
					require.NoError(t, err)
				}
			})
		}
		wg.Wait()
		want := orders * (1 + len(statuses))

		consumer, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.ConsumeTopics(topic),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		require.NoError(t, err)
		t.Cleanup(consumer.Close)
		got := map[string][]int64{}
		ids := map[int64]bool{}
		n := 0
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		defer cancel()
		for n < want {
			fetches := consumer.PollFetches(ctx)
			require.NoError(t, ctx.Err(), "got %d of %d records", n, want)
			fetches.EachRecord(func(r *kgo.Record) {
				var p jobs.Payload
				require.NoError(t, json.Unmarshal(r.Value, &p))
				require.Equal(t, p.OrderID, string(r.Key), "keyed by order id")
				got[p.OrderID] = append(got[p.OrderID], p.Version)
				ids[p.VersionID] = true
				n++
			})
		}
		require.Len(t, got, orders)
		for id, versions := range got {
			require.Equal(t, []int64{1, 2, 3, 4, 5}, versions, "order %s: every version, in order, once", id)
		}
		require.Len(t, ids, want, "one record per version id")
	})
}
