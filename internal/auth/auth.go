// Package auth authenticates HTTP requests: service tokens, compared in
// constant time, and customer tokens, HS256 JWTs whose subject is the
// customer id. It answers who is calling; what they may do is decided by the
// HTTP layer.
package auth

import (
	"cmp"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/golang-jwt/jwt/v5"

	"github.com/eligo/eligo"
)

// Principal is an authenticated caller: a service, which may act on any
// order, or one customer, who may act only on their own orders.
type Principal struct {
	Service    bool
	CustomerID string    // set for a customer
	ExpiresAt  time.Time // when a customer's token expires; zero for a service
}

// Owns reports whether p may act on an order of customerID: a service may
// act on any order, a customer only on their own.
func (p Principal) Owns(customerID string) bool {
	return p.Service || (p.CustomerID != "" && p.CustomerID == customerID)
}

// Who returns the whodunnit of a change made by p.
func (p Principal) Who() string {
	if p.Service {
		return eligo.WhoService
	}
	return eligo.WhoCustomer(p.CustomerID)
}

// Headers and the query parameter that carry a token.
const (
	SessionHeader    = "X-Session-Token"
	AccessTokenParam = "access_token"
)

// MinSecretLen is the shortest customer-token secret accepted: HS256 needs a
// key at least as long as its hash output (RFC 7518, section 3.2).
const MinSecretLen = 32

// MinServiceTokenLen is the shortest service token accepted: a service
// token may act on any order, so it must be as hard to guess as the
// customer-token secret.
const MinServiceTokenLen = 32

// CheckServiceToken reports whether t is long enough to be a service
// token. The error does not show t.
func CheckServiceToken(t string) error {
	if len(t) < MinServiceTokenLen {
		return eligo.Errorf(eligo.EINVALID, "a service token is %d bytes long; service tokens must be at least %d bytes", len(t), MinServiceTokenLen)
	}
	return nil
}

// maxTokenLen bounds the tokens looked at, so a huge header costs nothing.
const maxTokenLen = 4096

// The cache of verified customer tokens holds up to maxCached tokens of at
// most maxCachedLen bytes each (a few MiB in all; customer tokens are about
// 200 bytes). Only tokens whose signature verified are cached.
const (
	maxCached    = 1 << 16
	maxCachedLen = 512
)

// Config holds what an Authenticator is built from.
type Config struct {
	// ServiceTokens are the accepted service tokens. Empty strings are
	// ignored.
	ServiceTokens []string
	// CustomerSecret is the HS256 key of customer tokens. When empty, no
	// customer token is accepted.
	CustomerSecret []byte
	// MaxCustomerTokenTTL is the longest lifetime of an accepted customer
	// token; zero means DefaultMaxCustomerTokenTTL. See CheckLifetime.
	MaxCustomerTokenTTL time.Duration
	// Now is the clock that token expiry is checked against; nil means
	// time.Now.
	Now func() time.Time
}

// DefaultMaxCustomerTokenTTL bounds customer token lifetimes when
// Config.MaxCustomerTokenTTL is zero.
const DefaultMaxCustomerTokenTTL = 24 * time.Hour

// maxClockSkew is how far ahead of this server's clock a token's iat may
// be: the clock of the host that minted it may run a little ahead.
const maxClockSkew = time.Minute

// Authenticator checks credentials. It is safe for concurrent use.
type Authenticator struct {
	services [][sha256.Size]byte
	secret   []byte
	now      func() time.Time
	parser   *jwt.Parser
	maxTTL   time.Duration
	errLong  error // the token's lifetime is over maxTTL

	// verified caches customer tokens whose signature was checked, so a
	// customer polling eligibility pays for HMAC and JSON once per token.
	// Expiry is checked on every use.
	mu       sync.RWMutex
	verified map[string]Principal
}

// New returns an Authenticator. It fails when a customer secret is set but
// shorter than MinSecretLen, or when MaxCustomerTokenTTL is negative.
func New(cfg Config) (*Authenticator, error) {
	if len(cfg.CustomerSecret) > 0 && len(cfg.CustomerSecret) < MinSecretLen {
		return nil, eligo.Errorf(eligo.EINVALID, "the customer token secret is %d bytes long; HS256 needs at least %d", len(cfg.CustomerSecret), MinSecretLen)
	}
	if cfg.MaxCustomerTokenTTL < 0 {
		return nil, eligo.Errorf(eligo.EINVALID, "the longest customer token lifetime must be positive, such as 24h; got %s", cfg.MaxCustomerTokenTTL)
	}
	a := &Authenticator{
		secret:   append([]byte(nil), cfg.CustomerSecret...),
		now:      cfg.Now,
		maxTTL:   cmp.Or(cfg.MaxCustomerTokenTTL, DefaultMaxCustomerTokenTTL),
		verified: make(map[string]Principal),
	}
	a.errLong = &eligo.Error{Code: eligo.EUNAUTHORIZED,
		Message: fmt.Sprintf("the token's lifetime is over the %s this server accepts; ask for a new one", a.maxTTL)}
	if a.now == nil {
		a.now = time.Now
	}
	for _, t := range cfg.ServiceTokens {
		if t != "" {
			a.services = append(a.services, sha256.Sum256([]byte(t)))
		}
	}
	a.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(a.now),
	)
	return a, nil
}

