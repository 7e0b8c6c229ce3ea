package jobs_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/jobs"
)

// capturePublisher keeps what it is given.
type capturePublisher struct {
	mu       sync.Mutex
	payloads []jobs.Payload
}

func (c *capturePublisher) Publish(_ context.Context, p jobs.Payload) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.payloads = append(c.payloads, p)
	return nil
}

func (c *capturePublisher) got() []jobs.Payload {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]jobs.Payload(nil), c.payloads...)
}

// TestOutboundDeliversActionVersions: a policy action's version is
// delivered outbound like every version, by its ids; the consumer reads
// the version (GET /v1/versions/{id}), which holds the action, the policy
// version it was decided under and the params. The version's record needs
// the store to keep it (stores17).
func TestOutboundDeliversActionVersions(t *testing.T) {
	t.Parallel()
	forEachFamily(t, func(t *testing.T, fam family) {
		b := setup(t, fam, setupOpts{enqueue: jobs.EnqueueConfig{Outbound: true}})
		pub := &capturePublisher{}
		b.work(t, jobs.WorkersConfig{Publisher: pub, OutboundWait: 50 * time.Millisecond})
		now := time.Now()
		_, _, err := b.engine.CreateOrder(t.Context(), &eligo.NewOrderParams{ID: "ord-1", CustomerID: "cust-1", PlacedAt: now.Add(-20 * time.Minute), PromisedAt: now.Add(-10 * time.Minute)}, eligo.WhoService)
		require.NoError(t, err)
		_, err = b.engine.TakeAction(t.Context(), "ord-1", eligo.ActionCancel, eligo.WhoCustomer("cust-1"), json.RawMessage(`{"why": "late"}`), nil)
		require.NoError(t, err)

		waitFor(t, 30*time.Second, "both versions published", func() bool { return len(pub.got()) == 2 })
		p := pub.got()[1]
		require.Equal(t, "ord-1", p.OrderID)
		require.Equal(t, int64(2), p.Version)
		require.Equal(t, eligo.VersionAction, p.Event, "the payload names the version's event")
		v, err := b.engine.Version(t.Context(), p.VersionID)
		require.NoError(t, err)
		require.Equal(t, eligo.VersionAction, v.Event)
		require.Equal(t, eligo.ActionCancel, v.Action)
		require.Equal(t, b.engine.Policy().VersionString(), v.PolicyVersion)
		require.JSONEq(t, `{"why":"late"}`, string(v.Params))
	})
}
