// Package auth authenticates HTTP requests: service tokens, compared in
// constant time, and customer tokens, JWTs that name one customer: HS256
// ones signed with eligo's secret, whose subject is the customer id, and
// those of an identity provider, verified with the keys of its JWK Set
// (KeySet). It answers who is calling; what they may do is decided by the
// HTTP layer.
package auth

import (
	"cmp"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"strings"
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
	ExpiresAt  time.Time // when this server stops taking a customer's token (its exp plus the leeway); zero for a service
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

// MaxTokenLen bounds the tokens looked at, so a huge header costs little.
// Tokens from identity providers carry groups and roles: a Keycloak token
// with 100 groups is over 5 KB.
const MaxTokenLen = 16 << 10

// Config holds what an Authenticator is built from.
type Config struct {
	// ServiceTokens are the accepted service tokens. Empty strings are
	// ignored.
	ServiceTokens []string
	// CustomerSecret is the HS256 key of customer tokens. When it and
	// RetiredCustomerSecrets are empty, no HS256 token is accepted.
	CustomerSecret []byte
	// RetiredCustomerSecrets are HS256 keys that still verify customer
	// tokens but no longer sign them: the secrets a rotation replaced,
	// accepted until the tokens they signed have expired.
	RetiredCustomerSecrets [][]byte
	// Keys verify customer tokens signed by an identity provider (RS256,
	// ES256, EdDSA and the like); nil accepts none. Issuer, Audience and
	// CustomerIDClaim apply to these tokens only: HS256 tokens are eligo's
	// own, whose customer id is sub.
	Keys *KeySet
	// Issuer, when set, is the iss that every token verified by Keys must
	// carry.
	Issuer string
	// Audience, when set, must be one of the aud of every token verified
	// by Keys.
	Audience string
	// CustomerIDClaim names the claim of a token verified by Keys that
	// holds the customer id; "" means sub. A namespaced claim such as
	// https://example.com/customer_id is matched exactly.
	CustomerIDClaim string
	// Leeway is the clock skew allowed on exp and nbf (and on a future
	// iat beyond maxClockSkew), at most MaxLeeway.
	Leeway time.Duration
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

// MaxLeeway bounds Config.Leeway: a larger skew is a clock to fix, not
// one to allow for.
const MaxLeeway = 5 * time.Minute

// maxClockSkew is how far ahead of this server's clock a token's iat may
// be (or the leeway, when larger): the clock of the host that minted it
// may run a little ahead.
const maxClockSkew = time.Minute

// asymmetricMethods are the algorithms of tokens verified by Config.Keys.
var asymmetricMethods = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// Authenticator checks credentials. It is safe for concurrent use.
type Authenticator struct {
	services [][sha256.Size]byte
	secrets  any // what key returns for HS256: one []byte, or a jwt.VerificationKeySet
	keys     *KeySet
	issuer   string
	audience string
	idClaim  string // "" for sub
	leeway   time.Duration
	now      func() time.Time
	parser   *jwt.Parser
	maxTTL   time.Duration
	maxSkew  time.Duration // of iat
	errLong  error         // the token's lifetime is over maxTTL
	errNoID  error         // the id claim is missing

	cache tokenCache
}

// New returns an Authenticator. It fails when a customer secret is set but
// shorter than MinSecretLen, when MaxCustomerTokenTTL is negative or when
// Leeway is outside 0 to MaxLeeway.
func New(cfg Config) (*Authenticator, error) {
	var secrets [][]byte
	for i, s := range append([][]byte{cfg.CustomerSecret}, cfg.RetiredCustomerSecrets...) {
		switch {
		case len(s) == 0 && i == 0:
		case len(s) < MinSecretLen && i == 0:
			return nil, eligo.Errorf(eligo.EINVALID, "the customer token secret is %d bytes long; HS256 needs at least %d", len(s), MinSecretLen)
		case len(s) < MinSecretLen:
			return nil, eligo.Errorf(eligo.EINVALID, "customer token secret %d is %d bytes long; HS256 needs at least %d", i+1, len(s), MinSecretLen)
		default:
			secrets = append(secrets, append([]byte(nil), s...))
		}
	}
	if cfg.MaxCustomerTokenTTL < 0 {
		return nil, eligo.Errorf(eligo.EINVALID, "the longest customer token lifetime must be positive, such as 24h; got %s", cfg.MaxCustomerTokenTTL)
	}
	if cfg.Leeway < 0 || cfg.Leeway > MaxLeeway {
		return nil, eligo.Errorf(eligo.EINVALID, "the customer token leeway must be from 0s to %s, such as 30s; got %s", MaxLeeway, cfg.Leeway)
	}
	a := &Authenticator{
		keys:     cfg.Keys,
		issuer:   cfg.Issuer,
		audience: cfg.Audience,
		leeway:   cfg.Leeway,
		now:      cfg.Now,
		maxTTL:   cmp.Or(cfg.MaxCustomerTokenTTL, DefaultMaxCustomerTokenTTL),
		maxSkew:  max(maxClockSkew, cfg.Leeway),
	}
	switch len(secrets) {
	case 0:
	case 1:
		a.secrets = secrets[0]
	default:
		set := jwt.VerificationKeySet{}
		for _, s := range secrets {
			set.Keys = append(set.Keys, s)
		}
		a.secrets = set
	}
	if cfg.CustomerIDClaim != "sub" {
		a.idClaim = cfg.CustomerIDClaim
	}
	a.errLong = &eligo.Error{Code: eligo.EUNAUTHORIZED,
		Message: fmt.Sprintf("the token's lifetime is over the %s this server accepts; ask for a new one", a.maxTTL)}
	a.errNoID = &eligo.Error{Code: eligo.EUNAUTHORIZED,
		Message: fmt.Sprintf("the token has no customer id: its %s claim is missing, empty or not a string", cmp.Or(a.idClaim, "sub"))}
	if a.now == nil {
		a.now = time.Now
	}
	for _, t := range cfg.ServiceTokens {
		if t != "" {
			a.services = append(a.services, sha256.Sum256([]byte(t)))
		}
	}
	methods := []string{jwt.SigningMethodHS256.Alg()}
	if a.keys != nil {
		methods = append(methods, asymmetricMethods...)
	}
	a.parser = jwt.NewParser(
		jwt.WithValidMethods(methods),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(a.leeway),
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
// customer token that verifies. Any other token is EUNAUTHORIZED, but for
// a token whose identity provider's keys could not be fetched, which is
// EUNAVAILABLE.
func (a *Authenticator) Verify(token string) (Principal, error) {
	if len(token) > MaxTokenLen {
		return Principal{}, errTooLarge
	}
	// A short customer token verified before is found without hashing
	// it; a long one by its digest. The lookup's timing depends only on
	// tokens that were already valid.
	key := cacheKey{token: token}
	if len(token) > maxCachedLen {
		key = cacheKey{sum: digest(token), long: true}
	}
	if p, ok, err := a.cachedCustomer(&key); ok {
		return p, err
	}
	if a.isService(token, &key) {
		return Principal{Service: true}, nil
	}
	return a.customer(token, &key)
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
	errTooLarge = &eligo.Error{Code: eligo.EUNAUTHORIZED,
		Message: fmt.Sprintf("the token is larger than %d bytes", MaxTokenLen)}
	errCritical = &eligo.Error{Code: eligo.EUNAUTHORIZED,
		Message: "the token's header lists critical extensions (crit) that this server does not support"}
	errWrongIssuer = &eligo.Error{Code: eligo.EUNAUTHORIZED,
		Message: "the token's issuer (iss) is not the one this server accepts"}
	errWrongAudience = &eligo.Error{Code: eligo.EUNAUTHORIZED,
		Message: "the token's audience (aud) does not name this server's"}
	errUnknownKey = &eligo.Error{Code: eligo.EUNAUTHORIZED,
		Message: "the token is signed with a key (kid) the identity provider does not publish; ask for a new one"}
	errKeyMismatch = &eligo.Error{Code: eligo.EUNAUTHORIZED,
		Message: "the token's alg does not fit the key (kid) it names"}
	errKeysUnavailable = &eligo.Error{Code: eligo.EUNAVAILABLE,
		Message: "the identity provider's keys could not be fetched yet, so the token cannot be checked; retry shortly"}
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
func (a *Authenticator) isService(token string, key *cacheKey) bool {
	if len(a.services) == 0 {
		return false
	}
	sum := key.sum
	if !key.long {
		sum = digest(token)
	}
	match := 0
	for i := range a.services {
		match |= subtle.ConstantTimeCompare(sum[:], a.services[i][:])
	}
	return match == 1
}

// digest is the SHA-256 of token, read in place: this runs on every
// request.
func digest(token string) [sha256.Size]byte {
	return sha256.Sum256(unsafe.Slice(unsafe.StringData(token), len(token)))
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
