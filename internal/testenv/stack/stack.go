// Package stack wires the whole server for tests and benchmarks: a store,
// the engine over a read model, the live hub as the engine's listener, the
// authenticator and the HTTP API, served by an httptest server, as
// `eligo serve` wires them. It also opens a store of a given kind (the
// switch between SQLite and PostgreSQL that store-agnostic tests run
// over).
//
// It is imported only by tests; it is a package of its own, apart from
// internal/testenv, because it imports the packages whose tests use
// testenv.
package stack

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
	"github.com/eligo/eligo/internal/engine"
	"github.com/eligo/eligo/internal/httpapi"
	"github.com/eligo/eligo/internal/live"
	"github.com/eligo/eligo/internal/postgres"
	"github.com/eligo/eligo/internal/readmodel"
	"github.com/eligo/eligo/internal/sqlite"
	"github.com/eligo/eligo/internal/testenv"
)

// ServiceToken is the service token the stack accepts unless
// Config.ServiceTokens names others.
const ServiceToken = "svc"

// Config says what differs from the default stack: a fresh SQLite store,
// the in-process read model, the live hub on /v1/orders/{id}/live.
type Config struct {
	Store          eligo.OrderStore // nil: a fresh SQLite store, closed at the end
	ReadModel      eligo.ReadModel  // nil: readmodel.NewMemory()
	ServiceTokens  []string         // nil: ServiceToken
	CustomerSecret []byte           // nil: a fixed test secret
	NoLive         bool             // no live hub: the live route is absent
	CORSOrigins    []string         // httpapi.Deps.CORSOrigins; nil: CORS off
	// Wrap, when set, wraps the API's handler before it is served (the
	// demo page, test instrumentation); it may use the stack's fields.
	Wrap func(s *Stack, api http.Handler) http.Handler
}

// DefaultCustomerSecret is the customer-token secret when Config has none.
var DefaultCustomerSecret = []byte("customer-secret-for-tests-0123456789abcdef")

// Stack is a running server and its parts.
type Stack struct {
	URL       string // the httptest server's, without a trailing slash
	Server    *httptest.Server
	Store     eligo.OrderStore
	ReadModel eligo.ReadModel
	Engine    *engine.Engine
	Hub       *live.Hub // nil with NoLive
	Auth      *auth.Authenticator
	Secret    []byte // the customer-token secret
}

// New starts a stack; it is shut down (hub first, then the server, then a
// store it opened) when the test ends.
func New(t testing.TB, cfg Config) *Stack {
	t.Helper()
	s := &Stack{Store: cfg.Store, ReadModel: cfg.ReadModel, Secret: cfg.CustomerSecret}
	if s.Store == nil {
		s.Store = OpenStore(t, SQLite)
	}
	if s.ReadModel == nil {
		s.ReadModel = readmodel.NewMemory()
	}
	if s.Secret == nil {
		s.Secret = DefaultCustomerSecret
	}
	tokens := cfg.ServiceTokens
	if tokens == nil {
		tokens = []string{ServiceToken}
	}
	policy := eligo.DefaultPolicy()
	var listeners []engine.Listener
	var err error
	if !cfg.NoLive {
		if s.Hub, err = live.New(live.Config{ReadModel: s.ReadModel, Policy: policy}); err != nil {
			t.Fatalf("live hub: %v", err)
		}
		listeners = append(listeners, s.Hub)
	}
	s.Engine, err = engine.New(engine.Config{Store: s.Store, ReadModel: s.ReadModel,
		Policy: policy, Listeners: listeners})
	if err != nil {
		t.Fatalf("engine: %v", err)
	}
	s.Auth, err = auth.New(auth.Config{ServiceTokens: tokens, CustomerSecret: s.Secret})
	if err != nil {
		t.Fatalf("auth: %v", err)
	}
	deps := httpapi.Deps{Engine: s.Engine, Auth: s.Auth, CORSOrigins: cfg.CORSOrigins}
	if s.Hub != nil {
		deps.Live = s.Hub
	}
	h, err := httpapi.NewServer(deps)
	if err != nil {
		t.Fatalf("httpapi: %v", err)
	}
	if cfg.Wrap != nil {
		h = cfg.Wrap(s, h)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	if s.Hub != nil {
		go func() { ran <- s.Hub.Run(ctx) }()
	} else {
		ran <- nil
	}
	s.Server = httptest.NewServer(h)
	s.URL = s.Server.URL
	t.Cleanup(func() {
		if s.Hub != nil {
			shutdown, done := context.WithTimeout(context.Background(), 5*time.Second)
			defer done()
			if err := s.Hub.Shutdown(shutdown); err != nil {
				t.Errorf("live hub shutdown: %v", err)
			}
		}
		s.Server.Close()
		cancel()
		if err := <-ran; err != nil {
			t.Errorf("live hub: %v", err)
		}
	})
	return s
}

// Kind names a store implementation.
type Kind string

// The stores.
const (
	SQLite   Kind = "sqlite"
	Postgres Kind = "postgres"
)

// Kinds lists every store, for tests that run over each (t.Run(string(k), ...)).
var Kinds = []Kind{SQLite, Postgres}

// OpenStore opens a fresh, migrated store of the kind, closed when the test
// ends: SQLite in a file of t.TempDir(); PostgreSQL in a schema of its own
// on the test server (testenv.PostgresSchemaURL: the test is skipped
// without one, except under CI).
func OpenStore(t testing.TB, kind Kind) eligo.OrderStore {
	t.Helper()
	ctx := context.Background()
	switch kind {
	case SQLite:
		s, err := sqlite.Open(ctx, &sqlite.Config{Path: filepath.Join(t.TempDir(), "eligo.db")})
		if err != nil {
			t.Fatalf("open the SQLite store: %v", err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("close the SQLite store: %v", err)
			}
		})
		return s
	case Postgres:
		connURL := testenv.PostgresSchemaURL(t)
		s, err := postgres.Open(ctx, &postgres.Config{URL: connURL, MaxConns: 4})
		if err != nil {
			t.Fatalf("open the PostgreSQL store: %v", err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("close the PostgreSQL store: %v", err)
			}
		})
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatalf("migrate the PostgreSQL store: %v", err)
		}
		return s
	}
	t.Fatalf("stack.OpenStore: no store kind %q (want one of %q)", kind, Kinds)
	return nil
}
