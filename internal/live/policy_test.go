package live

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

// widenedPolicy is the built-in cancel rule with one segment: orders in
// Amsterdam may cancel from WINDOW (a bound) on instead of promised_at.
func widenedPolicy(t *testing.T, window string, seq int64) *eligo.Policy {
	t.Helper()
	p, err := eligo.ParsePolicy(fmt.Appendf(nil, `{
  "actions": {"cancel": {"ends_order": true,
    "windows": [{"name": "sla_breached", "from": "promised_at"}],
    "blocks": [{"name": "cancelled", "status": ["CANCELLED"]}, {"name": "driver_at_doorstep", "driver_status": ["ARRIVED_AT_DOORSTEP"]}]}},
  "segments": [{"name": "amsterdam", "match": {"city": ["AMS"]},
    "actions": {"cancel": {"windows": [{"name": "amsterdam_early", "from": %q}]}}}]
}`, window))
	require.NoError(t, err)
	return p.WithSeq(seq)
}

// orderIn stores version 1 of an order in city, placed an hour before
// promisedAt.
func (b *testBundle) orderIn(t *testing.T, id, city string, promisedAt time.Time) eligo.Order {
	t.Helper()
	placed := promisedAt.Add(-time.Hour)
	o, err := eligo.NewOrder(&eligo.NewOrderParams{ID: id, CustomerID: "cust-" + id, PlacedAt: placed, PromisedAt: promisedAt,
		Attributes: map[string]string{"city": city}}, placed)
	require.NoError(t, err)
	_, err = b.rm.Put(context.Background(), o)
	require.NoError(t, err)
	return o
}

// requireDecided checks d against eligo.Decide of o under p at d's as_of.
func requireDecided(t *testing.T, d doc, o eligo.Order, p *eligo.Policy, name string) {
	t.Helper()
	want := eligo.Decide(&o, p, eligo.ActionCancel, d.AsOf)
	got := d.Actions[eligo.ActionCancel]
	require.Equal(t, p.VersionString(), d.PolicyVersion, name)
	require.Equal(t, want.Allowed, got.Allowed, name)
	require.Equal(t, want.Reason, got.Reason, name)
	if want.Until.IsZero() {
		require.Nil(t, got.Until, name)
	} else {
		require.NotNil(t, got.Until, name)
		require.True(t, want.Until.Equal(*got.Until), "%s: until %v, want %v", name, got.Until, want.Until)
	}
}

// A policy that widens the cancel window of one segment flips the answer
// of that segment's orders only; the others get the same decision under
// the new policy_version. Every subscriber, WebSocket and SSE, is pushed
// the new document, and a version that is not later changes nothing.
func TestPolicyChangePushesTheNewAnswers(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	promised := time.Now().Add(time.Hour)
	orders := map[string]eligo.Order{
		"ams-1": b.orderIn(t, "ams-1", "AMS", promised),
		"ber-1": b.orderIn(t, "ber-1", "BER", promised),
	}
	type stream struct {
		name string
		read func(t *testing.T) doc
	}
	streams := map[string][]stream{}
	for id := range orders {
		ws, sse := dialWS(t, b, id, nil), dialSSE(t, b, id, nil)
		streams[id] = []stream{{"websocket", func(t *testing.T) doc { return readWS(t, ws) }}, {"sse", sse.nextDoc}}
	}
	for id, ss := range streams {
		for _, s := range ss {
			d := s.read(t)
			require.False(t, d.Actions["cancel"].Allowed, "%s %s", id, s.name)
			requireDecided(t, d, orders[id], eligo.DefaultPolicy(), id+" "+s.name)
		}
	}

	p1 := widenedPolicy(t, "placed_at", 1)
	b.hub.PolicyChanged(context.Background(), p1)
	require.Same(t, p1, b.hub.Policy())
	for id, ss := range streams {
		for _, s := range ss {
			d := s.read(t)
			requireDecided(t, d, orders[id], p1, id+" "+s.name)
			require.EqualValues(t, 1, d.Version, "%s %s: the order did not change", id, s.name)
			require.Equal(t, id == "ams-1", d.Actions["cancel"].Allowed, "%s %s: only Amsterdam flips: %+v", id, s.name, d)
		}
	}
	require.EqualValues(t, 4, b.metric("eligo_live_pushes_total", "kind", "policy"))

	// The same version again, and an older one: nothing is pushed.
	b.hub.PolicyChanged(context.Background(), p1)
	b.hub.PolicyChanged(context.Background(), widenedPolicy(t, "promised_at-1m", 0))
	require.Same(t, p1, b.hub.Policy())
	// A later order change is decided under p1 too; had anything been
	// pushed meanwhile, this would read it instead.
	o := arrive(orders["ams-1"])
	b.commit(t, o)
	for _, s := range streams["ams-1"] {
		d := s.read(t)
		require.EqualValues(t, 2, d.Version, s.name)
		requireDecided(t, d, o, p1, s.name)
	}
	require.EqualValues(t, 4, b.metric("eligo_live_pushes_total", "kind", "policy"))
}

