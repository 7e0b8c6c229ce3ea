package kafka_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/engine"
	"github.com/eligo/eligo/internal/kafka"
	"github.com/eligo/eligo/internal/readmodel"
	"github.com/eligo/eligo/internal/testenv/stack"
)

// refundPolicy has a refund until 48 hours before the event starts, and a
// longer cancel grace for Amsterdam.
const refundPolicy = `{
  "actions": {
    "cancel": {"ends_order": true, "windows": [{"name": "sla_breached", "from": "promised_at"}]},
    "refund": {"windows": [{"name": "before_event", "from": "placed_at", "to": "deadline.event_starts_at-48h"}]}
  },
  "segments": [
    {"name": "amsterdam", "match": {"city": ["AMS"]}, "actions": {"cancel": {"windows": [{"name": "grace", "from": "promised_at+5m"}]}}}
  ]
}`

// An attributes event and a deadline event arrive through Kafka, in the
// wire shape of internal/eventjson, and change the order: the deadline
// moves until of the refund, the attributes put the order in a segment.
func TestAttributesAndDeadlineEventsThroughKafka(t *testing.T) {
	t.Parallel()
	for _, kind := range stack.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			b := setup(t, kind, 2)
			p, err := eligo.ParsePolicy([]byte(refundPolicy))
			require.NoError(t, err)
			b.engine, err = engine.New(engine.Config{Store: b.store, ReadModel: readmodel.NewMemory(), Policy: p})
			require.NoError(t, err)
			b.applier.next = b.engine
			b.createOrders(t, 2)

			starts := b.now.Add(72 * time.Hour)
			b.produce(t,
				kafka.EventRecord(topic, &eligo.Event{EventID: "d-1", OrderID: orderID(0), Type: eligo.EventDeadline, Deadline: "event_starts_at", At: starts}),
				kafka.EventRecord(topic, &eligo.Event{EventID: "a-1", OrderID: orderID(1), Type: eligo.EventAttributes, Attributes: map[string]string{"city": "AMS"}}))
			c := b.consumer(t, nil, 50)
			run(t, c)
			waitLagZero(t, c)
			require.Equal(t, 2, b.applier.count(eligo.OutcomeApplied))

			o, err := b.engine.Order(t.Context(), orderID(0))
			require.NoError(t, err)
			at, ok := o.Deadline("event_starts_at")
			require.True(t, ok)
			require.True(t, starts.Equal(at))
			d := eligo.Decide(&o, b.engine.Policy(), "refund", b.now)
			require.True(t, d.Allowed)
			require.True(t, starts.Add(-48*time.Hour).Equal(d.Until), "the deadline moved until: %v", d.Until)
			require.Equal(t, 2, b.versionCount(t, orderID(0)))

			o, err = b.engine.Order(t.Context(), orderID(1))
			require.NoError(t, err)
			city, _ := o.Attribute("city")
			require.Equal(t, "AMS", city)
			d = eligo.Decide(&o, b.engine.Policy(), "cancel", b.now)
			require.True(t, b.now.Add(15*time.Minute).Equal(d.Until), "in the amsterdam segment: %v", d.Until)
		})
	}
}
