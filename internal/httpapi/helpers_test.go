package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
	"github.com/eligo/eligo/internal/engine"
	"github.com/eligo/eligo/internal/httpapi"
	"github.com/eligo/eligo/internal/readmodel"
	"github.com/eligo/eligo/internal/sqlite"
	"github.com/eligo/eligo/internal/testenv"
)

// t0 is the instant every test starts at.
var t0 = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

const (
	serviceToken = "svc-token-for-tests-0123456789"
	otherService = "another-service-token"
)

var customerSecret = []byte("customer-secret-for-tests-0123456789abcdef")

// countingStore counts the writes that reach the store, and fails them
// when told to.
type countingStore struct {
	eligo.OrderStore
	updates  atomic.Int64
	fail     atomic.Pointer[error]
	pingFail atomic.Pointer[error] // Ping's answer, when set
	// beforeUpdate, when set, runs once before the next UpdateOrders, with
	// the store underneath: a change that lands between a handler's read
	// and the store's lock.
	beforeUpdate atomic.Pointer[func(eligo.OrderStore)]
}

func (s *countingStore) Ping(ctx context.Context) error {
	if err := s.pingFail.Load(); err != nil {
		return *err
	}
	return s.OrderStore.Ping(ctx)
}

func (s *countingStore) UpdateOrders(ctx context.Context, u []eligo.Update) ([]eligo.UpdateResult, error) {
	s.updates.Add(1)
	if f := s.beforeUpdate.Swap(nil); f != nil {
		(*f)(s.OrderStore)
	}
	if err := s.fail.Load(); err != nil {
		return nil, *err
	}
	return s.OrderStore.UpdateOrders(ctx, u)
}

// testBundle is what a test drives: the handler over a real engine, a real
// SQLite store and the in-process read model, all on one fake clock.
type testBundle struct {
	clock    *testenv.Clock // shared by the engine, the store, the read model and the authenticator
	engine   *engine.Engine
	model    *readmodel.Memory // the hot set, with the default grace
	store    *countingStore
	handler  http.Handler
	srv      *httptest.Server
	live     *fakeLive
	registry *prometheus.Registry
	logs     *testenv.SyncBuffer
}

type setupOpts struct {
	live        bool
	streamer    httpapi.Streamer // replaces the fakeLive
	maxAge      time.Duration
	ready       func() bool
	bodyTimeout time.Duration
	degraded    func() string
	riverUI     http.Handler // served under /riverui/
	logLevel    slog.Level
	slowRequest time.Duration
	jsonLogs    bool // the log is JSON lines rather than text
	corsOrigins []string
	traced      bool          // the handler is wrapped in httpapi.TraceHandler
	policy      *eligo.Policy // nil: the built-in policy
}

