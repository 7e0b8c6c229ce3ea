package kafka

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kerr"
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

// Bounds of a dead letter. A broker takes records of up to about 1 MiB by
// default (message.max.bytes), and franz-go's producer batches of up to
// 1,000,012 bytes; a dead letter carries the original key, the first
// DeadLetterMaxValueBytes of the value, and every header's key and value
// cut to DeadLetterMaxHeaderBytes, at most deadLetterMaxHeaders original
// headers: under 400 KiB in all, whatever the original record.
const (
	DeadLetterMaxValueBytes  = 256 << 10 // the original value's first bytes
	DeadLetterMaxHeaderBytes = 1 << 10   // each header's key and value, and the record key
	deadLetterMaxHeaders     = 64        // original headers kept; the rest are dropped
)

// HeaderTruncated is on a dead letter that does not carry all of the
// original record: it says what was cut, with the original sizes, such as
// "value=921654 headers_truncated=1". A "minimal" dead letter (see
// Consumer.produceDeadLetters) carries no value and no original header.
const HeaderTruncated = "eligo-truncated"

// deadLetter is a record to send to the dead-letter topic, and why.
type deadLetter struct {
	rec    *kgo.Record
	reason string
	err    error
}

// source is the original record's topic/partition/offset.
func (d *deadLetter) source() string {
	return d.rec.Topic + "/" + strconv.FormatInt(int64(d.rec.Partition), 10) + "/" + strconv.FormatInt(d.rec.Offset, 10)
}

// record returns the dead-letter record: the original key, value and
// headers, with the error and the source added, all cut to the bounds
// above. A minimal one carries only the key, the error and the source.
func (d *deadLetter) record(topic string, minimal bool) *kgo.Record {
	var cut []string
	key := d.rec.Key
	if len(key) > DeadLetterMaxHeaderBytes {
		cut = append(cut, "key="+strconv.Itoa(len(key)))
		key = key[:DeadLetterMaxHeaderBytes]
	}
	value := d.rec.Value
	var headers []kgo.RecordHeader
	if minimal {
		cut = append(cut, "minimal", "value="+strconv.Itoa(len(value)), "headers_dropped="+strconv.Itoa(len(d.rec.Headers)))
		value = nil
	} else {
		if len(value) > DeadLetterMaxValueBytes {
			cut = append(cut, "value="+strconv.Itoa(len(value)))
			value = value[:DeadLetterMaxValueBytes]
		}
		truncated := 0
		for _, h := range d.rec.Headers[:min(len(d.rec.Headers), deadLetterMaxHeaders)] {
			k, v := cutString(h.Key), h.Value
			if len(v) > DeadLetterMaxHeaderBytes {
				v = v[:DeadLetterMaxHeaderBytes]
			}
			if len(k) < len(h.Key) || len(v) < len(h.Value) {
				truncated++
			}
			headers = append(headers, kgo.RecordHeader{Key: k, Value: v})
		}
		if truncated > 0 {
			cut = append(cut, "headers_truncated="+strconv.Itoa(truncated))
		}
		if n := len(d.rec.Headers) - len(headers); n > 0 {
			cut = append(cut, "headers_dropped="+strconv.Itoa(n))
		}
	}
	headers = append(headers,
		kgo.RecordHeader{Key: HeaderError, Value: []byte(cutString(eligo.ErrorMessage(d.err)))},
		kgo.RecordHeader{Key: HeaderErrorCode, Value: []byte(cutString(eligo.ErrorCode(d.err)))},
		kgo.RecordHeader{Key: HeaderSource, Value: []byte(cutString(d.source()))},
	)
	if len(cut) > 0 {
		headers = append(headers, kgo.RecordHeader{Key: HeaderTruncated, Value: []byte(strings.Join(cut, " "))})
	}
	return &kgo.Record{Topic: topic, Key: key, Value: value, Headers: headers}
}

