// Package tracing turns on OpenTelemetry traces: an OTLP/HTTP exporter
// behind a batch span processor, installed as the global tracer provider,
// and the W3C tracecontext propagator. Tracing is off unless an endpoint is
// given (--otlp-endpoint) or the standard OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set; off, nothing is installed and
// every span the code starts is the API's no-op one.
//
// The other standard variables are honoured: OTEL_SERVICE_NAME (default
// "eligo"), OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS,
// OTEL_TRACES_SAMPLER and the rest the SDK and the exporter read.
package tracing

import (
	"context"
	"fmt"
	"os"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// DefaultServiceName is the service.name of eligo's spans unless
// OTEL_SERVICE_NAME says otherwise.
const DefaultServiceName = "eligo"

// Tracer returns the tracer every eligo package starts its spans with: the
// global provider's, so a provider installed after the package's start (by
// Setup, or by a test) is used.
func Tracer() trace.Tracer { return otel.Tracer("github.com/eligo/eligo") }

// Enabled reports whether tracing is on: whether endpoint, or one of the
// standard OTLP endpoint variables read through getenv, is set.
func Enabled(endpoint string, getenv func(string) string) bool {
	return endpoint != "" || getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// Setup turns tracing on when Enabled(endpoint, os.Getenv): it installs a
// tracer provider exporting to endpoint (a URL such as
// http://collector:4318, or the OTEL_* variables when endpoint is empty)
// and the W3C tracecontext propagator. shutdown flushes the spans not yet
// exported and stops the exporter, within ctx; call it on exit. When
// tracing is off, Setup installs nothing and shutdown does nothing.
func Setup(ctx context.Context, endpoint string) (shutdown func(context.Context) error, err error) {
	if !Enabled(endpoint, os.Getenv) {
		return func(context.Context) error { return nil }, nil
	}
	var opts []otlptracehttp.Option
	if endpoint != "" {
		if !strings.HasPrefix(endpoint, "http://") && !strings.HasPrefix(endpoint, "https://") {
			return nil, fmt.Errorf("tracing: --otlp-endpoint %q: want a URL, http://host:4318 or https://host:4318", endpoint)
		}
		opts = append(opts, otlptracehttp.WithEndpointURL(strings.TrimSuffix(endpoint, "/")+"/v1/traces"))
	}
	exporter, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	provider, err := NewProvider(ctx, sdktrace.WithBatcher(exporter))
	if err != nil {
		_ = exporter.Shutdown(ctx)
		return nil, err
	}
	Install(provider)
	return provider.Shutdown, nil
}

// NewProvider returns an SDK tracer provider with eligo's resource
// (service.name from OTEL_SERVICE_NAME or DefaultServiceName, and
// OTEL_RESOURCE_ATTRIBUTES) and the given options (a
// span processor).
func NewProvider(ctx context.Context, opts ...sdktrace.TracerProviderOption) (*sdktrace.TracerProvider, error) {
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", DefaultServiceName)),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES: after, so they win
		resource.WithTelemetrySDK())
	if err != nil {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	return sdktrace.NewTracerProvider(append([]sdktrace.TracerProviderOption{sdktrace.WithResource(res)}, opts...)...), nil
}

// Install makes p the global tracer provider and W3C tracecontext the
// global propagator.
func Install(p trace.TracerProvider) {
	otel.SetTracerProvider(p)
	otel.SetTextMapPropagator(propagation.TraceContext{})
}
