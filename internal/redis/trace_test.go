package redis_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/eligo/eligo/internal/redis"
	"github.com/eligo/eligo/internal/tracing/tracingtest"
)

// Not parallel: these install the global tracer provider.
func installRecorder(t *testing.T) (*tracetest.SpanRecorder, *sdktrace.TracerProvider) {
	return tracingtest.Record(t)
}

func endedNamed(rec *tracetest.SpanRecorder, name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

// A command sent to Redis is a span under the caller's; one answered by
// the client-side cache is none.
func TestTracedClientSpansTheCommandsThatLeaveTheProcess(t *testing.T) {
	rec, p := installRecorder(t)
	c := redis.Traced(newClient(t))
	key := testPrefix() + ":traced"
	ctx, parent := p.Tracer("test").Start(context.Background(), "caller")
	require.NoError(t, c.Do(ctx, c.B().Set().Key(key).Value("v").Ex(time.Minute).Build()).Error())
	for range 3 {
		v, err := c.DoCache(ctx, c.B().Get().Key(key).Cache(), time.Minute).ToString()
		require.NoError(t, err)
		require.Equal(t, "v", v)
	}
	parent.End()

	set := endedNamed(rec, "redis SET")
	require.Len(t, set, 1)
	require.Equal(t, parent.SpanContext().SpanID(), set[0].Parent().SpanID())
	require.Equal(t, parent.SpanContext().TraceID(), set[0].SpanContext().TraceID())
	require.Len(t, endedNamed(rec, "redis GET"), 1, "cache hits are spans, or the miss is not: %v", spanNames(rec))
}

// Each fan-out publish is a span, with the SPUBLISH under it.
func TestFanoutPublishIsASpan(t *testing.T) {
	rec, _ := installRecorder(t)
	f := newFanout(t, redis.Traced(newClient(t)), redis.FanoutConfig{Prefix: testPrefix()})
	f.Publish("ord-1", 2)
	require.Eventually(t, func() bool {
		return len(endedNamed(rec, "fanout publish")) > 0 && len(endedNamed(rec, "redis SPUBLISH")) > 0
	},
		5*time.Second, 10*time.Millisecond)
	pub, sp := endedNamed(rec, "fanout publish")[0], endedNamed(rec, "redis SPUBLISH")[0]
	require.Equal(t, pub.SpanContext().SpanID(), sp.Parent().SpanID(), "SPUBLISH <- fanout publish")
}

func spanNames(rec *tracetest.SpanRecorder) []string {
	var out []string
	for _, s := range rec.Ended() {
		out = append(out, s.Name())
	}
	return out
}
