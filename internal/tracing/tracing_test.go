package tracing

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

func TestSetupIsOffWithoutAnEndpoint(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	before := otel.GetTracerProvider()
	shutdown, err := Setup(context.Background(), "")
	require.NoError(t, err)
	require.NoError(t, shutdown(context.Background()))
	require.Equal(t, before, otel.GetTracerProvider(), "Setup installed a provider with tracing off")
	_, span := Tracer().Start(context.Background(), "x")
	require.False(t, span.SpanContext().IsValid(), "a span started with tracing off is recorded")
}

func TestEnabledByTheFlagOrEitherVariable(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	require.False(t, Enabled("", env(nil)))
	require.True(t, Enabled("http://c:4318", env(nil)))
	require.True(t, Enabled("", env(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"})))
	require.True(t, Enabled("", env(map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"})))
}

func TestSetupRefusesAnEndpointThatIsNotAURL(t *testing.T) {
	_, err := Setup(context.Background(), "collector:4318")
	require.ErrorContains(t, err, "want a URL")
}

func TestSetupInstallsAProviderAndShutdownFlushes(t *testing.T) {
	t.Cleanup(func() { Install(noop.NewTracerProvider()) })
	shutdown, err := Setup(context.Background(), "http://127.0.0.1:1")
	require.NoError(t, err)
	_, span := Tracer().Start(context.Background(), "x")
	require.True(t, span.SpanContext().IsValid(), "tracing on, yet the span is not recorded")
	span.End()
	ctx, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	// Nothing listens on port 1: the flush fails within the deadline
	// instead of hanging.
	require.Error(t, shutdown(ctx))
}

func TestServiceNameFromTheEnvironmentOrEligo(t *testing.T) {
	for _, c := range []struct{ env, want string }{{"", DefaultServiceName}, {"eligo-eu", "eligo-eu"}} {
		t.Setenv("OTEL_SERVICE_NAME", c.env)
		p, err := NewProvider(context.Background())
		require.NoError(t, err)
		rec := tracetest.NewSpanRecorder()
		p.RegisterSpanProcessor(rec)
		_, span := p.Tracer("t").Start(context.Background(), "x")
		span.End()
		name, _ := rec.Ended()[0].Resource().Set().Value("service.name")
		require.Equal(t, c.want, name.AsString())
		require.NoError(t, p.Shutdown(context.Background()))
	}
}

func TestTraceparentRoundTrip(t *testing.T) {
	Install(noop.NewTracerProvider())
	p := sdktrace.NewTracerProvider()
	ctx, span := p.Tracer("t").Start(context.Background(), "x")
	defer span.End()
	tp := Traceparent(ctx)
	require.NotEmpty(t, tp)
	back := trace.SpanContextFromContext(FromTraceparent(context.Background(), tp))
	require.Equal(t, span.SpanContext().TraceID(), back.TraceID())
	require.Equal(t, span.SpanContext().SpanID(), back.SpanID())
	require.True(t, back.IsRemote())
	require.Equal(t, context.Background(), FromTraceparent(context.Background(), ""))
}
