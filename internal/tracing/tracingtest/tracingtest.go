// Package tracingtest records the spans of a test: Record installs an SDK
// tracer provider that keeps every span in memory, as eligo's tracing does
// in production, and puts the no-op provider back when the test ends.
// Tests that use it install the global provider, so they cannot run in
// parallel with tests that trace.
package tracingtest

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/eligo/eligo/internal/tracing"
)

// Record installs a provider that records every span, and returns the
// recorder and the provider.
func Record(t testing.TB) (*tracetest.SpanRecorder, *sdktrace.TracerProvider) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	p := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	prevProp := otel.GetTextMapPropagator()
	tracing.Install(p)
	t.Cleanup(func() {
		otel.SetTracerProvider(noop.NewTracerProvider())
		otel.SetTextMapPropagator(prevProp)
		_ = p.Shutdown(context.Background())
	})
	return rec, p
}
