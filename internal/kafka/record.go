package kafka

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/eventjson"
)

// Headers that a dead-letter record carries besides the original ones.
const (
	HeaderError     = "eligo-error"      // why the record was dead-lettered, for a person
	HeaderErrorCode = "eligo-error-code" // the eligo error code: invalid, not_found, ...
	HeaderSource    = "eligo-source"     // topic/partition/offset of the original record
)

// Reasons a record is dead-lettered, as in eligo_kafka_dead_letters_total.
const (
	reasonUndecodable = "undecodable" // not an event: bad JSON, no key, key not its order id
	reasonRejected    = "rejected"    // an event the engine refused: invalid, unknown order
)

// EventRecord returns the record that carries e on topic: keyed by its
// order id (so one order's events keep their order in one partition),
// valued by its JSON.
func EventRecord(topic string, e *eligo.Event) *kgo.Record {
	return &kgo.Record{Topic: topic, Key: []byte(e.OrderID), Value: eventjson.Encode(e)}
}

// decodeRecord returns the event a record carries. Its key must be the
// event's order id. An event without occurred_at gets the record's
// timestamp.
func decodeRecord(r *kgo.Record) (eligo.Event, error) {
	if len(r.Key) == 0 {
		return eligo.Event{}, eligo.Errorf(eligo.EINVALID, "the record has no key; key each event record by its order_id")
	}
	e, err := eventjson.Decode(r.Value, r.Timestamp)
	if err != nil {
		return eligo.Event{}, err
	}
	if string(r.Key) != e.OrderID {
		return eligo.Event{}, eligo.Errorf(eligo.EINVALID, "the record key %q is not the event's order_id %q; key each event record by its order_id", r.Key, e.OrderID)
	}
	return e, nil
}

// deadLetter is a record to send to the dead-letter topic, and why.
type deadLetter struct {
	rec    *kgo.Record
	reason string
	err    error
}

// record returns the dead-letter record: the original key, value and
// headers, with the error and the source added.
func (d *deadLetter) record(topic string) *kgo.Record {
	headers := append(slices.Clip(d.rec.Headers),
		kgo.RecordHeader{Key: HeaderError, Value: []byte(eligo.ErrorMessage(d.err))},
		kgo.RecordHeader{Key: HeaderErrorCode, Value: []byte(eligo.ErrorCode(d.err))},
		kgo.RecordHeader{Key: HeaderSource, Value: []byte(d.rec.Topic + "/" +
			strconv.FormatInt(int64(d.rec.Partition), 10) + "/" + strconv.FormatInt(d.rec.Offset, 10))},
	)
	return &kgo.Record{Topic: topic, Key: d.rec.Key, Value: d.rec.Value, Headers: headers}
}

// produceDeadLetters produces the dead letters and waits for the cluster to
// acknowledge them all, retrying with backoff; each attempt runs on after
// ctx ends (the store has committed the batch), but no new attempt starts
// then. An error means they were not all acknowledged.
func (c *Consumer) produceDeadLetters(ctx context.Context, dead []deadLetter) error {
	if len(dead) == 0 {
		return nil
	}
	for i := range dead {
		c.metrics.deadLetters.WithLabelValues(dead[i].reason).Inc()
	}
	first := &dead[0]
	c.log.WarnContext(ctx, "kafka: dead-lettering records", "count", len(dead), "topic", c.cfg.DeadLetterTopic,
		"first_source", fmt.Sprintf("%s/%d/%d", first.rec.Topic, first.rec.Partition, first.rec.Offset),
		"first_reason", first.reason, "first_error", eligo.ErrorMessage(first.err))
	for attempt := 0; ; attempt++ {
		// New records each attempt: a produced record is not reused.
		recs := make([]*kgo.Record, len(dead))
		for i := range dead {
			recs[i] = dead[i].record(c.cfg.DeadLetterTopic)
		}
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
		err := c.client.ProduceSync(pctx, recs...).FirstErr()
		cancel()
		if err == nil {
			return nil
		}
		c.metrics.deadLetterErrors.Inc()
		c.log.ErrorContext(ctx, "kafka: producing dead letters failed; retrying (offsets stay uncommitted)",
			"topic", c.cfg.DeadLetterTopic, "attempt", attempt+1, "err", err)
		if ctx.Err() != nil || !sleep(ctx, backoff(attempt)) {
			return fmt.Errorf("kafka: dead letters not produced: %w", err)
		}
	}
}
