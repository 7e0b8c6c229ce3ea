package auth

import (
	"context"
	"crypto"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/eligo/eligo"
)

// KeySetConfig says where an identity provider publishes the keys of its
// customer tokens: a JWK Set (RFC 7517) at a URL, in a file, or both.
type KeySetConfig struct {
	// URL is fetched at start and refreshed by Run every RefreshInterval,
	// and, at most once per MinKeyRefresh, when a token names a key it
	// does not hold.
	URL string
	// File is read once, at start.
	File string
	// RefreshInterval is how often Run fetches URL again; zero means
	// DefaultKeyRefresh.
	RefreshInterval time.Duration
	// Client fetches URL; nil means a client of its own with
	// KeyFetchTimeout.
	Client *http.Client
	// Logger gets a warning for each fetch that fails; nil logs nothing.
	Logger *slog.Logger
	// Now is the clock the refresh floor is measured on; nil means
	// time.Now.
	Now func() time.Time
}

// The timing of fetches.
const (
	// DefaultKeyRefresh is how often the JWK Set URL is fetched again.
	DefaultKeyRefresh = 15 * time.Minute
	// MinKeyRefresh is the floor between two fetches: a flood of tokens
	// naming unknown keys costs the provider one fetch per MinKeyRefresh.
	// A failed fetch is retried after it.
	MinKeyRefresh = time.Minute
	// KeyFetchTimeout bounds one fetch, and so how long a request that
	// names an unknown key may wait for one.
	KeyFetchTimeout = 5 * time.Second
)

// maxKeySetBytes bounds the JWK Set read; providers publish a few KiB.
const maxKeySetBytes = 1 << 20

// KeySet holds an identity provider's public keys, parsed once, for
// verifying customer tokens; a token names its key by kid. It is safe for
// concurrent use: a verification reads the keys without a lock.
type KeySet struct {
	url, file string
	client    *http.Client
	interval  time.Duration
	log       *slog.Logger
	now       func() time.Time

	fixed []verifyKey              // from File
	table atomic.Pointer[keyTable] // fixed and the last fetched

	mu       sync.Mutex
	lastTry  time.Time     // of the last fetch, by Now
	inflight chan struct{} // closed when the fetch in flight ends; nil when none
	healthy  bool          // the last fetch succeeded
}

// keyTable is one immutable generation of keys.
type keyTable struct {
	byKID map[string]verifyKey
	all   []verifyKey
	// gen changes when a key is removed or replaced, so that tokens
	// verified with it before are checked again.
	gen uint64
	// fetched is false while URL was never fetched successfully.
	fetched bool
}

// verifyKey is one public key of the set.
type verifyKey struct {
	kid string
	alg string // the JWK's alg; "" when it names none
	key any    // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
}

// NewKeySet reads File and fetches URL once. A configuration mistake
// fails: a URL that is not http(s), a file that cannot be read, an answer
// that is not a JWK Set or holds no key that verifies tokens, an HTTP
// status that says the URL is wrong (4xx other than 429), or a TLS
// certificate that does not verify. A provider that is merely unreachable
// (a network error, a timeout, 5xx or 429) does not: the set starts
// without its keys, logs a warning, and the fetch is retried (Run, and
// tokens that name a key).
func NewKeySet(ctx context.Context, cfg KeySetConfig) (*KeySet, error) {
	if cfg.URL == "" && cfg.File == "" {
		return nil, eligo.Errorf(eligo.EINVALID, "a customer JWKS needs a URL or a file")
	}
	k := &KeySet{
		url:      cfg.URL,
		file:     cfg.File,
		client:   cfg.Client,
		interval: cfg.RefreshInterval,
		log:      cfg.Logger,
		now:      cfg.Now,
	}
	if k.interval <= 0 {
		k.interval = DefaultKeyRefresh
	}
	if k.client == nil {
		k.client = &http.Client{Timeout: KeyFetchTimeout}
	}
	if k.log == nil {
		k.log = slog.New(slog.DiscardHandler)
	}
	if k.now == nil {
		k.now = time.Now
	}
	if k.url != "" {
		if u, err := url.Parse(k.url); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, eligo.Errorf(eligo.EINVALID, "the customer JWKS URL must be an https:// (or http://) URL, such as https://example.auth0.com/.well-known/jwks.json; got %q", k.url)
		}
	}
	if k.file != "" {
		data, err := os.ReadFile(k.file)
		if err != nil {
			return nil, eligo.Errorf(eligo.EINVALID, "reading the customer JWKS file: %v", err)
		}
		if k.fixed, err = parseKeySet(data); err != nil {
			return nil, eligo.Errorf(eligo.EINVALID, "the customer JWKS file %s %v", k.file, err)
		}
	}
	k.table.Store(&keyTable{byKID: byKID(k.fixed), all: k.fixed, fetched: k.url == ""})
	if k.url == "" {
		return k, nil
	}
	k.lastTry = k.now()
	keys, err := k.fetch(ctx)
	var outage *outageError
	switch {
	case errors.As(err, &outage):
		k.log.Warn("customer JWKS unreachable at start: tokens from the identity provider are answered 503 until it answers; retrying every "+MinKeyRefresh.String(),
			"url", k.url, "error", outage.err)
	case err != nil:
		return nil, err
	default:
		k.healthy = true
		k.swap(keys)
	}
	return k, nil
}

