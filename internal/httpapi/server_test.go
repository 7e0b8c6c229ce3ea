package httpapi_test

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
	"github.com/eligo/eligo/internal/testenv"
)

func TestVersions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createOrder(t, "ord-1", "cust-9", t0.Add(10*time.Minute))
	b.clock.Advance(time.Minute)
	results(t, b.post(t, "/v1/events", event("e-1", "ord-1", "ASSIGNED")))

	resp := b.get(t, "/v1/orders/ord-1/versions")
	require.Equal(t, http.StatusOK, resp.StatusCode, "body: %s", resp.body)
	versions := resp.json(t)["versions"].([]any)
	require.Len(t, versions, 2)
	create := versions[0].(map[string]any)
	update := versions[1].(map[string]any)
	require.Equal(t, "create", create["event"])
	require.Equal(t, "service", create["whodunnit"])
	require.NotContains(t, create, "event_id", "omitted when no event caused it")
	require.Equal(t, float64(1), create["order_version"])
	require.Equal(t, []any{nil, "cust-9"}, create["object_changes"].(map[string]any)["customer_id"])

	require.Equal(t, "update", update["event"])
	require.Equal(t, "e-1", update["event_id"])
	require.Equal(t, float64(2), update["order_version"])
	require.Equal(t, "Order", update["item_type"])
	require.Equal(t, "ord-1", update["item_id"])
	require.Equal(t, "test-host", update["host"])
	require.Equal(t, "test-build", update["build"])
	require.Equal(t, "2025-03-14T12:01:00Z", update["created_at"])
	require.Equal(t, []any{nil, "ASSIGNED"}, update["object_changes"].(map[string]any)["driver_status"])

	id := int64(update["id"].(float64))
	one := b.get(t, "/v1/versions/"+strconv.FormatInt(id, 10))
	require.Equal(t, http.StatusOK, one.StatusCode)
	require.Equal(t, update, one.json(t))

	requireProblem(t, b.get(t, "/v1/versions/abc"), http.StatusBadRequest)
	requireProblem(t, b.get(t, "/v1/versions/0"), http.StatusBadRequest)
	// A version the retention job deleted is missing like one that never
	// existed, and the detail says it may be past retention.
	p := requireProblem(t, b.get(t, "/v1/versions/999999"), http.StatusNotFound)
	require.Contains(t, p["detail"], "past retention")
	requireProblem(t, b.get(t, "/v1/orders/nope/versions"), http.StatusNotFound)
}

func TestMissesAreProblems(t *testing.T) {
	t.Parallel()
	b := setup(t)

	p := requireProblem(t, b.get(t, "/v2/nothing"), http.StatusNotFound)
	require.Equal(t, "/v2/nothing", p["instance"])

	resp := b.do(t, req{method: http.MethodDelete, path: "/v1/orders/ord-1", token: serviceToken})
	p = requireProblem(t, resp, http.StatusMethodNotAllowed)
	require.Equal(t, "GET, HEAD", resp.Header.Get("Allow"))
	require.Equal(t, "https://eligo.dev/problems/method-not-allowed", p["type"])

	resp = b.do(t, req{method: http.MethodGet, path: "/v1/orders/ord-1/cancel", token: serviceToken})
	requireProblem(t, resp, http.StatusMethodNotAllowed)
	require.Equal(t, "POST", resp.Header.Get("Allow"))

	// The live route is absent without a Streamer.
	requireProblem(t, b.get(t, "/v1/orders/ord-1/live"), http.StatusNotFound)
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	var ready atomic.Bool
	b := setup(t, setupOpts{ready: ready.Load})

	resp := b.do(t, req{method: http.MethodGet, path: "/healthz"})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	requireProblem(t, b.do(t, req{method: http.MethodGet, path: "/readyz"}), http.StatusServiceUnavailable)
	ready.Store(true)
	require.Equal(t, http.StatusOK, b.do(t, req{method: http.MethodGet, path: "/readyz"}).StatusCode)
}

// A degraded dependency (Redis away) is said in /readyz's body, which stays
// 200: the store answers meanwhile.
func TestReadinessDegraded(t *testing.T) {
	t.Parallel()
	var degraded atomic.Value
	degraded.Store("")
	b := setup(t, setupOpts{degraded: func() string { return degraded.Load().(string) }})
	body := func() string {
		resp := b.do(t, req{method: http.MethodGet, path: "/readyz"})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		return string(resp.body)
	}
	require.JSONEq(t, `{"status":"ok"}`, body())
	degraded.Store("redis unavailable")
	require.JSONEq(t, `{"status":"degraded","degraded":"redis unavailable"}`, body())
}

func TestMetricsByRoutePattern(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createOrder(t, "ord-1", "cust-9", t0.Add(10*time.Minute))
	b.get(t, "/v1/orders/ord-1/eligibility")
	b.get(t, "/v1/orders/ord-2/eligibility")
	b.get(t, "/v1/orders/ord-1/eligibility")
	b.get(t, "/nowhere/1")
	b.get(t, "/nowhere/2")

	route := "GET /v1/orders/{id}/eligibility"
	require.Equal(t, 2.0, requests(t, b, route, "200"))
	require.Equal(t, 1.0, requests(t, b, route, "404"))
	require.Equal(t, 2.0, requests(t, b, "unmatched", "404"))

	resp := b.do(t, req{method: http.MethodGet, path: "/metrics"})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(resp.body), `eligo_http_request_duration_seconds_count{route="GET /v1/orders/{id}/eligibility"} 3`)
	require.NotContains(t, string(resp.body), "ord-1", "raw paths never become labels")
}