func setup(t testing.TB, opts ...setupOpts) *testBundle {
	t.Helper()
	var o setupOpts
	if len(opts) > 0 {
		o = opts[0]
	}
	clock := testenv.NewClock(t0)
	ctx := context.Background()
	st, err := sqlite.Open(ctx, &sqlite.Config{Path: filepath.Join(t.TempDir(), "eligo.db"), Now: clock.Now, Host: "test-host", Build: "test-build"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	store := &countingStore{OrderStore: st}
	model, err := readmodel.NewHotSet(&readmodel.HotSetConfig{Now: clock.Now})
	require.NoError(t, err)
	policy := o.policy
	if policy == nil {
		policy = eligo.DefaultPolicy()
	}
	eng, err := engine.New(engine.Config{Store: store, ReadModel: model, Policy: policy, Now: clock.Now})
	require.NoError(t, err)
	a, err := auth.New(auth.Config{ServiceTokens: []string{serviceToken, otherService}, CustomerSecret: customerSecret, Now: clock.Now})
	require.NoError(t, err)
	b := &testBundle{clock: clock, engine: eng, model: model, store: store, registry: prometheus.NewRegistry(), logs: &testenv.SyncBuffer{}}
	var logHandler slog.Handler = slog.NewTextHandler(b.logs, &slog.HandlerOptions{Level: o.logLevel})
	if o.jsonLogs {
		logHandler = slog.NewJSONHandler(b.logs, &slog.HandlerOptions{Level: o.logLevel})
	}
	deps := httpapi.Deps{Engine: eng, Auth: a, Registerer: b.registry, Gatherer: b.registry, MaxAge: o.maxAge, Ready: o.ready, BodyTimeout: o.bodyTimeout, Degraded: o.degraded, RiverUI: o.riverUI, CORSOrigins: o.corsOrigins,
		Logger: slog.New(logHandler), SlowRequest: o.slowRequest}
	if o.live {
		b.live = &fakeLive{}
		deps.Live = b.live
	}
	if o.streamer != nil {
		deps.Live = o.streamer
	}
	b.handler, err = httpapi.NewServer(deps)
	require.NoError(t, err)
	if o.traced {
		b.handler = httpapi.TraceHandler(b.handler)
	}
	b.srv = httptest.NewServer(validateResponses(t, b.handler)) // every answer checked against openapi.json
	t.Cleanup(b.srv.Close)
	return b
}

// fakeLive records the watchers it was handed. It panics for an order
// named "panic", refuses one named "full" with ETOOMANY and one named
// "expiring" with EUNAUTHORIZED, as the hub refuses a token that expired.
type fakeLive struct {
	mu     sync.Mutex
	served []string
}

func (l *fakeLive) ServeLive(w http.ResponseWriter, _ *http.Request, o eligo.Order, p auth.Principal) error {
	switch o.ID {
	case "panic":
		panic("live: boom at /secret/path")
	case "full":
		return eligo.Errorf(eligo.ETOOMANY, "this customer has too many open streams; close one")
	case "expiring":
		return eligo.Errorf(eligo.EUNAUTHORIZED, "the access token has expired; get a new one")
	}
	l.mu.Lock()
	l.served = append(l.served, o.ID+"/"+p.CustomerID)
	l.mu.Unlock()
	w.Header().Set("Content-Type", "text/event-stream")
	_, _ = io.WriteString(w, "data: hello\n\n")
	return nil
}

// customerToken mints a token for a customer, valid for an hour of the
// fake clock.
func (b *testBundle) customerToken(t testing.TB, customerID string) string {
	t.Helper()
	tok, err := auth.MintCustomerToken(customerSecret, customerID, time.Hour, b.clock.Now())
	require.NoError(t, err)
	return tok
}

// response is an answered request with its body read.
type response struct {
	*http.Response
	body []byte
}

// json decodes the body into a generic map.
func (r *response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.body, &m), "body: %s", r.body)
	return m
}

// req is one request to send: token "" sends none.
type req struct {
	method, path, body, token string
	header                    map[string]string
}

func (b *testBundle) do(t testing.TB, rq req) *response {
	t.Helper()
	resp, err := b.send(rq)
	require.NoError(t, err)
	return resp
}

// send is do for goroutines other than the test's: it reports errors
// instead of failing the test.
func (b *testBundle) send(rq req) (*response, error) {
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	hr, err := http.NewRequest(rq.method, b.srv.URL+rq.path, body)
	if err != nil {
		return nil, err
	}
	if rq.token != "" {
		hr.Header.Set("Authorization", "Bearer "+rq.token)
	}
	if rq.body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	for k, v := range rq.header {
		hr.Header.Set(k, v)
	}
	resp, err := b.srv.Client().Do(hr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &response{Response: resp, body: data}, nil
}

// get, post: the common cases with the service token.
func (b *testBundle) get(t testing.TB, path string) *response {
	t.Helper()
	return b.do(t, req{method: http.MethodGet, path: path, token: serviceToken})
}

func (b *testBundle) post(t testing.TB, path, body string) *response {
	t.Helper()
	return b.do(t, req{method: http.MethodPost, path: path, body: body, token: serviceToken})
}

// createOrder creates an order for customer promised at promised, and
// requires 201.
func (b *testBundle) createOrder(t testing.TB, id, customer string, promised time.Time) map[string]any {
	t.Helper()
	resp := b.post(t, "/v1/orders", `{"id":"`+id+`","customer_id":"`+customer+`","promised_at":"`+promised.Format(time.RFC3339Nano)+`"}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode, "body: %s", resp.body)
	return resp.json(t)
}

// event is the JSON of one driver status event.
func event(id, order, status string) string {
	return `{"event_id":"` + id + `","order_id":"` + order + `","type":"driver_status","status":"` + status + `"}`
}

// requireProblem checks a problem+json answer and returns its members.
func requireProblem(t testing.TB, resp *response, status int) map[string]any {
	t.Helper()
	require.Equal(t, status, resp.StatusCode, "body: %s", resp.body)
	require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
	p := resp.json(t)
	require.Equal(t, float64(status), p["status"])
	require.NotEmpty(t, p["type"])
	require.NotEmpty(t, p["title"])
	require.NotEmpty(t, p["detail"])
	return p
}
