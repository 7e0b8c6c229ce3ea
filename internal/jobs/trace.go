package jobs

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/eligo/eligo/internal/tracing"
)

// metadataTraceparent is the key of a job's metadata that holds the W3C
// traceparent of the change that enqueued it.
const metadataTraceparent = "traceparent"

// withTraceparent returns params whose jobs carry traceparent in their
// metadata, next to what the metadata already held. params are not changed.
func withTraceparent(params []river.InsertManyParams, traceparent string) []river.InsertManyParams {
	out := make([]river.InsertManyParams, len(params))
	for i, p := range params {
		opts := river.InsertOpts{}
		if p.InsertOpts != nil {
			opts = *p.InsertOpts
		}
		meta := map[string]any{}
		if len(opts.Metadata) > 0 {
			_ = json.Unmarshal(opts.Metadata, &meta) // not an object: replaced
		}
		meta[metadataTraceparent] = traceparent
		opts.Metadata, _ = json.Marshal(meta) // a map of JSON values always marshals
		p.InsertOpts = &opts
		out[i] = p
	}
	return out
}

// traceMiddleware makes every job worked a span "job <kind>", a child of
// the span of the change that enqueued it (the traceparent in its
// metadata), so a payment re-check or an outbound event is found in the
// trace of the request or event that made the change. With tracing off
// the span is the API's no-op one.
type traceMiddleware struct{ river.WorkerMiddlewareDefaults }

func (*traceMiddleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	var meta struct {
		Traceparent string `json:"traceparent"`
	}
	if len(job.Metadata) > 0 {
		_ = json.Unmarshal(job.Metadata, &meta) // no traceparent: a root span
	}
	ctx, span := tracing.Tracer().Start(tracing.FromTraceparent(ctx, meta.Traceparent), "job "+job.Kind,
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("eligo.job.kind", job.Kind), attribute.String("eligo.job.queue", job.Queue),
			attribute.String("eligo.job.id", strconv.FormatInt(job.ID, 10)), attribute.Int("eligo.job.attempt", job.Attempt)))
	defer span.End()
	err := doInner(ctx)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	return err
}
