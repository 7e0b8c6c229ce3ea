package httpapi_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/eligo/eligo/internal/httpapi"
	"github.com/eligo/eligo/internal/tracing"
	"github.com/eligo/eligo/internal/tracing/tracingtest"
)

// installRecorder makes an SDK provider recording into the returned
// recorder the global one until the test ends. Tests that call it do not
// run in parallel: the provider is the process's.
func installRecorder(t testing.TB) (*tracetest.SpanRecorder, *sdktrace.TracerProvider) {
	return tracingtest.Record(t)
}

func TestTracedRequestIsASpanNamedByRouteUnderTheCallersTrace(t *testing.T) {
	rec, p := installRecorder(t)
	b := setup(t, setupOpts{traced: true, logLevel: slog.LevelDebug, jsonLogs: true})
	b.createOrder(t, "ord-1", "cust-9", t0.Add(10*time.Minute))

	ctx, caller := p.Tracer("test").Start(context.Background(), "caller")
	h := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, h)
	caller.End()
	require.Equal(t, http.StatusOK, b.do(t, req{method: http.MethodGet, path: "/v1/orders/ord-1/eligibility", token: serviceToken,
		header: map[string]string{"traceparent": h["traceparent"], "X-Request-Id": "r-traced"}}).StatusCode)

	var span sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.Name() == "GET /v1/orders/{id}/eligibility" {
			span = s
		}
	}
	require.NotNil(t, span, "no span named by the route among %v", spanNames(rec.Ended()))
	require.Equal(t, trace.SpanKindServer, span.SpanKind())
	require.Equal(t, caller.SpanContext().TraceID(), span.SpanContext().TraceID(), "the request is not in the caller's trace")
	require.Equal(t, caller.SpanContext().SpanID(), span.Parent().SpanID(), "the request span's parent is not the caller's")
	route, _ := attrOf(span, "http.route")
	require.Equal(t, "/v1/orders/{id}/eligibility", route)

	var line map[string]any
	for _, r := range logRecords(t, b.logs.String()) {
		if r["request_id"] == "r-traced" {
			line = r
		}
	}
	require.NotNil(t, line, "no log line of the request")
	require.Equal(t, span.SpanContext().TraceID().String(), line["trace_id"])
	require.Equal(t, span.SpanContext().SpanID().String(), line["span_id"])
}

func TestUntracedRequestLogsNoTraceIDs(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{logLevel: slog.LevelDebug, jsonLogs: true})
	b.do(t, req{method: http.MethodGet, path: "/v1/orders/none/eligibility", token: serviceToken, header: map[string]string{"X-Request-Id": "r-plain"}})
	rs := logRecords(t, b.logs.String())
	require.NotEmpty(t, rs)
	for _, r := range rs {
		if r["request_id"] == "r-plain" {
			require.NotContains(t, r, "trace_id")
			require.NotContains(t, r, "span_id")
			return
		}
	}
	t.Fatal("no log line of the request")
}

// BenchmarkEligibilityTraced is BenchmarkEligibility's service case with
// tracing on: TraceHandler and an SDK provider whose batch processor
// exports to nothing, the cost of tracing without the network.
func BenchmarkEligibilityTraced(b *testing.B) {
	p := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
	tracing.Install(p)
	b.Cleanup(func() { otel.SetTracerProvider(noop.NewTracerProvider()); _ = p.Shutdown(context.Background()) })
	tb := benchBundle(b)
	h := httpapi.TraceHandler(tb.handler)
	r := httptest.NewRequest(http.MethodGet, "/v1/orders/ord-1/eligibility", nil)
	r.Header.Set("Authorization", "Bearer "+serviceToken)
	serve(b, h, r, http.StatusOK)
}

func spanNames(spans []sdktrace.ReadOnlySpan) []string {
	out := make([]string, len(spans))
	for i, s := range spans {
		out[i] = s.Name()
	}
	return out
}

func attrOf(s sdktrace.ReadOnlySpan, key string) (string, bool) {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.Emit(), true
		}
	}
	return "", false
}
