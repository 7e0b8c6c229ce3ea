package webdemo

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
)

// Prefix is the path the demo page is served under.
const Prefix = "/demo/"

// DefaultTokenTTL is the lifetime of the customer tokens the page is given
// when Config.TokenTTL is zero. The page asks for a new one when a token
// expires.
const DefaultTokenTTL = 15 * time.Minute

//go:embed static
var static embed.FS

// Orders is where the demo lists and finds orders; every eligo.OrderStore
// is one.
type Orders interface {
	FindOrder(ctx context.Context, id string) (eligo.Order, error)
	ListOrders(ctx context.Context, p *eligo.ListOrdersParams) ([]eligo.Order, error)
}

// Decider is what the order list decides with: the policy and the clock
// the API answers with, so the list says what GET eligibility says.
// *engine.Engine is one.
type Decider interface {
	Policy() *eligo.Policy
	Now() time.Time
}

// defaultDecider is the built-in policy at Config.Now, for a Config
// without a Decider.
type defaultDecider struct {
	policy *eligo.Policy
	now    func() time.Time
}

func (d defaultDecider) Policy() *eligo.Policy { return d.policy }
func (d defaultDecider) Now() time.Time        { return d.now() }

// Config holds the demo page's dependencies. Orders and CustomerSecret are
// required.
type Config struct {
	Orders Orders
	// Decider decides the answer shown for each listed order: the
	// server's engine. Nil means the built-in policy at Now, which is
	// right only for a server that runs the built-in policy.
	Decider Decider
	// CustomerSecret signs the customer tokens handed to the page (the
	// server's ELIGO_CUSTOMER_TOKEN_SECRET).
	CustomerSecret []byte
	// TokenTTL is the lifetime of those tokens; zero means DefaultTokenTTL.
	TokenTTL time.Duration
	// Now is the clock tokens are minted at; nil means time.Now.
	Now func() time.Time
	// Logger gets internal errors. Nil discards.
	Logger *slog.Logger
	// Policies applies the policy changes the page offers (PolicyChanges,
	// such as AmsterdamChanges), one button each: the server's engine.
	// Nil, or no changes, offers none.
	Policies      PolicyApplier
	PolicyChanges []PolicyChange
}

// New returns the handler of the demo page: the embedded files under
// /demo/, the order list with its tokens under /demo/api/orders, and the
// policy changes on offer under /demo/api/policy. It hands out customer
// tokens, and applies those changes, for anyone; see the package
// documentation.
//
// It fails when Orders is nil or CustomerSecret is too short to sign with.
func New(cfg Config) (http.Handler, error) {
	if cfg.Orders == nil || len(cfg.CustomerSecret) < auth.MinSecretLen {
		return nil, fmt.Errorf("webdemo: New needs Config.Orders and a CustomerSecret of %d bytes or more", auth.MinSecretLen)
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Decider == nil {
		cfg.Decider = defaultDecider{policy: eligo.DefaultPolicy(), now: cfg.Now}
	}
	files, err := fs.Sub(static, "static")
	if err != nil {
		return nil, fmt.Errorf("webdemo: the embedded files: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /demo/api/orders", handleListOrders(cfg))
	mux.Handle("GET /demo/api/orders/{id}", handleOrderSession(cfg))
	mux.Handle("GET /demo/api/policy", handlePolicy(cfg))
	mux.Handle("POST /demo/api/policy/{name}", handleApplyPolicy(cfg))
	mux.Handle("GET /demo/api/", handleNotFound(cfg))
	mux.Handle("GET /demo/", http.StripPrefix("/demo", http.FileServerFS(files)))
	mux.Handle("GET /demo", http.RedirectHandler(Prefix, http.StatusMovedPermanently))
	return securityHeaders(mux), nil
}

// Mount serves /demo and everything under /demo/ with demo, and every other
// request with api, for tests that run the page without the API's routes;
// the server routes it through httpapi.Deps.DemoPage.
func Mount(api, demo http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(Prefix, demo)
	mux.Handle("/demo", demo)
	mux.Handle("/", api)
	return mux
}

// securityHeaders keeps the page to its own origin: scripts, styles and
// connections to eligo only, no framing, and no caching of a response that
// carries a token.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}