// Run fetches URL every RefreshInterval, or every MinKeyRefresh while
// fetches fail, until ctx ends. Without a URL it returns at once.
func (k *KeySet) Run(ctx context.Context) error {
	if k.url == "" {
		return nil
	}
	for {
		k.mu.Lock()
		wait := k.interval
		if !k.healthy {
			wait = min(wait, MinKeyRefresh)
		}
		k.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		k.refresh(ctx, true)
	}
}

// keysFor returns the keys a token with this kid and alg may be verified
// with: the key named kid, or, for a token without kid, every key that
// fits alg. An unknown kid fetches the set again when MinKeyRefresh has
// passed since the last fetch; the caller waits for that fetch (at most
// KeyFetchTimeout), and no one else does.
func (k *KeySet) keysFor(kid, alg string) ([]jwt.VerificationKey, error) {
	t := k.table.Load()
	if kid == "" {
		var keys []jwt.VerificationKey
		for _, v := range t.all {
			if v.fits(alg) {
				keys = append(keys, v.key)
			}
		}
		if len(keys) == 0 {
			return nil, t.unknownKeyError()
		}
		return keys, nil
	}
	v, ok := t.byKID[kid]
	if !ok && k.url != "" {
		k.refresh(context.Background(), false)
		t = k.table.Load()
		v, ok = t.byKID[kid]
	}
	switch {
	case !ok:
		return nil, t.unknownKeyError()
	case !v.fits(alg):
		return nil, errKeyMismatch
	}
	return []jwt.VerificationKey{v.key}, nil
}

// generation returns the generation of the keys now held.
func (k *KeySet) generation() uint64 { return k.table.Load().gen }

// unknownKeyError is the refusal of a token whose key is not in t: 503
// while the provider's keys were never fetched (it is this server that
// cannot check the token), 401 otherwise.
func (t *keyTable) unknownKeyError() error {
	if !t.fetched {
		return errKeysUnavailable
	}
	return errUnknownKey
}

// refresh fetches the set unless a fetch is in flight, whose end it then
// waits for (at most KeyFetchTimeout). Unless force, it fetches only when
// MinKeyRefresh has passed since the last fetch.
func (k *KeySet) refresh(ctx context.Context, force bool) {
	k.mu.Lock()
	if ch := k.inflight; ch != nil {
		k.mu.Unlock()
		t := time.NewTimer(KeyFetchTimeout)
		defer t.Stop()
		select {
		case <-ch:
		case <-t.C:
		case <-ctx.Done():
		}
		return
	}
	if !force && k.now().Sub(k.lastTry) < MinKeyRefresh {
		k.mu.Unlock()
		return
	}
	ch := make(chan struct{})
	k.inflight, k.lastTry = ch, k.now()
	k.mu.Unlock()

	keys, err := k.fetch(ctx)
	if err != nil {
		k.log.Warn("customer JWKS fetch failed; the keys fetched before are kept", "url", k.url, "error", err)
	} else {
		k.swap(keys)
	}
	k.mu.Lock()
	k.inflight, k.healthy = nil, err == nil
	close(ch)
	k.mu.Unlock()
}

// swap makes fetched, with the fixed keys, the keys held, and logs the
// kids that came and went. The generation changes when a key held before
// is gone or different.
func (k *KeySet) swap(fetched []verifyKey) {
	old := k.table.Load()
	all := slices.Concat(k.fixed, fetched)
	next := &keyTable{byKID: byKID(all), all: all, gen: old.gen, fetched: true}
	var added, removed []string
	for kid, v := range old.byKID {
		if n, ok := next.byKID[kid]; !ok || !sameKey(n.key, v.key) || n.alg != v.alg {
			removed = append(removed, kid)
		}
	}
	for kid := range next.byKID {
		if _, ok := old.byKID[kid]; !ok {
			added = append(added, kid)
		}
	}
	if len(removed) > 0 {
		next.gen++
	}
	k.table.Store(next)
	if len(added) > 0 || len(removed) > 0 {
		slices.Sort(added)
		slices.Sort(removed)
		k.log.Info("customer JWKS keys", "url", k.url, "keys", len(next.byKID), "added", added, "removed or replaced", removed)
	}
}

// byKID indexes keys by kid; the first of a kid wins, so a key from the
// file is not replaced by a fetched one.
func byKID(keys []verifyKey) map[string]verifyKey {
	m := make(map[string]verifyKey, len(keys))
	for _, v := range keys {
		if _, ok := m[v.kid]; !ok && v.kid != "" {
			m[v.kid] = v
		}
	}
	return m
}

func sameKey(a, b any) bool {
	e, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && e.Equal(b)
}
