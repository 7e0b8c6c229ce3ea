package live

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
	"github.com/eligo/eligo/internal/readmodel"
	"github.com/eligo/eligo/internal/testenv"
)

// Test-only request headers that stand in for authentication: the
// handler below makes a customer principal from them, or a service one.
const (
	headerCustomer = "X-Test-Customer"
	headerExpires  = "X-Test-Expires"
)

type testBundle struct {
	t   testing.TB
	hub *Hub
	rm  *readmodel.Memory
	srv *httptest.Server // nil on a pipe network
	reg *prometheus.Registry
	// url is the server's, client the HTTP client for it, dial the
	// dialer of raw connections to it.
	url    string
	client *http.Client
	dial   func(ctx context.Context, network, addr string) (net.Conn, error)
}

type setupOpts struct {
	cfg      Config
	rm       *readmodel.Memory               // shared with another bundle, for restarts
	listener func(net.Listener) net.Listener // wraps the server's listener
	wrap     func(http.Handler) http.Handler // wraps the server's handler
	// lookup replaces the read-model lookup of the order handed to
	// ServeLive, as httpapi's would be.
	lookup func(id string) (eligo.Order, bool)
	// pipe serves on an in-memory network (testenv.PipeListener) instead
	// of loopback TCP, so that the test can run in a testing/synctest
	// bubble (see inBubble); listener is then unused.
	pipe bool
}

// inBubble runs f in a testing/synctest bubble on a pipe network: the
// hub's timers, tickers and deadlines run on the bubble's fake clock,
// which jumps to the next timer as soon as every goroutine waits, so a
// test of what happens after a time asserts the exact instant and does not
// depend on the machine's speed.
func inBubble(t *testing.T, o setupOpts, f func(t *testing.T, b *testBundle)) {
	t.Helper()
	o.pipe = true
	synctest.Test(t, func(t *testing.T) { f(t, setup(t, o)) })
}

// setup starts a hub (with Run) and an HTTP server whose only route,
// /orders/{id}, looks the order up in the read model and calls ServeLive,
// answering a refusal with the status httpapi would give.
func setup(t *testing.T, o setupOpts) *testBundle {
	t.Helper()
	b := &testBundle{t: t, rm: o.rm, reg: prometheus.NewRegistry()}
	if b.rm == nil {
		b.rm = readmodel.NewMemory()
	}
	cfg := o.cfg
	cfg.ReadModel, cfg.Policy, cfg.Registerer = b.rm, eligo.DefaultPolicy(), b.reg
	hub, err := New(cfg)
	require.NoError(t, err)
	b.hub = hub
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- b.hub.Run(ctx) }()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		ord, ok, _ := b.rm.Get(r.Context(), r.PathValue("id"))
		if o.lookup != nil {
			ord, ok = o.lookup(r.PathValue("id"))
		}
		if !ok {
			http.Error(w, "no such order", http.StatusNotFound)
			return
		}
		p := auth.Principal{Service: true}
		if c := r.Header.Get(headerCustomer); c != "" {
			p = auth.Principal{CustomerID: c}
			p.ExpiresAt, _ = time.Parse(time.RFC3339Nano, r.Header.Get(headerExpires))
		}
		if err := b.hub.ServeLive(w, r, ord, p); err != nil {
			http.Error(w, eligo.ErrorMessage(err), statusOf(err))
		}
	})
	var h http.Handler = mux
	if o.wrap != nil {
		h = o.wrap(h)
	}
	closeServer := func() {}
	if o.pipe {
		pl := testenv.NewPipeListener()
		server := &http.Server{Handler: h}
		served := make(chan error, 1)
		go func() { served <- server.Serve(pl) }()
		b.url, b.client, b.dial = "http://"+testenv.PipeAddr, pl.Client(), pl.Dial
		closeServer = func() {
			require.NoError(t, server.Close())
			require.ErrorIs(t, <-served, http.ErrServerClosed)
			b.client.CloseIdleConnections()
		}
	} else {
		b.srv = httptest.NewUnstartedServer(h)
		if o.listener != nil {
			b.srv.Listener = o.listener(b.srv.Listener)
		}
		b.srv.Start()
		b.url, b.client, b.dial = b.srv.URL, http.DefaultClient, (&net.Dialer{}).DialContext
		closeServer = b.srv.Close
	}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		require.NoError(t, b.hub.Shutdown(sctx))
		cancel()
		require.NoError(t, <-ran)
		closeServer()
	})
	return b
}

func statusOf(err error) int {
	switch eligo.ErrorCode(err) {
	case eligo.EINVALID:
		return http.StatusBadRequest
	case eligo.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case eligo.ETOOMANY:
		return http.StatusTooManyRequests
	case eligo.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case eligo.EUPGRADE:
		return http.StatusUpgradeRequired
	}
	return http.StatusInternalServerError
}