// The clock's boundaries follow the new policy: a segment whose window now
// opens thirty minutes before the promise gets its boundary push at that
// instant, not at promised_at, and the default orders keep theirs.
func TestPolicyChangeMovesTheBoundaries(t *testing.T) {
	t.Parallel()
	inBubble(t, setupOpts{}, func(t *testing.T, b *testBundle) {
		start := time.Now()
		promised := start.Add(50 * time.Minute)
		ams := b.orderIn(t, "ams-1", "AMS", promised)
		ber := b.orderIn(t, "ber-1", "BER", promised)
		// Read all along, as a client does: a WebSocket client answers
		// pings while it reads, and the pipe takes no write unread.
		amsDocs, berDocs := keepReading(wsReader(dialWS(t, b, "ams-1", nil))), keepReading(dialSSE(t, b, "ber-1", nil).nextDocOrErr)
		next := func(docs <-chan doc) doc {
			t.Helper()
			d, ok := <-docs
			require.True(t, ok, "the stream ended")
			return d
		}
		require.True(t, next(amsDocs).Actions["cancel"].Until.Equal(promised.UTC()))
		require.True(t, next(berDocs).Actions["cancel"].Until.Equal(promised.UTC()))

		p1 := widenedPolicy(t, "promised_at-30m", 1)
		b.hub.PolicyChanged(context.Background(), p1)
		d := next(amsDocs)
		require.Equal(t, start, time.Now(), "pushed at once")
		requireDecided(t, d, ams, p1, "amsterdam after the change")
		require.True(t, d.Actions["cancel"].Until.Equal(start.Add(20*time.Minute).UTC()), "until %v", d.Actions["cancel"].Until)
		requireDecided(t, next(berDocs), ber, p1, "berlin after the change")

		d = next(amsDocs)
		require.Equal(t, start.Add(20*time.Minute), time.Now(), "pushed at the new boundary")
		require.True(t, d.Actions["cancel"].Allowed)
		require.Equal(t, "amsterdam_early", d.Actions["cancel"].Reason)
		requireDecided(t, d, ams, p1, "amsterdam at its boundary")

		d = next(berDocs)
		require.Equal(t, promised, time.Now(), "berlin keeps its boundary at promised_at")
		require.True(t, d.Actions["cancel"].Allowed)
		requireDecided(t, d, ber, p1, "berlin at its boundary")
	})
}

// keepReading reads documents with read into the channel it returns, until
// read fails; then it closes the channel.
func keepReading(read func() (doc, error)) <-chan doc {
	docs := make(chan doc, 16)
	go func() {
		defer close(docs)
		for {
			d, err := read()
			if err != nil {
				return
			}
			docs <- d
		}
	}()
	return docs
}

// wsReader reads c's documents with no deadline.
func wsReader(c *websocket.Conn) func() (doc, error) {
	return func() (doc, error) {
		var d doc
		_, data, err := c.Read(context.Background())
		if err == nil {
			err = json.Unmarshal(data, &d)
		}
		return d, err
	}
}

// nextDocOrErr is nextDoc for a goroutine: it returns the error instead.
func (s *sseStream) nextDocOrErr() (doc, error) {
	for {
		ev, err := s.next()
		if err != nil {
			return doc{}, err
		}
		if ev.comment == "" {
			var d doc
			return d, json.Unmarshal([]byte(ev.data), &d)
		}
	}
}

// Changes in a row, while shards are busy, end with every subscriber of
// every shard at the last policy, and no subscriber ever goes back to an
// earlier one.
func TestPolicyChangesInARowEndAtTheLast(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	promised := time.Now().Add(time.Hour)
	const n = 40
	type watcher struct {
		o    eligo.Order
		read func(t *testing.T) doc
	}
	var ws []watcher
	for i := range n {
		city := "BER"
		if i%2 == 0 {
			city = "AMS"
		}
		o := b.orderIn(t, fmt.Sprintf("ord-%d", i), city, promised)
		c := dialWS(t, b, o.ID, nil)
		ws = append(ws, watcher{o, func(t *testing.T) doc { return readWS(t, c) }})
		require.Equal(t, eligo.DefaultPolicy().VersionString(), readWS(t, c).PolicyVersion)
	}
	policies := []*eligo.Policy{widenedPolicy(t, "placed_at", 1), widenedPolicy(t, "promised_at-5m", 2), widenedPolicy(t, "placed_at+1m", 3)}
	for _, p := range policies {
		b.hub.PolicyChanged(context.Background(), p)
	}
	last := policies[len(policies)-1]
	for _, w := range ws {
		seq := int64(0)
		for {
			d := w.read(t)
			v, err := eligo.ParsePolicyVersion(d.PolicyVersion)
			require.NoError(t, err)
			require.Greater(t, v.Seq, seq, "%s: never back, never the same twice", w.o.ID)
			seq = v.Seq
			requireDecided(t, d, w.o, policies[seq-1], w.o.ID)
			if seq == last.Version().Seq {
				break
			}
		}
	}
}
