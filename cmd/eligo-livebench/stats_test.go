package main

import (
	"math"
	"testing"
	"time"
)

func TestDocVersion(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want int64
	}{
		{"document", `{"order_id":"o-1","version":42,"as_of":"2026-01-02T10:00:00.000Z","actions":{}}`, 42},
		{"no version", `{"order_id":"o-1"}`, -1},
		{"not a number", `{"version":null}`, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := docVersion([]byte(tt.doc)); got != tt.want {
				t.Errorf("docVersion(%s) = %d, want %d", tt.doc, got, tt.want)
			}
		})
	}
}

func TestQuantile(t *testing.T) {
	s := make([]time.Duration, 100)
	for i := range s {
		s[i] = time.Duration(i+1) * time.Millisecond
	}
	if got := quantile(s, .50); got != 50*time.Millisecond {
		t.Errorf("p50 = %s, want 50ms", got)
	}
	if got := quantile(s, .99); got != 99*time.Millisecond {
		t.Errorf("p99 = %s, want 99ms", got)
	}
	if got := quantile(s[:1], .99); got != time.Millisecond {
		t.Errorf("p99 of one = %s, want 1ms", got)
	}
}

func TestHistogramSince(t *testing.T) {
	before := histogram{.001: 10, .01: 10, math.Inf(1): 10}
	after := histogram{.001: 108, .01: 110, math.Inf(1): 110}
	want := "100 pushes, p50 <= 1ms, p99 <= 10ms"
	if got := after.since(before); got != want {
		t.Errorf("since = %q, want %q", got, want)
	}
}
