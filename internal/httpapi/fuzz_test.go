package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/httpapi"
)

// FuzzDecodeEvents feeds arbitrary bodies to the events decoder and to
// POST /v1/events. It never panics; a body the decoder refuses is 400 and
// reaches the store not at all; a body it accepts is answered with one
// result per event.
func FuzzDecodeEvents(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("..", "eventjson", "testdata", "events", "*.json"))
	require.NoError(f, err)
	require.NotEmpty(f, seeds)
	for _, path := range seeds {
		data, err := os.ReadFile(path)
		require.NoError(f, err)
		f.Add(data)
	}
	b := setup(f)
	b.createOrder(f, "ord-1", "cust-9", t0.Add(10*time.Minute))

	f.Fuzz(func(t *testing.T, body []byte) {
		now := b.clock.Now()
		events, decodeErr := httpapi.DecodeEvents(body, now)

		before := b.store.updates.Load()
		r := httptest.NewRequest(http.MethodPost, "/v1/events", bytes.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+serviceToken)
		w := httptest.NewRecorder()
		b.handler.ServeHTTP(w, r)

		if decodeErr != nil {
			require.Equal(t, eligo.EINVALID, eligo.ErrorCode(decodeErr))
			require.Equal(t, http.StatusBadRequest, w.Code, "body: %s", w.Body)
			require.Equal(t, before, b.store.updates.Load(), "a refused body reached the store")
			return
		}
		require.NotEmpty(t, events)
		require.LessOrEqual(t, len(events), 1000)
		for _, e := range events {
			require.False(t, e.OccurredAt.IsZero(), "occurred_at defaults to now")
		}
		require.Equal(t, http.StatusOK, w.Code, "body: %s", w.Body)
		var resp struct {
			Results []map[string]any `json:"results"`
		}
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &resp))
		require.Len(t, resp.Results, len(events))
	})
}

// FuzzDecodeCreateOrder holds the body of POST /v1/orders to the strict
// rules: it never panics, every error is EINVALID, and a body it accepts
// is read the same by encoding/json (so a gateway and eligo agree on it).
func FuzzDecodeCreateOrder(f *testing.F) {
	for _, seed := range []string{
		`{"id":"ord-1","customer_id":"cust-9","promised_at":"2025-03-14T12:10:00Z"}`,
		`{"id":"ord-1","customer_id":"cust-9","placed_at":"2025-03-14T12:00:00+01:00","promised_at":"2025-03-14T12:10:00Z","payment_timeout_at":null}`,
		`{"ID":"ord-1","id":"ord-2"}`, `{"id":"a","id":"b"}`, `{"id":"\u0061"}`, `[]`, `{"promised_at":""}`,
		`{"id":"o","attributes":{"city":"AMS"},"deadlines":{"event_starts_at":"2025-03-20T20:00:00Z"}}`,
		`{"attributes":{"a":"b","a":"c"}}`, `{"attributes":null,"deadlines":{}}`, `{"deadlines":{"x":null}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := httpapi.DecodeCreateOrder(body)
		if err != nil {
			require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err), "error: %v", err)
			return
		}
		var v1 struct {
			ID               string            `json:"id"`
			CustomerID       string            `json:"customer_id"`
			PlacedAt         *string           `json:"placed_at"`
			PromisedAt       *string           `json:"promised_at"`
			PaymentTimeoutAt *string           `json:"payment_timeout_at"`
			Attributes       map[string]string `json:"attributes"`
			Deadlines        map[string]string `json:"deadlines"`
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		require.NoError(t, dec.Decode(&v1), "encoding/json refuses what eligo accepts")
		require.Equal(t, v1.ID, p.ID)
		require.Equal(t, v1.CustomerID, p.CustomerID)
		require.Equal(t, len(v1.Attributes), len(p.Attributes))
		for k, v := range v1.Attributes {
			require.Equal(t, v, p.Attributes[k])
		}
		require.Equal(t, len(v1.Deadlines), len(p.Deadlines))
		for name, v := range v1.Deadlines {
			at, err := time.Parse(time.RFC3339Nano, v)
			require.NoError(t, err)
			require.True(t, at.Equal(p.Deadlines[name]))
		}
		for _, c := range []struct {
			v1  *string
			got time.Time
		}{{v1.PlacedAt, p.PlacedAt}, {v1.PromisedAt, p.PromisedAt}, {v1.PaymentTimeoutAt, p.PaymentTimeoutAt}} {
			if c.v1 == nil {
				require.True(t, c.got.IsZero())
				continue
			}
			at, err := time.Parse(time.RFC3339Nano, *c.v1)
			require.NoError(t, err)
			require.True(t, at.Equal(c.got))
		}
	})
}

// TestEventsGolden posts every file of the events corpus that
// internal/eventjson pins (NAME.golden: its outcome) and holds POST
// /v1/events to it: the same error message as a 400 detail, or one result
// per event. internal/kafka holds a record's decoding to the same files.
func TestEventsGolden(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createOrder(t, "ord-1", "cust-9", t0.Add(10*time.Minute))
	paths, err := filepath.Glob(filepath.Join("..", "eventjson", "testdata", "events", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			body, err := os.ReadFile(path)
			require.NoError(t, err)
			want, err := os.ReadFile(strings.TrimSuffix(path, ".json") + ".golden")
			require.NoError(t, err)
			resp := b.post(t, "/v1/events", string(body))
			if msg, ok := strings.CutPrefix(string(want), "error: "); ok {
				p := requireProblem(t, resp, http.StatusBadRequest)
				require.Equal(t, strings.TrimSuffix(msg, "\n"), p["detail"])
				return
			}
			require.Len(t, results(t, resp), strings.Count(string(want), "\n"), "body: %s", resp.body)
		})
	}
}

func TestEtagWeakMatch(t *testing.T) {
	t.Parallel()
	const tag = `"v3-abc"`
	tests := []struct {
		name   string
		values []string
		want   bool
	}{
		{"exact", []string{`"v3-abc"`}, true},
		{"weak", []string{`W/"v3-abc"`}, true},
		{"star", []string{`*`}, true},
		{"list", []string{`"a", W/"b",  "v3-abc"`}, true},
		{"second header line", []string{`"a"`, `"v3-abc"`}, true},
		{"other", []string{`"v3-abd"`}, false},
		{"prefix only", []string{`"v3-ab"`}, false},
		{"unquoted", []string{`v3-abc`}, false},
		{"unterminated", []string{`"v3-abc`}, false},
		{"garbage then match", []string{`xyz, "v3-abc"`}, true},
		{"empty", []string{``}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, httpapi.EtagWeakMatch(tt.values, tag))
		})
	}
}

func TestCacheControlNeverPastUntil(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		maxAge time.Duration
		until  time.Time
		want   string
	}{
		{"no until: the cap", 5 * time.Second, time.Time{}, "private, max-age=5"},
		{"far: the cap", 5 * time.Second, t0.Add(time.Hour), "private, max-age=5"},
		{"rounded down", 5 * time.Second, t0.Add(4999 * time.Millisecond), "private, max-age=4"},
		{"under a second", 5 * time.Second, t0.Add(999 * time.Millisecond), "private, max-age=0"},
		{"past", 5 * time.Second, t0.Add(-time.Second), "private, max-age=0"},
		{"cap rounded down", 2500 * time.Millisecond, time.Time{}, "private, max-age=2"},
		{"beyond the prebuilt values", 24 * time.Hour, t0.Add(90 * time.Minute), "private, max-age=5400"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, httpapi.NewCacheHeader(tt.maxAge)(tt.until, t0))
		})
	}
}
