// Package httpapi is eligo's HTTP API (v1): NewServer returns the handler,
// routes.go lists every route with its access rule (River UI and the demo
// page, which other packages implement, included), and each handler lives
// beside its request and response types. Errors are answered as RFC 9457 problem+json; the one
// mapping from eligo error codes to HTTP statuses is statusOf in problem.go.
//
// The eligibility read is the hot path: it is served from the read model,
// encoded by hand into a pooled buffer, and carries an ETag and a
// Cache-Control max-age that never reaches past the next boundary (until).
package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
	"github.com/eligo/eligo/internal/engine"
)

// DefaultMaxAge caps Cache-Control max-age when Deps.MaxAge is zero.
const DefaultMaxAge = 5 * time.Second

// Deps are the server's dependencies, all given before it is built.
type Deps struct {
	Engine *engine.Engine
	Auth   *auth.Authenticator
	// Logger gets internal errors and panics at error level, failed and
	// slow requests at info and every other request at debug level (see
	// observe). Nil discards.
	Logger *slog.Logger
	// SlowRequest is how long a request may take before its log line is
	// at info; zero means DefaultSlowRequest.
	SlowRequest time.Duration
	// Registerer gets the HTTP metrics; nil keeps them unregistered. A
	// second server on the same Registerer shares the first one's.
	Registerer prometheus.Registerer
	// Gatherer is served at /metrics; nil: /metrics is not routed.
	Gatherer prometheus.Gatherer
	// NoMetricsRoute keeps /metrics off this handler, for a Gatherer
	// served on a listener of its own (eligo serve --metrics-addr).
	NoMetricsRoute bool
	// Ready reports whether the server may take traffic (/readyz). Nil
	// means always ready. /healthz is liveness and always answers 200.
	Ready func() bool
	// Degraded, when set, returns "" while every dependency answers, and
	// otherwise what does not (Redis away: reads go to the store); /readyz
	// then says so in its body and stays ready.
	Degraded func() string
	// Live serves GET /v1/orders/{id}/live. When nil the route is absent.
	Live Streamer
	// MaxAge caps Cache-Control max-age on eligibility; zero means
	// DefaultMaxAge.
	MaxAge time.Duration
	// BodyTimeout bounds the reading of a request body, from when its
	// headers were read; zero means DefaultBodyTimeout.
	BodyTimeout time.Duration
	// RiverUI is served under /riverui/ to service tokens only (River UI
	// can cancel, retry and delete jobs). Nil: not routed.
	RiverUI http.Handler
	// DemoPage is served at /demo and under /demo/ to anyone, without
	// credentials: it hands customer tokens to whoever asks, so it is set
	// only by `eligo demo` and `eligo serve --demo-page`. Nil: not routed.
	DemoPage http.Handler
	// CORSOrigins are the origins of browser apps allowed to call the
	// customer routes (eligibility, live, cancel) from another origin,
	// each as ParseCORSOrigins reads it. Empty: CORS is off, no CORS
	// header is sent and OPTIONS is not routed.
	CORSOrigins []string
}

// Streamer serves a live stream of an order's eligibility (WebSocket or
// SSE); internal/live's Hub implements it. The server has already
// authenticated p, checked that p may watch o, and written nothing to w.
//
// ServeLive may refuse before writing anything by returning an error (an
// *eligo.Error such as EINVALID, ETOOMANY or EUNAVAILABLE), which the server
// answers as problem+json. Once it has written or taken over the
// connection it returns nil.
type Streamer interface {
	ServeLive(w http.ResponseWriter, r *http.Request, o eligo.Order, p auth.Principal) error
}

// NewServer returns the HTTP handler of the API. Deps.Engine and Deps.Auth
// are required; it fails without them, on a CORS origin that is not one,
// or when the metrics cannot be registered.
func NewServer(deps Deps) (http.Handler, error) {
	if deps.Engine == nil || deps.Auth == nil {
		return nil, errors.New("httpapi: NewServer needs Deps.Engine and Deps.Auth")
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.MaxAge <= 0 {
		deps.MaxAge = DefaultMaxAge
	}
	if deps.SlowRequest <= 0 {
		deps.SlowRequest = DefaultSlowRequest
	}
	if deps.BodyTimeout <= 0 {
		deps.BodyTimeout = DefaultBodyTimeout
	}
	cors, err := newCORS(deps.CORSOrigins)
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(deps.Registerer)
	if err != nil {
		return nil, err
	}
	return routes(deps, cors, m)
}