// cutString returns s cut to DeadLetterMaxHeaderBytes, on a rune boundary.
func cutString(s string) string {
	if len(s) <= DeadLetterMaxHeaderBytes {
		return s
	}
	n := DeadLetterMaxHeaderBytes
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// deadLetterAttempts bounds the attempts to produce one dead letter in full,
// and then as many in its minimal form, before the record is skipped.
const deadLetterAttempts = 5

// produceDeadLetters produces the dead letters and waits for the cluster to
// acknowledge them, retrying with backoff; each attempt runs on after ctx
// ends (the store has committed the batch), but no new attempt starts then,
// and an error is returned: the offsets stay uncommitted.
//
// One bad record must not hold back the records after it, so the attempts
// are bounded. A dead letter the cluster refuses as too large
// (MESSAGE_TOO_LARGE: a dead-letter topic with a smaller max.message.bytes)
// is sent at once in its minimal form; any other failure gets
// deadLetterAttempts attempts in full, then as many minimal. When even the
// minimal form fails, the record is skipped: logged at ERROR with its
// topic, partition and offset, and counted in
// eligo_kafka_dead_letters_skipped_total.
func (c *Consumer) produceDeadLetters(ctx context.Context, dead []deadLetter) error {
	if len(dead) == 0 {
		return nil
	}
	for i := range dead {
		c.metrics.deadLetters.WithLabelValues(dead[i].reason).Inc()
	}
	first := &dead[0]
	c.log.WarnContext(ctx, "kafka: dead-lettering records", "count", len(dead), "topic", c.cfg.DeadLetterTopic,
		"first_source", first.source(), "first_reason", first.reason, "first_error", cutString(eligo.ErrorMessage(first.err)))
	type pending struct {
		d        *deadLetter
		minimal  bool
		failures int
	}
	todo := make([]*pending, len(dead))
	for i := range dead {
		todo[i] = &pending{d: &dead[i]}
	}
	for attempt := 0; len(todo) > 0; attempt++ {
		// New records each attempt: a produced record is not reused.
		recs := make([]*kgo.Record, len(todo))
		of := make(map[*kgo.Record]*pending, len(todo))
		for i, p := range todo {
			recs[i] = p.d.record(c.cfg.DeadLetterTopic, p.minimal)
			of[recs[i]] = p
		}
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
		results := c.client.ProduceSync(pctx, recs...)
		cancel()
		failed := make(map[*pending]error)
		for _, r := range results {
			if r.Err != nil {
				failed[of[r.Record]] = r.Err
			}
		}
		if len(failed) == 0 {
			return nil
		}
		c.metrics.deadLetterErrors.Inc()
		var next []*pending
		var firstErr error
		for _, p := range todo { // in partition and offset order
			err, ok := failed[p]
			if !ok {
				continue
			}
			firstErr = cmp.Or(firstErr, err)
			p.failures++
			switch {
			case !p.minimal && (p.failures >= deadLetterAttempts || errors.Is(err, kerr.MessageTooLarge)):
				p.minimal, p.failures = true, 0
				next = append(next, p)
			case p.minimal && p.failures >= deadLetterAttempts:
				c.metrics.deadLettersSkipped.Inc()
				c.log.ErrorContext(ctx, "kafka: a bad record could not be dead-lettered, even without its value; skipping it",
					"topic", p.d.rec.Topic, "partition", p.d.rec.Partition, "offset", p.d.rec.Offset,
					"reason", p.d.reason, "dead_letter_topic", c.cfg.DeadLetterTopic, "attempts", 2*deadLetterAttempts, "err", err)
			default:
				next = append(next, p)
			}
		}
		todo = next
		c.log.ErrorContext(ctx, "kafka: producing dead letters failed; retrying (offsets stay uncommitted)",
			"topic", c.cfg.DeadLetterTopic, "failed", len(failed), "attempt", attempt+1, "err", firstErr)
		if len(todo) == 0 {
			return nil
		}
		if ctx.Err() != nil || !sleep(ctx, backoff(attempt)) {
			return fmt.Errorf("kafka: dead letters not produced: %w", firstErr)
		}
	}
	return nil
}