// order stores version 1 of an order placed ten minutes before promisedAt.
func (b *testBundle) order(t *testing.T, id, customer string, promisedAt time.Time) eligo.Order {
	t.Helper()
	placed := promisedAt.Add(-10 * time.Minute)
	o, err := eligo.NewOrder(&eligo.NewOrderParams{ID: id, CustomerID: customer, PlacedAt: placed, PromisedAt: promisedAt}, placed)
	require.NoError(t, err)
	_, err = b.rm.Put(context.Background(), o)
	require.NoError(t, err)
	return o
}

// commit does what the engine does after a commit: the read model first,
// then the listener.
func (b *testBundle) commit(t *testing.T, o eligo.Order) {
	t.Helper()
	_, err := b.rm.Put(context.Background(), o)
	require.NoError(t, err)
	b.hub.OrderChanged(context.Background(), o)
}

// arrive moves o to the driver at the doorstep, as a new version.
func arrive(o eligo.Order) eligo.Order {
	o.DriverStatus = eligo.DriverArrivedAtDoorstep
	o.Version++
	return o
}

// conns returns the hub's slot count.
func (b *testBundle) conns() int {
	return b.hub.openConns()
}

// kept returns how many watches and armed deadlines the hub holds, over
// all its shards.
func (b *testBundle) kept() (watches, timers int) {
	for i := range b.hub.shards {
		sh := &b.hub.shards[i]
		sh.mu.Lock()
		watches += len(sh.watches)
		timers += len(sh.timers)
		sh.mu.Unlock()
	}
	return watches, timers
}

// waitConns waits until the hub holds n streams.
func (b *testBundle) waitConns(t *testing.T, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return b.conns() == n }, 5*time.Second, 5*time.Millisecond, "want %d streams", n)
}

// metric reads a metric of the hub's registry (0 when absent).
func (b *testBundle) metric(name string, labels ...string) float64 {
	b.t.Helper()
	return testenv.MetricValue(b.t, b.reg, name, labels...)
}

func (b *testBundle) closedBy(reason string) float64 {
	b.t.Helper()
	return b.metric("eligo_live_closed_total", "reason", reason)
}

// doc is the eligibility document as a client decodes it.
type doc struct {
	OrderID       string    `json:"order_id"`
	Version       int64     `json:"version"`
	PolicyVersion string    `json:"policy_version"`
	AsOf          time.Time `json:"as_of"`
	Actions       map[string]struct {
		Allowed bool       `json:"allowed"`
		Reason  string     `json:"reason"`
		Until   *time.Time `json:"until"`
	} `json:"actions"`
}

func decodeDoc(t *testing.T, data []byte) doc {
	t.Helper()
	var d doc
	require.NoError(t, json.Unmarshal(data, &d), "document %s", data)
	return d
}

func wsURL(b *testBundle, id string) string {
	return "ws" + strings.TrimPrefix(b.url, "http") + "/orders/" + id
}

// dialWS opens a WebSocket as a service, or as customer when not "".
func dialWS(t *testing.T, b *testBundle, id string, h http.Header) *websocket.Conn {
	t.Helper()
	c, resp, err := websocket.Dial(context.Background(), wsURL(b, id), &websocket.DialOptions{HTTPHeader: h, HTTPClient: b.client})
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

func readWS(t *testing.T, c *websocket.Conn) doc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	typ, data, err := c.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, websocket.MessageText, typ)
	return decodeDoc(t, data)
}

func customer(id string, expires time.Time) http.Header {
	h := http.Header{headerCustomer: {id}}
	if !expires.IsZero() {
		h.Set(headerExpires, expires.Format(time.RFC3339Nano))
	}
	return h
}

// sseStream is a client of the event stream.
type sseStream struct {
	resp *http.Response
	r    *bufio.Reader
}

// sseEvent is one event, or one comment.
type sseEvent struct {
	name    string
	data    string
	comment string
}

func dialSSE(t *testing.T, b *testBundle, id string, h http.Header) *sseStream {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.url+"/orders/"+id, nil)
	require.NoError(t, err)
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := b.client.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { _ = resp.Body.Close() })
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	return &sseStream{resp: resp, r: bufio.NewReader(resp.Body)}
}

// next reads one event or comment; err is io.EOF at the end of the stream.
func (s *sseStream) next() (sseEvent, error) {
	var ev sseEvent
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return ev, err
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			return ev, nil
		case strings.HasPrefix(line, ":"):
			ev.comment = strings.TrimSpace(line[1:])
		case strings.HasPrefix(line, "event: "):
			ev.name = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			ev.data = line[len("data: "):]
		}
	}
}

// nextDoc reads events until a document, skipping heartbeats.
func (s *sseStream) nextDoc(t *testing.T) doc {
	t.Helper()
	for {
		ev, err := s.next()
		require.NoError(t, err)
		if ev.comment == "" {
			require.Empty(t, ev.name, "event %+v", ev)
			return decodeDoc(t, []byte(ev.data))
		}
	}
}