// requests reads eligo_http_requests_total{route, code} from the registry.
func requests(t *testing.T, b *testBundle, route, code string) float64 {
	t.Helper()
	return testenv.MetricValue(t, b.registry, "eligo_http_requests_total", "route", route, "code", code)
}

func TestInternalErrorsAreLoggedNotLeaked(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createOrder(t, "ord-1", "cust-9", t0.Add(10*time.Minute))
	secret := errors.New("disk I/O error at /var/lib/eligo/eligo.db")
	b.store.fail.Store(&secret)

	resp := b.post(t, "/v1/events", event("e-1", "ord-1", "ASSIGNED"))
	p := requireProblem(t, resp, http.StatusInternalServerError)
	require.Equal(t, "internal error", p["detail"])
	require.NotContains(t, string(resp.body), "/var/lib")
	require.Contains(t, b.logs.String(), "disk I/O error", "the real error is logged")
}

func TestPanicsAreRecovered(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{live: true})
	b.createOrder(t, "panic", "cust-9", t0.Add(10*time.Minute))

	resp := b.get(t, "/v1/orders/panic/live")
	p := requireProblem(t, resp, http.StatusInternalServerError)
	require.NotContains(t, p["detail"], "boom")
	require.Contains(t, b.logs.String(), "boom at /secret/path")
	require.Equal(t, 1.0, requests(t, b, "GET /v1/orders/{id}/live", "500"))

	// The server still serves.
	require.Equal(t, http.StatusOK, b.get(t, "/v1/orders/panic").StatusCode)
}

func TestLiveRefusalIsProblem(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{live: true})
	b.createOrder(t, "full", "cust-9", t0.Add(10*time.Minute))
	p := requireProblem(t, b.get(t, "/v1/orders/full/live"), http.StatusTooManyRequests)
	require.Equal(t, "this customer has too many open streams; close one", p["detail"])
}

func TestDebugLogsRequestsWithoutQuery(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{logLevel: slog.LevelDebug})
	b.createOrder(t, "ord-1", "cust-9", t0.Add(10*time.Minute))
	tok := b.customerToken(t, "cust-9")
	require.Equal(t, http.StatusOK, b.do(t, req{method: http.MethodGet, path: "/v1/orders/ord-1/eligibility?access_token=" + tok}).StatusCode)

	logs := b.logs.String()
	require.Contains(t, logs, `route="GET /v1/orders/{id}/eligibility"`)
	require.Contains(t, logs, "status=200")
	require.NotContains(t, logs, tok, "tokens in the query never reach the logs")
}

func TestInfoLevelDoesNotLogRequests(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{logLevel: slog.LevelInfo})
	b.createOrder(t, "ord-1", "cust-9", t0.Add(10*time.Minute))
	b.get(t, "/v1/orders/ord-1/eligibility")
	require.Empty(t, b.logs.String())
}

// upgrader is a Streamer that takes the connection over, as a WebSocket
// library does, through the server's middleware.
type upgrader struct{}

func (upgrader) ServeLive(w http.ResponseWriter, r *http.Request, o eligo.Order, _ auth.Principal) error {
	if r.URL.Query().Get("mode") == "sse" {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: "+o.ID+"\n\n")
		return http.NewResponseController(w).Flush()
	}
	conn, brw, err := w.(http.Hijacker).Hijack()
	if r.URL.Query().Get("mode") == "sse-hijack" { // as internal/live's SSE does
		if err != nil {
			return err
		}
		go func() {
			defer conn.Close()
			_, _ = brw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\ndata: " + o.ID + "\n\n")
			_ = brw.Flush()
		}()
		return nil
	}
	if err != nil {
		return err
	}
	// The stream outlives the handler, as internal/live's does.
	go func() {
		defer conn.Close()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n" + o.ID)
		_ = brw.Flush()
	}()
	return nil
}

func TestLiveStreamsThroughMiddleware(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{streamer: upgrader{}})
	b.createOrder(t, "ord-1", "cust-9", t0.Add(10*time.Minute))
	tok := b.customerToken(t, "cust-9")

	sse := b.do(t, req{method: http.MethodGet, path: "/v1/orders/ord-1/live?mode=sse&access_token=" + tok})
	require.Equal(t, http.StatusOK, sse.StatusCode)
	require.Equal(t, "data: ord-1\n\n", string(sse.body))

	conn, err := net.Dial("tcp", strings.TrimPrefix(b.srv.URL, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "GET /v1/orders/ord-1/live?access_token="+tok+" HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n")
	require.NoError(t, err)
	got, err := io.ReadAll(conn)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(got), "HTTP/1.1 101 Switching Protocols\r\n"), "got %q", got)
	require.True(t, strings.HasSuffix(string(got), "ord-1"))
	require.Eventually(t, func() bool { return requests(t, b, "GET /v1/orders/{id}/live", "101") == 1 }, time.Second, 10*time.Millisecond)

	// An SSE stream that takes its connection over is a 200, not a 101.
	hijacked := b.do(t, req{method: http.MethodGet, path: "/v1/orders/ord-1/live?mode=sse-hijack&access_token=" + tok})
	require.Equal(t, http.StatusOK, hijacked.StatusCode)
	require.Equal(t, "data: ord-1\n\n", string(hijacked.body))
	require.Eventually(t, func() bool { return requests(t, b, "GET /v1/orders/{id}/live", "200") == 2 }, time.Second, 10*time.Millisecond)
	require.Equal(t, 1.0, requests(t, b, "GET /v1/orders/{id}/live", "101"))
}