// Sources says where a route takes a token from besides the Authorization
// header ("Bearer <token>"), which every route takes. The zero value is the
// Authorization header only.
type Sources uint8

const (
	// FromSessionHeader takes the X-Session-Token header (the versions
	// endpoints).
	FromSessionHeader Sources = 1 << iota
	// FromQuery takes the access_token query parameter, for the routes that
	// browsers reach without headers (WebSocket and EventSource). A token
	// in a URL ends up in proxy and access logs: no other route takes it.
	FromQuery
)

// Authenticate returns the caller of r: Token's token, verified.
//
// Missing, malformed, expired or unknown credentials are EUNAUTHORIZED.
func (a *Authenticator) Authenticate(r *http.Request, from Sources) (Principal, error) {
	token, err := Token(r, from)
	if err != nil {
		return Principal{}, err
	}
	return a.Verify(token)
}

// Verify returns the caller whose token this is: a service token, or a
// customer token that verifies. Any other token is EUNAUTHORIZED.
func (a *Authenticator) Verify(token string) (Principal, error) {
	if len(token) > maxTokenLen {
		return Principal{}, errInvalidToken
	}
	// A customer token verified before is found without hashing it; the
	// lookup's timing depends only on tokens that were already valid.
	if p, ok, err := a.cachedCustomer(token); ok {
		return p, err
	}
	if a.isService(token) {
		return Principal{Service: true}, nil
	}
	return a.customer(token)
}

var (
	errNoToken = &eligo.Error{Code: eligo.EUNAUTHORIZED,
		Message: "credentials are required: send \"Authorization: Bearer <token>\""}
	errNoTokenOrQuery = &eligo.Error{Code: eligo.EUNAUTHORIZED,
		Message: "credentials are required: send \"Authorization: Bearer <token>\" or the access_token query parameter"}
	errQueryRefused = &eligo.Error{Code: eligo.EUNAUTHORIZED,
		Message: "this route does not take the access_token query parameter; send \"Authorization: Bearer <token>\""}
	errBadScheme = &eligo.Error{Code: eligo.EUNAUTHORIZED,
		Message: "the Authorization header must use the Bearer scheme: \"Authorization: Bearer <token>\""}
	errInvalidToken = &eligo.Error{Code: eligo.EUNAUTHORIZED,
		Message: "the token is not valid; ask for a new one"}
	errExpiredToken = &eligo.Error{Code: eligo.EUNAUTHORIZED,
		Message: "the token has expired; ask for a new one"}
	errNotYetValid = &eligo.Error{Code: eligo.EUNAUTHORIZED,
		Message: "the token is not valid yet (its nbf is in the future)"}
	errFutureIssue = &eligo.Error{Code: eligo.EUNAUTHORIZED,
		Message: "the token's iat is in the future; check the clocks, and ask for a new one"}
	errTimeNotNumber = &eligo.Error{Code: eligo.EUNAUTHORIZED,
		Message: "the token's exp, nbf and iat must be numbers (seconds since 1970); ask for a new one"}
)

// Token returns the token r carries, by order of precedence: the
// Authorization header, then the sources in from. It reads only headers and
// the URL, never the body. A request that carries an access_token query
// parameter to a route that does not take it is told so.
func Token(r *http.Request, from Sources) (string, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		const prefix = "bearer "
		if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
			return "", errBadScheme
		}
		if t := strings.TrimSpace(h[len(prefix):]); t != "" {
			return t, nil
		}
		return "", errNoToken
	}
	if from&FromSessionHeader != 0 {
		if t := strings.TrimSpace(r.Header.Get(SessionHeader)); t != "" {
			return t, nil
		}
	}
	var t string
	if r.URL.RawQuery != "" {
		// A badly escaped access_token counts as none, as before, and so
		// now does a repeated one (it was read as its first value): the
		// answer is the 401 that asks for a token.
		t, _ = QueryValue(r.URL.RawQuery, AccessTokenParam)
	}
	switch {
	case t == "" && from&FromQuery != 0:
		return "", errNoTokenOrQuery
	case t == "":
		return "", errNoToken
	case from&FromQuery == 0:
		return "", errQueryRefused
	}
	return t, nil
}

// isService reports whether token is one of the service tokens. It compares
// fixed-size digests in constant time and always looks at every token, so
// the timing says nothing about which token or how much of it matched.
func (a *Authenticator) isService(token string) bool {
	if len(a.services) == 0 {
		return false
	}
	// A read-only view of the token's bytes, not a copy: this runs on
	// every request.
	sum := sha256.Sum256(unsafe.Slice(unsafe.StringData(token), len(token)))
	match := 0
	for i := range a.services {
		match |= subtle.ConstantTimeCompare(sum[:], a.services[i][:])
	}
	return match == 1
}

