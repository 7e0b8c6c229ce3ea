// Package logs holds what eligo adds to log/slog: a handler that
// rate-limits repeated records, so that an outage or a hostile client
// cannot flood the log.
package logs

import (
	"context"
	"log/slog"
	"sync"
)

// RateLimit returns a handler that passes at most perSecond records of the
// same level and message each second to h; the rest are dropped and
// counted, and the next record of that level and message that passes
// carries the count as "suppressed". Records below min always pass (debug
// logging is asked for on purpose). perSecond < 1 means 1.
func RateLimit(h slog.Handler, min slog.Level, perSecond int) slog.Handler {
	if perSecond < 1 {
		perSecond = 1
	}
	return &rateLimited{h: h, min: min, state: &limitState{per: perSecond, passed: map[limitKey]int{}, dropped: map[limitKey]int{}}}
}

type rateLimited struct {
	h     slog.Handler
	min   slog.Level
	state *limitState // shared by the handlers WithAttrs and WithGroup derive
}

type limitKey struct {
	level slog.Level
	msg   string
}

type limitState struct {
	mu      sync.Mutex
	per     int
	second  int64            // the Unix second passed counts
	passed  map[limitKey]int // this second
	dropped map[limitKey]int // since the last record of the key that passed
}

// take reports whether a record of k at Unix second sec passes, and how
// many were dropped before it.
func (s *limitState) take(k limitKey, sec int64) (pass bool, dropped int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sec != s.second {
		s.second = sec
		clear(s.passed)
	}
	if s.passed[k] >= s.per {
		s.dropped[k]++
		return false, 0
	}
	s.passed[k]++
	dropped = s.dropped[k]
	delete(s.dropped, k)
	return true, dropped
}

func (l *rateLimited) Enabled(ctx context.Context, level slog.Level) bool {
	return l.h.Enabled(ctx, level)
}

func (l *rateLimited) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < l.min {
		return l.h.Handle(ctx, r)
	}
	pass, dropped := l.state.take(limitKey{r.Level, r.Message}, r.Time.Unix())
	if !pass {
		return nil
	}
	if dropped > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int("suppressed", dropped))
	}
	return l.h.Handle(ctx, r)
}

func (l *rateLimited) WithAttrs(as []slog.Attr) slog.Handler {
	return &rateLimited{h: l.h.WithAttrs(as), min: l.min, state: l.state}
}

func (l *rateLimited) WithGroup(name string) slog.Handler {
	return &rateLimited{h: l.h.WithGroup(name), min: l.min, state: l.state}
}
