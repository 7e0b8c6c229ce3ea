package auth

import (
	"cmp"
	"errors"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/eligo/eligo"
)

// cachedCustomer returns the principal of a customer token verified before,
// and ok=false when the token is not cached, or was verified with a key
// its identity provider has since dropped or replaced.
func (a *Authenticator) cachedCustomer(key *cacheKey) (p Principal, ok bool, err error) {
	e := a.cache.get(key)
	switch {
	case e == nil:
		return Principal{}, false, nil
	case e.keyed && e.gen != a.keys.generation():
		a.cache.drop(key)
		return Principal{}, false, nil
	case !a.now().Before(e.p.ExpiresAt):
		a.cache.drop(key)
		return Principal{}, true, errExpiredToken
	}
	return e.p, true, nil
}

// customer verifies a customer token: HS256 with one of the secrets, or
// an identity provider's algorithm with one of Keys.
func (a *Authenticator) customer(token string, key *cacheKey) (Principal, error) {
	if a.secrets == nil && a.keys == nil {
		return Principal{}, errInvalidToken
	}
	var gen uint64
	if a.keys != nil {
		gen = a.keys.generation() // before the key is read: a change meanwhile re-verifies
	}
	claims := customerClaims{idClaim: a.idClaim}
	t, err := a.parser.ParseWithClaims(token, &claims, a.key)
	if err != nil {
		return Principal{}, verifyError(err)
	}
	_, hmac := t.Method.(*jwt.SigningMethodHMAC)
	id := claims.Subject
	if !hmac {
		switch {
		case a.issuer != "" && claims.Issuer != a.issuer:
			return Principal{}, errWrongIssuer
		case a.audience != "" && !slices.Contains(claims.Audience, a.audience):
			return Principal{}, errWrongAudience
		case a.idClaim != "":
			id = claims.idValue
		}
		if id == "" {
			return Principal{}, a.errNoID
		}
	}
	if id == "" || claims.ExpiresAt == nil {
		return Principal{}, errInvalidToken
	}
	if err := a.checkLifetime(&claims.RegisteredClaims); err != nil {
		return Principal{}, err
	}
	p := Principal{CustomerID: id, ExpiresAt: claims.ExpiresAt.Add(a.leeway).UTC()}
	a.cache.put(key, &cacheEntry{p: p, keyed: !hmac, gen: gen})
	return p, nil
}

// verifyError is the refusal of a token the parser refused: what is wrong
// with it where the client can act on that, else "not valid".
func verifyError(err error) error {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return errExpiredToken
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return errNotYetValid
	}
	for _, e := range []error{errTimeNotNumber, errCritical, errUnknownKey, errKeyMismatch, errKeysUnavailable} {
		if errors.Is(err, e) {
			return e
		}
	}
	return errInvalidToken
}

// key returns the keys a token may verify with, by its alg (which the
// parser has checked is HS256 or, with Keys, an asymmetric algorithm):
// HS256 takes the secrets only and the others Keys only, so that an
// identity provider's public key can never serve as an HMAC secret. A
// token whose header lists critical extensions is refused (RFC 7515,
// section 4.1.11): eligo understands none.
func (a *Authenticator) key(t *jwt.Token) (any, error) {
	if _, ok := t.Header["crit"]; ok {
		return nil, errCritical
	}
	if m, ok := t.Method.(*jwt.SigningMethodHMAC); ok {
		if m != jwt.SigningMethodHS256 || a.secrets == nil {
			return nil, errInvalidToken
		}
		return a.secrets, nil
	}
	if a.keys == nil {
		return nil, errInvalidToken
	}
	var kid string
	if v, ok := t.Header["kid"]; ok {
		if kid, ok = v.(string); !ok || kid == "" {
			return nil, errInvalidToken
		}
	}
	keys, err := a.keys.keysFor(kid, t.Method.Alg())
	if err != nil {
		return nil, err
	}
	if len(keys) == 1 {
		return keys[0], nil
	}
	return jwt.VerificationKeySet{Keys: keys}, nil
}

// checkLifetime bounds how long a token is valid: its lifetime, exp - iat,
// or exp - now when it has no iat, must be at most maxTTL. An iat more than
// maxSkew ahead of the clock is refused, so a token cannot stretch its
// validity by claiming to be issued later; one within the skew is measured
// from its iat, so a token minted for exactly maxTTL on a host whose clock
// runs a little ahead still verifies. A cached token is not checked again:
// exp - now only shrinks.
func (a *Authenticator) checkLifetime(c *jwt.RegisteredClaims) error {
	now := a.now()
	from := now
	if c.IssuedAt != nil {
		if c.IssuedAt.Sub(now) > a.maxSkew {
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
