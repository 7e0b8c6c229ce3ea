package kafka_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
	"github.com/eligo/eligo/internal/kafka"
	"github.com/eligo/eligo/internal/testenv/stack"
	"github.com/eligo/eligo/internal/tracing/tracingtest"
)

// An ARRIVED_AT_DOORSTEP event produced under a span is followed, in one
// trace, from its Kafka record to the WebSocket frame that carries its
// change: producer -> kafka record -> live push; the store transaction is
// a span of the batch, linked to the record's. Not parallel: it installs
// the global tracer provider.
func TestTraceFollowsAnEventFromItsRecordToTheWebSocketFrame(t *testing.T) {
	rec, provider := tracingtest.Record(t)

	b := setup(t, stack.SQLite, 1)
	st := stack.New(t, stack.Config{Store: b.store})
	_, _, err := st.Engine.CreateOrder(t.Context(), &eligo.NewOrderParams{
		ID: "ord-1", CustomerID: "cust-1", PlacedAt: b.now, PromisedAt: b.now.Add(10 * time.Minute)}, eligo.WhoService)
	require.NoError(t, err)
	b.applier.next = st.Engine

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	tok, err := auth.MintCustomerToken(st.Secret, "cust-1", time.Hour, time.Now())
	require.NoError(t, err)
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(st.URL, "http")+"/v1/orders/ord-1/live",
		&websocket.DialOptions{Subprotocols: []string{"eligo.v1", "eligo.token." + tok}})
	require.NoError(t, err)
	defer ws.CloseNow()
	_, _, err = ws.Read(ctx) // the first document
	require.NoError(t, err)

	pctx, producer := provider.Tracer("test").Start(context.Background(), "courier app sends ARRIVED_AT_DOORSTEP")
	r := driverRecord("ev-arrived", "ord-1", eligo.DriverArrivedAtDoorstep)
	propagation.TraceContext{}.Inject(pctx, kafka.HeaderCarrier{Record: r})
	producer.End()
	b.produce(t, r)
	run(t, b.consumer(t, nil, 50))

	for {
		_, frame, err := ws.Read(ctx)
		require.NoError(t, err, "no frame with the arrival")
		var doc struct {
			Version int64 `json:"version"`
		}
		require.NoError(t, json.Unmarshal(frame, &doc), "frame %s", frame)
		if doc.Version == 2 { // the arrival's change
			break
		}
	}

	var push, record, store, batch sdktrace.ReadOnlySpan
	require.Eventually(t, func() bool {
		push, record, store, batch = nil, nil, nil, nil
		for _, s := range rec.Ended() {
			switch {
			case s.Name() == "live push":
				push = s
			case s.Name() == "kafka record "+topic:
				record = s
			case s.Name() == "store UpdateOrders":
				store = s
			case s.Name() == "kafka batch "+topic:
				batch = s
			}
		}
		return push != nil && record != nil && store != nil && batch != nil
	}, 10*time.Second, 10*time.Millisecond, "spans missing; ended: %v", names(rec.Ended()))

	want := producer.SpanContext().TraceID()
	require.Equal(t, want, record.SpanContext().TraceID(), "the record span is not in the producer's trace")
	require.Equal(t, producer.SpanContext().SpanID(), record.Parent().SpanID(), "record <- producer")
	require.Equal(t, want, push.SpanContext().TraceID(), "the live push is not in the producer's trace")
	require.Equal(t, record.SpanContext().SpanID(), push.Parent().SpanID(), "live push <- record")
	require.Equal(t, trace.SpanKindConsumer, record.SpanKind())

	require.Equal(t, batch.SpanContext().SpanID(), store.Parent().SpanID(), "store transaction <- batch")
	require.True(t, linksTo(store, record.SpanContext()), "the store transaction does not link to the record")
	require.True(t, linksTo(record, batch.SpanContext()), "the record does not link to its batch")
}

func linksTo(s sdktrace.ReadOnlySpan, to trace.SpanContext) bool {
	for _, l := range s.Links() {
		if l.SpanContext.SpanID() == to.SpanID() && l.SpanContext.TraceID() == to.TraceID() {
			return true
		}
	}
	return false
}

func names(spans []sdktrace.ReadOnlySpan) []string {
	out := make([]string, len(spans))
	for i, s := range spans {
		out[i] = s.Name()
	}
	return out
}

func TestHeaderCarrierReplacesAndLists(t *testing.T) {
	t.Parallel()
	r := &kgo.Record{Headers: []kgo.RecordHeader{{Key: "a", Value: []byte("1")}, {Key: "traceparent", Value: []byte("old")}}}
	c := kafka.HeaderCarrier{Record: r}
	c.Set("traceparent", "new")
	require.Equal(t, "new", c.Get("traceparent"))
	require.Equal(t, "1", c.Get("a"))
	require.Equal(t, "", c.Get("none"))
	require.ElementsMatch(t, []string{"a", "traceparent"}, c.Keys())
}
