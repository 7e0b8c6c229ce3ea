package engine

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/eligo/eligo/internal/tracing"
)

// eventContextsKey keys the per-event contexts of WithEventContexts.
type eventContextsKey struct{}

// WithEventContexts returns ctx carrying one context per event of the
// ApplyEvents call it is given to, in the same order: the context of the
// record each event came from (the Kafka consumer's record span). The
// change an event makes is published to the listeners under its own
// context, so its trace goes on to the live push, and the store
// transaction's span links to every event's span.
func WithEventContexts(ctx context.Context, perEvent []context.Context) context.Context {
	return context.WithValue(ctx, eventContextsKey{}, perEvent)
}

// eventContexts returns the per-event contexts of ctx when there is one for
// each of n events, else nil.
func eventContexts(ctx context.Context, n int) []context.Context {
	perEvent, _ := ctx.Value(eventContextsKey{}).([]context.Context)
	if len(perEvent) != n {
		return nil
	}
	return perEvent
}

// startStoreCall starts the span of one call to the system of record (one
// transaction), named "store <call>", linked to the spans of links.
func startStoreCall(ctx context.Context, call string, links []context.Context, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...)}
	for _, l := range links {
		if sc := trace.SpanContextFromContext(l); sc.IsValid() {
			opts = append(opts, trace.WithLinks(trace.Link{SpanContext: sc}))
		}
	}
	return tracing.Tracer().Start(ctx, "store "+call, opts...)
}

// endStoreCall ends span, marked failed with err's message when err is set.
func endStoreCall(span trace.Span, err error) {
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
