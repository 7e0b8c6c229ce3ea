package tracing

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
)

// Extract returns ctx with the remote span context that carrier holds
// (a traceparent), through the global propagator.
func Extract(ctx context.Context, carrier propagation.TextMapCarrier) context.Context {
	return otel.GetTextMapPropagator().Extract(ctx, carrier)
}

// Inject writes ctx's span context into carrier (a traceparent) through
// the global propagator; it writes nothing when ctx holds no valid span.
func Inject(ctx context.Context, carrier propagation.TextMapCarrier) {
	otel.GetTextMapPropagator().Inject(ctx, carrier)
}

// Traceparent returns ctx's span context as a W3C traceparent, or "" when
// ctx holds none or tracing is off.
func Traceparent(ctx context.Context) string {
	c := propagation.MapCarrier{}
	Inject(ctx, c)
	return c["traceparent"]
}

// FromTraceparent returns ctx with the remote span context of a W3C
// traceparent; an empty or malformed one leaves ctx as it is.
func FromTraceparent(ctx context.Context, traceparent string) context.Context {
	if traceparent == "" {
		return ctx
	}
	return Extract(ctx, propagation.MapCarrier{"traceparent": traceparent})
}
