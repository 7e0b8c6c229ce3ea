package httpapi_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo/internal/httpapi"
)

// logRecords decodes a JSON-lines log.
func logRecords(t *testing.T, log string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(log) {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), "line %q", line)
		out = append(out, m)
	}
	return out
}

func TestRequestIDIsEchoedOrGenerated(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createOrder(t, "ord-1", "cust-9", t0.Add(10*time.Minute))

	given := b.do(t, req{method: http.MethodGet, path: "/v1/orders/ord-1", token: serviceToken, header: map[string]string{"X-Request-Id": "lb-7f3a:42"}})
	require.Equal(t, "lb-7f3a:42", given.Header.Get(httpapi.RequestIDHeader), "a caller's id is kept")

	a := b.do(t, req{method: http.MethodGet, path: "/v1/orders/ord-1", token: serviceToken})
	c := b.do(t, req{method: http.MethodGet, path: "/v1/orders/ord-1", token: serviceToken})
	require.NotEmpty(t, a.Header.Get(httpapi.RequestIDHeader))
	require.NotEqual(t, a.Header.Get(httpapi.RequestIDHeader), c.Header.Get(httpapi.RequestIDHeader), "each request gets its own")

	for _, bad := range []string{"has space", strings.Repeat("x", 129), "tab\tin", "é"} {
		r := b.do(t, req{method: http.MethodGet, path: "/v1/orders/ord-1", token: serviceToken, header: map[string]string{"X-Request-Id": bad}})
		got := r.Header.Get(httpapi.RequestIDHeader)
		require.NotEqual(t, bad, got, "an unusable id is replaced")
		require.NotEmpty(t, got)
	}

	p := requireProblem(t, b.do(t, req{method: http.MethodGet, path: "/v1/orders/nope", token: serviceToken, header: map[string]string{"X-Request-Id": "req-404"}}), http.StatusNotFound)
	require.Equal(t, "req-404", p["request_id"], "a problem names its request")
}

func TestRequestLogLevels(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{logLevel: slog.LevelInfo, jsonLogs: true})
	b.createOrder(t, "ord-1", "cust-9", t0.Add(10*time.Minute))
	tok := b.customerToken(t, "cust-9")
	require.Equal(t, http.StatusOK, b.do(t, req{method: http.MethodGet, path: "/v1/orders/ord-1/eligibility?access_token=" + tok}).StatusCode)
	require.Equal(t, http.StatusNotFound, b.do(t, req{method: http.MethodGet, path: "/v1/orders/nope/eligibility", token: serviceToken, header: map[string]string{"X-Request-Id": "r-1"}}).StatusCode)

	rs := logRecords(t, b.logs.String())
	require.Len(t, rs, 1, "at info, only the failed request is logged: %s", b.logs.String())
	r := rs[0]
	require.Equal(t, "request", r["msg"])
	require.Equal(t, "INFO", r["level"])
	require.Equal(t, "r-1", r["request_id"])
	require.Equal(t, "GET /v1/orders/{id}/eligibility", r["route"])
	require.Equal(t, "/v1/orders/nope/eligibility", r["path"])
	require.EqualValues(t, 404, r["status"])
	require.Contains(t, r, "duration")
	require.NotContains(t, b.logs.String(), tok)
}

func TestSlowRequestsAreLoggedAtInfo(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{logLevel: slog.LevelInfo, jsonLogs: true, slowRequest: time.Nanosecond})
	b.createOrder(t, "ord-1", "cust-9", t0.Add(10*time.Minute))
	rs := logRecords(t, b.logs.String())
	require.Len(t, rs, 1, "the create took more than 1 ns")
	require.EqualValues(t, 201, rs[0]["status"])
	require.Equal(t, "POST /v1/orders", rs[0]["route"])
}

// TestHTTPSeriesExistFromTheStart pins the request series a fresh server
// exposes at zero: every route with every code openapi.json lists for it,
// and nothing the API never answers.
func TestHTTPSeriesExistFromTheStart(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{live: true})
	families, err := b.registry.Gather()
	require.NoError(t, err)
	pairs := map[string]bool{}
	for _, f := range families {
		if f.GetName() != "eligo_http_requests_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			require.Zero(t, m.GetCounter().GetValue())
			pairs[labels["route"]+" "+labels["code"]] = true
		}
	}
	for _, want := range []string{
		"GET /v1/orders/{id}/eligibility 200", "GET /v1/orders/{id}/eligibility 304", "GET /v1/orders/{id}/eligibility 503",
		"POST /v1/orders/{id}/cancel 409", "POST /v1/orders/{id}/cancel 412", "POST /v1/events 200", "POST /v1/events 413",
		"GET /v1/orders/{id}/live 101", "GET /v1/orders/{id}/live 426", "GET /readyz 503", "unmatched 404", "unmatched 405",
	} {
		require.True(t, pairs[want], "%s exists at zero", want)
	}
	for _, never := range []string{"POST /v1/events 101", "POST /v1/events 304", "GET /healthz 409", "GET /v1/orders/{id}/eligibility 201"} {
		require.False(t, pairs[never], "%s is never answered, so it has no series", never)
	}
}