// cachedCustomer returns the principal of a customer token verified before,
// and ok=false when the token is not cached.
func (a *Authenticator) cachedCustomer(token string) (p Principal, ok bool, err error) {
	a.mu.RLock()
	p, ok = a.verified[token]
	a.mu.RUnlock()
	if ok && !a.now().Before(p.ExpiresAt) {
		a.forget(token)
		return Principal{}, true, errExpiredToken
	}
	return p, ok, nil
}

// customer verifies a customer token.
func (a *Authenticator) customer(token string) (Principal, error) {
	if len(a.secret) == 0 {
		return Principal{}, errInvalidToken
	}
	var claims customerClaims
	_, err := a.parser.ParseWithClaims(token, &claims, a.key)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return Principal{}, errExpiredToken
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return Principal{}, errNotYetValid
	case errors.Is(err, errTimeNotNumber):
		return Principal{}, errTimeNotNumber
	case err != nil:
		return Principal{}, errInvalidToken
	case claims.Subject == "" || claims.ExpiresAt == nil:
		return Principal{}, errInvalidToken
	}
	if err := a.checkLifetime(&claims.RegisteredClaims); err != nil {
		return Principal{}, err
	}
	p := Principal{CustomerID: claims.Subject, ExpiresAt: claims.ExpiresAt.UTC()}
	a.remember(token, p)
	return p, nil
}

// checkLifetime bounds how long a token is valid: its lifetime, exp - iat,
// or exp - now when it has no iat, must be at most maxTTL. An iat more than
// maxClockSkew ahead of the clock is refused, so a token cannot stretch its
// validity by claiming to be issued later; one within the skew is measured
// from its iat, so a token minted for exactly maxTTL on a host whose clock
// runs a little ahead still verifies. A cached token is not checked again:
// exp - now only shrinks.
func (a *Authenticator) checkLifetime(c *jwt.RegisteredClaims) error {
	now := a.now()
	from := now
	if c.IssuedAt != nil {
		if c.IssuedAt.Sub(now) > maxClockSkew {
			return errFutureIssue
		}
		from = c.IssuedAt.Time
	}
	if c.ExpiresAt.Sub(from) > a.maxTTL {
		return a.errLong
	}
	return nil
}

// CheckLifetime returns an EINVALID error when a token minted for ttl would
// be refused by a server that accepts lifetimes up to max (zero meaning
// DefaultMaxCustomerTokenTTL), or when ttl is not positive.
func CheckLifetime(ttl, max time.Duration) error {
	max = cmp.Or(max, DefaultMaxCustomerTokenTTL)
	switch {
	case ttl <= 0:
		return eligo.Errorf(eligo.EINVALID, "the token lifetime must be positive, such as 1h; got %s", ttl)
	case ttl > max:
		return eligo.Errorf(eligo.EINVALID, "the token lifetime %s is over the %s the server accepts (--customer-token-max-ttl)", ttl, max)
	}
	return nil
}

// key pins the method: only HS256 with our secret verifies. WithValidMethods
// checks the header's alg already; this also checks the method's type.
func (a *Authenticator) key(t *jwt.Token) (any, error) {
	if m, ok := t.Method.(*jwt.SigningMethodHMAC); !ok || m != jwt.SigningMethodHS256 {
		return nil, errInvalidToken
	}
	return a.secret, nil
}

// remember caches a verified token. When the cache is full it drops an
// arbitrary entry (map iteration starts at a random place).
func (a *Authenticator) remember(token string, p Principal) {
	if len(token) > maxCachedLen {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.verified) >= maxCached {
		for k := range a.verified {
			delete(a.verified, k)
			break
		}
	}
	a.verified[token] = p
}

func (a *Authenticator) forget(token string) {
	a.mu.Lock()
	delete(a.verified, token)
	a.mu.Unlock()
}

// QueryValue returns the value of the query parameter key in rawQuery
// ("" when absent), decoded, without building a url.Values map: it is on
// the hot path of every read that carries ?access_token= or ?action=. A
// parameter given twice or not validly escaped is EINVALID, so that the
// query is read one way only. It allocates only when the value is escaped.
func QueryValue(rawQuery, key string) (string, error) {
	var (
		value string
		n     int
	)
	for q := rawQuery; q != ""; {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		k, v, _ := strings.Cut(kv, "=")
		if k != key {
			continue
		}
		n++
		value = v
	}
	if n > 1 {
		return "", eligo.Errorf(eligo.EINVALID, "the query parameter %s is given %d times; give it once", key, n)
	}
	if strings.ContainsAny(value, "%+") {
		u, err := url.QueryUnescape(value)
		if err != nil {
			return "", eligo.Errorf(eligo.EINVALID, "the query parameter %s is not validly escaped: %q", key, value)
		}
		value = u
	}
	return value, nil
}
