package kafka

import (
	"context"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/eligo/eligo/internal/tracing"
)

// HeaderCarrier is a propagation.TextMapCarrier over a record's headers:
// the trace context of a record (W3C traceparent) is read from and written
// to them.
type HeaderCarrier struct{ Record *kgo.Record }

// Get returns the value of the first header named key, or "".
func (c HeaderCarrier) Get(key string) string {
	for _, h := range c.Record.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// Set replaces the headers named key with one of value.
func (c HeaderCarrier) Set(key, value string) {
	kept := c.Record.Headers[:0]
	for _, h := range c.Record.Headers {
		if h.Key != key {
			kept = append(kept, h)
		}
	}
	c.Record.Headers = append(kept, kgo.RecordHeader{Key: key, Value: []byte(value)})
}

// Keys lists the header names.
func (c HeaderCarrier) Keys() []string {
	keys := make([]string, len(c.Record.Headers))
	for i, h := range c.Record.Headers {
		keys[i] = h.Key
	}
	return keys
}

// startBatch starts the span of one polled batch.
func (c *Consumer) startBatch(ctx context.Context, records int) (context.Context, trace.Span) {
	return tracing.Tracer().Start(ctx, "kafka batch "+c.cfg.Topic, trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("messaging.system", "kafka"), attribute.String("messaging.destination.name", c.cfg.Topic),
			attribute.String("messaging.consumer.group.name", c.cfg.Group), attribute.Int("messaging.batch.message_count", records)))
}

// startRecord starts the span of one record: under the producer's span
// when the record carries a traceparent, else under the batch's (batchCtx),
// and linked to the batch's either way.
func (c *Consumer) startRecord(batchCtx context.Context, r *kgo.Record) (context.Context, trace.Span) {
	parent := tracing.Extract(batchCtx, HeaderCarrier{r})
	return tracing.Tracer().Start(parent, "kafka record "+r.Topic, trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithLinks(trace.LinkFromContext(batchCtx)),
		trace.WithAttributes(attribute.String("messaging.system", "kafka"), attribute.String("messaging.destination.name", r.Topic),
			attribute.Int("messaging.destination.partition.id", int(r.Partition)), attribute.Int64("messaging.kafka.offset", r.Offset),
			attribute.String("messaging.kafka.message.key", string(r.Key))))
}

// failSpan marks span failed with err.
func failSpan(span trace.Span, err error) {
	if err == nil {
		return
	}
	span.SetStatus(codes.Error, err.Error())
}
