package auth_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
)

var allSigners = []string{"rsa", "rs384", "ps256", "es256", "es384", "ed"}

func published() []signer {
	var s []signer
	for _, name := range allSigners {
		s = append(s, key(name))
	}
	return s
}

// TestJWKSAlgorithms pins that a token signed by each key the provider
// publishes verifies, and that its customer id is sub.
func TestJWKSAlgorithms(t *testing.T) {
	t.Parallel()
	b := setupIDP(t, auth.Config{Issuer: "https://idp.example/", Audience: "eligo-api"}, published()...)
	for _, name := range allSigners {
		t.Run(name, func(t *testing.T) {
			p, err := b.verify(signBy(t, key(name), idpClaims()))
			require.NoError(t, err)
			require.Equal(t, auth.Principal{CustomerID: "cust-1", ExpiresAt: now.Add(time.Hour)}, p)
		})
	}
	require.EqualValues(t, 1, b.provider.fetches.Load(), "the keys are fetched once, at start")
}

// TestJWKSRefusals pins what is refused, and what each refusal says.
func TestJWKSRefusals(t *testing.T) {
	t.Parallel()
	b := setupIDP(t, auth.Config{CustomerSecret: secret, Issuer: "https://idp.example/", Audience: "eligo-api"}, key("rsa"), key("es256"))
	with := func(change func(jwt.MapClaims)) jwt.MapClaims {
		c := idpClaims()
		change(c)
		return c
	}
	rsaPublic, err := x509.MarshalPKIXPublicKey(key("rsa").key.Public())
	require.NoError(t, err)
	rsaPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: rsaPublic})
	hs256WithKid := func(secret []byte) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, idpClaims())
		tok.Header["kid"] = key("rsa").kid
		s, err := tok.SignedString(secret)
		require.NoError(t, err)
		return s
	}
	withHeader := func(s signer, name string, value any) string {
		tok := jwt.NewWithClaims(s.method, idpClaims())
		tok.Header["kid"] = s.kid
		tok.Header[name] = value
		out, err := tok.SignedString(s.key)
		require.NoError(t, err)
		return out
	}
	unlisted := key("rsa2")
	unlisted.kid = key("rsa").kid // names a listed key, signed by another
	tests := []struct {
		name    string
		token   string
		code    string
		message string
	}{
		{"wrong issuer", signBy(t, key("rsa"), with(func(c jwt.MapClaims) { c["iss"] = "https://evil.example/" })), eligo.EUNAUTHORIZED,
			"the token's issuer (iss) is not the one this server accepts"},
		{"no issuer", signBy(t, key("rsa"), with(func(c jwt.MapClaims) { delete(c, "iss") })), eligo.EUNAUTHORIZED,
			"the token's issuer (iss) is not the one this server accepts"},
		{"wrong audience", signBy(t, key("es256"), with(func(c jwt.MapClaims) { c["aud"] = "another-api" })), eligo.EUNAUTHORIZED,
			"the token's audience (aud) does not name this server's"},
		{"no audience", signBy(t, key("es256"), with(func(c jwt.MapClaims) { delete(c, "aud") })), eligo.EUNAUTHORIZED,
			"the token's audience (aud) does not name this server's"},
		{"signed by an unlisted key under a listed kid", signBy(t, unlisted, idpClaims()), eligo.EUNAUTHORIZED,
			"the token is not valid; ask for a new one"},
		{"signed by an unlisted key", signBy(t, key("rsa2"), idpClaims()), eligo.EUNAUTHORIZED,
			"the token is signed with a key (kid) the identity provider does not publish; ask for a new one"},
		// The classic confusion: the RSA public key, which anyone can
		// fetch, used as an HMAC secret.
		{"RS256 public key as an HS256 secret (PEM)", hs256WithKid(rsaPEM), eligo.EUNAUTHORIZED, "the token is not valid; ask for a new one"},
		{"RS256 public key as an HS256 secret (DER)", hs256WithKid(rsaPublic), eligo.EUNAUTHORIZED, "the token is not valid; ask for a new one"},
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, idpClaims()), eligo.EUNAUTHORIZED, "the token is not valid; ask for a new one"},
		{"alg none with a kid", noneWithKid(t), eligo.EUNAUTHORIZED, "the token is not valid; ask for a new one"},
		{"ES256 naming the RSA key", withHeader(key("es256"), "kid", "rsa-1"), eligo.EUNAUTHORIZED, "the token's alg does not fit the key (kid) it names"},
		{"crit", withHeader(key("rsa"), "crit", []string{"exp-ext"}), eligo.EUNAUTHORIZED,
			"the token's header lists critical extensions (crit) that this server does not support"},
		{"empty crit", withHeader(key("rsa"), "crit", []string{}), eligo.EUNAUTHORIZED,
			"the token's header lists critical extensions (crit) that this server does not support"},
		{"kid not a string", withHeader(key("rsa"), "kid", 7), eligo.EUNAUTHORIZED, "the token is not valid; ask for a new one"},
		{"expired", signBy(t, key("rsa"), with(func(c jwt.MapClaims) { c["exp"] = now.Unix() })), eligo.EUNAUTHORIZED, "the token has expired; ask for a new one"},
		{"no sub", signBy(t, key("rsa"), with(func(c jwt.MapClaims) { delete(c, "sub") })), eligo.EUNAUTHORIZED,
			"the token has no customer id: its sub claim is missing, empty or not a string"},
		{"too long-lived", signBy(t, key("rsa"), with(func(c jwt.MapClaims) { c["exp"] = now.Add(25 * time.Hour).Unix() })), eligo.EUNAUTHORIZED,
			"the token's lifetime is over the 24h0m0s this server accepts; ask for a new one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.verify(tt.token)
			require.Equal(t, tt.code, eligo.ErrorCode(err), "err: %v", err)
			require.Equal(t, tt.message, eligo.ErrorMessage(err))
		})
	}

	// The HS256 secret still works beside the provider's keys, and the
	// provider's issuer and audience are not asked of it.
	tok, err := auth.MintCustomerToken(secret, "cust-2", time.Hour, now)
	require.NoError(t, err)
	p, err := b.verify(tok)
	require.NoError(t, err)
	require.Equal(t, "cust-2", p.CustomerID)
}

// TestJWKSWithoutSecretRefusesHS256 pins that with no HS256 secret, an
// HS256 token is refused whatever key it was made with.
func TestJWKSWithoutSecretRefusesHS256(t *testing.T) {
	t.Parallel()
	b := setupIDP(t, auth.Config{}, key("rsa"))
	der, err := x509.MarshalPKIXPublicKey(key("rsa").key.Public())
	require.NoError(t, err)
	for _, k := range [][]byte{der, {}} {
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, idpClaims())
		tok.Header["kid"] = "rsa-1"
		s, err := tok.SignedString(k)
		require.NoError(t, err)
		_, err = b.verify(s)
		require.Equal(t, "the token is not valid; ask for a new one", eligo.ErrorMessage(err))
	}
}

// TestCustomerIDClaim pins the claim that holds the customer id when it
// is not sub: matched exactly, and a string.
func TestCustomerIDClaim(t *testing.T) {
	t.Parallel()
	const claim = "https://example.com/customer_id"
	b := setupIDP(t, auth.Config{CustomerIDClaim: claim}, key("es256"))
	c := idpClaims()
	c[claim] = "cust-7"
	p, err := b.verify(signBy(t, key("es256"), c))
	require.NoError(t, err)
	require.Equal(t, "cust-7", p.CustomerID, "the claim, not sub")
	for name, v := range map[string]any{"missing": nil, "a number": 7, "empty": "", "other case": "x"} {
		c := idpClaims()
		switch name {
		case "missing":
		case "other case":
			c["https://example.com/Customer_ID"] = v
		default:
			c[claim] = v
		}
		_, err := b.verify(signBy(t, key("es256"), c))
		require.Equal(t, "the token has no customer id: its https://example.com/customer_id claim is missing, empty or not a string", eligo.ErrorMessage(err), name)
	}
}

// TestJWKSRotation pins a key rotation: a token naming a new kid fetches
// the set again (once the floor has passed), and once the old key is gone
// its tokens, verified and cached before, are refused.
func TestJWKSRotation(t *testing.T) {
	t.Parallel()
	b := setupIDP(t, auth.Config{}, key("rsa"))
	old := signBy(t, key("rsa"), idpClaims())
	_, err := b.verify(old)
	require.NoError(t, err)

	b.provider.publish(http.StatusOK, jwks(t, key("rsa2")))
	rotated := signBy(t, key("rsa2"), idpClaims())
	_, err = b.verify(rotated)
	require.Equal(t, "the token is signed with a key (kid) the identity provider does not publish; ask for a new one", eligo.ErrorMessage(err),
		"within the floor of the fetch at start, an unknown kid fetches nothing")
	require.EqualValues(t, 1, b.provider.fetches.Load())

	b.clock.Add(auth.MinKeyRefresh)
	_, err = b.verify(rotated)
	require.NoError(t, err, "the new kid fetched the set again")
	require.EqualValues(t, 2, b.provider.fetches.Load())

	_, err = b.verify(old)
	require.Equal(t, "the token is signed with a key (kid) the identity provider does not publish; ask for a new one", eligo.ErrorMessage(err),
		"a cached token of a removed key is verified again, and refused")
	require.EqualValues(t, 2, b.provider.fetches.Load())
}

// TestJWKSUnknownKidFlood pins the floor: a flood of tokens naming
// unknown keys, sent at once, costs the provider one fetch per
// MinKeyRefresh.
func TestJWKSUnknownKidFlood(t *testing.T) {
	t.Parallel()
	b := setupIDP(t, auth.Config{}, key("rsa"))
	s := key("rsa2")
	tokens := make([]string, 200)
	for i := range tokens {
		s.kid = fmt.Sprintf("bogus-%d", i)
		tokens[i] = signBy(t, s, idpClaims())
	}
	flood := func() {
		codes := make([]string, len(tokens))
		var wg sync.WaitGroup
		for i, tok := range tokens {
			wg.Go(func() {
				_, err := b.verify(tok)
				codes[i] = eligo.ErrorCode(err)
			})
		}
		wg.Wait()
		for _, c := range codes {
			require.Equal(t, eligo.EUNAUTHORIZED, c)
		}
	}
	flood()
	require.EqualValues(t, 1, b.provider.fetches.Load(), "within the floor of the fetch at start: none")
	b.clock.Add(auth.MinKeyRefresh)
	flood()
	require.EqualValues(t, 2, b.provider.fetches.Load(), "past the floor: one for all of them")
	b.clock.Add(auth.MinKeyRefresh - time.Second)
	flood()
	require.EqualValues(t, 2, b.provider.fetches.Load())

	// A known key is verified meanwhile, without a fetch.
	_, err := b.verify(signBy(t, key("rsa"), idpClaims()))
	require.NoError(t, err)
	require.EqualValues(t, 2, b.provider.fetches.Load())
}

// TestTokenSize pins the size limit: a 15 KB token (a provider's, with
// many groups) verifies; a 17 KB one is refused saying why.
func TestTokenSize(t *testing.T) {
	t.Parallel()
	b := setupIDP(t, auth.Config{}, key("rsa"))
	sized := func(n int) string {
		c := idpClaims()
		c["groups"] = ""
		base := len(signBy(t, key("rsa"), c))
		c["groups"] = strings.Repeat("g", (n-base)*3/4) // base64 makes 4 bytes of 3
		tok := signBy(t, key("rsa"), c)
		require.InDelta(t, n, len(tok), 4)
		return tok
	}
	for range 2 { // verified, then from the cache
		p, err := b.verify(sized(15 << 10))
		require.NoError(t, err)
		require.Equal(t, "cust-1", p.CustomerID)
	}
	_, err := b.verify(sized(17 << 10))
	require.Equal(t, eligo.EUNAUTHORIZED, eligo.ErrorCode(err))
	require.Equal(t, "the token is larger than 16384 bytes", eligo.ErrorMessage(err))
}

// TestLeeway pins the clock skew allowed on exp and nbf, and its bound.
func TestLeeway(t *testing.T) {
	t.Parallel()
	clock := now
	a, err := auth.New(auth.Config{CustomerSecret: secret, Leeway: 30 * time.Second, Now: func() time.Time { return clock }})
	require.NoError(t, err)
	tok := sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": "cust-1", "exp": now.Unix(), "nbf": now.Add(20 * time.Second).Unix()})
	p, err := a.Authenticate(request(bearer(tok), ""), 0)
	require.NoError(t, err, "exp just passed and nbf just ahead, both within the leeway")
	require.Equal(t, now.Add(30*time.Second), p.ExpiresAt, "the token is taken until exp plus the leeway")
	clock = now.Add(30 * time.Second)
	_, err = a.Authenticate(request(bearer(tok), ""), 0)
	require.Equal(t, "the token has expired; ask for a new one", eligo.ErrorMessage(err))

	for _, l := range []time.Duration{-time.Second, auth.MaxLeeway + time.Second} {
		_, err = auth.New(auth.Config{Leeway: l})
		require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err))
		require.Contains(t, eligo.ErrorMessage(err), "the customer token leeway must be from 0s to 5m0s")
	}
}

// TestRetiredSecrets pins the rotation of HS256 secrets: tokens signed
// with the new secret and with a retired one verify.
func TestRetiredSecrets(t *testing.T) {
	t.Parallel()
	retired := []byte("retired-secret-0123456789abcdef-0123")
	a, err := auth.New(auth.Config{CustomerSecret: secret, RetiredCustomerSecrets: [][]byte{retired}, Now: func() time.Time { return now }})
	require.NoError(t, err)
	for _, s := range [][]byte{secret, retired} {
		tok, err := auth.MintCustomerToken(s, "cust-1", time.Hour, now)
		require.NoError(t, err)
		_, err = a.Authenticate(request(bearer(tok), ""), 0)
		require.NoError(t, err)
	}
	other, err := auth.MintCustomerToken([]byte("fedcba9876543210fedcba9876543210"), "cust-1", time.Hour, now)
	require.NoError(t, err)
	_, err = a.Authenticate(request(bearer(other), ""), 0)
	require.Equal(t, eligo.EUNAUTHORIZED, eligo.ErrorCode(err))

	_, err = auth.New(auth.Config{CustomerSecret: secret, RetiredCustomerSecrets: [][]byte{[]byte("short")}})
	require.Equal(t, "customer token secret 2 is 5 bytes long; HS256 needs at least 32", eligo.ErrorMessage(err))
}

// TestKeySetStart pins what a JWKS URL that fails at start does: a wrong
// configuration stops the start, naming the URL and what failed; a
// provider that is down does not, and its tokens are 503 until it answers.
func TestKeySetStart(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"not found", http.StatusNotFound, "", "answered 404 Not Found; check --customer-jwks-url"},
		{"not a JWK Set", http.StatusOK, "<html>", "is not a JWK Set"},
		{"no signing key", http.StatusOK, `{"keys":[{"kty":"oct","kid":"h","k":"c2VjcmV0"},{"kty":"RSA","use":"enc","kid":"e","n":"AQAB","e":"AQAB"}]}`,
			`holds no key that can verify tokens (RSA, EC or Ed25519, use "sig"); skipped "h"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t)
			p.publish(tt.status, []byte(tt.body))
			_, err := auth.NewKeySet(t.Context(), auth.KeySetConfig{URL: p.URL})
			require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err), "err: %v", err)
			require.Contains(t, eligo.ErrorMessage(err), "customer JWKS "+p.URL+" ")
			require.Contains(t, eligo.ErrorMessage(err), tt.want)
		})
	}

	_, err := auth.NewKeySet(t.Context(), auth.KeySetConfig{URL: "ftp://idp.example/keys"})
	require.Equal(t, `the customer JWKS URL must be an https:// (or http://) URL, such as https://example.auth0.com/.well-known/jwks.json; got "ftp://idp.example/keys"`, eligo.ErrorMessage(err))

	t.Run("untrusted certificate", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(jwks(t, key("es256"))) }))
		t.Cleanup(srv.Close)
		_, err := auth.NewKeySet(t.Context(), auth.KeySetConfig{URL: srv.URL})
		require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err), "err: %v", err)
		require.Contains(t, eligo.ErrorMessage(err), "its TLS certificate does not verify")
	})

	t.Run("provider down", func(t *testing.T) {
		t.Parallel()
		p := newProvider(t)
		p.publish(http.StatusServiceUnavailable, nil)
		clock := &fakeClock{t: now}
		keys, err := auth.NewKeySet(t.Context(), auth.KeySetConfig{URL: p.URL, Now: clock.Now})
		require.NoError(t, err, "an outage does not stop the start")
		a, err := auth.New(auth.Config{Keys: keys, Now: clock.Now})
		require.NoError(t, err)
		tok := signBy(t, key("es256"), idpClaims())
		_, err = a.Authenticate(request(bearer(tok), ""), 0)
		require.Equal(t, eligo.EUNAVAILABLE, eligo.ErrorCode(err))
		require.Equal(t, "the identity provider's keys could not be fetched yet, so the token cannot be checked; retry shortly", eligo.ErrorMessage(err))

		p.publish(http.StatusOK, jwks(t, key("es256")))
		clock.Add(auth.MinKeyRefresh)
		_, err = a.Authenticate(request(bearer(tok), ""), 0)
		require.NoError(t, err, "the provider is back: the next token past the floor fetches its keys")
	})

	t.Run("provider unreachable", func(t *testing.T) {
		t.Parallel()
		p := newProvider(t)
		p.Close()
		_, err := auth.NewKeySet(t.Context(), auth.KeySetConfig{URL: p.URL})
		require.NoError(t, err, "an outage does not stop the start")
	})
}

// noneWithKid is an unsigned token naming a listed key.
func noneWithKid(t *testing.T) string {
	tok := jwt.NewWithClaims(jwt.SigningMethodNone, idpClaims())
	tok.Header["kid"] = key("rsa").kid
	s, err := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
	require.NoError(t, err)
	return s
}

// TestKeySetFile pins the keys read from a file, and a file that is not a
// JWK Set.
func TestKeySetFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "jwks.json")
	require.NoError(t, os.WriteFile(path, jwks(t, key("ed"), key("rs384")), 0o600))
	keys, err := auth.NewKeySet(t.Context(), auth.KeySetConfig{File: path})
	require.NoError(t, err)
	a, err := auth.New(auth.Config{Keys: keys, Now: func() time.Time { return now }})
	require.NoError(t, err)
	for _, name := range []string{"ed", "rs384"} {
		_, err = a.Authenticate(request(bearer(signBy(t, key(name), idpClaims())), ""), 0)
		require.NoError(t, err, name)
	}
	_, err = a.Authenticate(request(bearer(signBy(t, key("es256"), idpClaims())), ""), 0)
	require.Equal(t, eligo.EUNAUTHORIZED, eligo.ErrorCode(err))

	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"kty":"RSA"}`), 0o600))
	_, err = auth.NewKeySet(t.Context(), auth.KeySetConfig{File: bad})
	require.Equal(t, "the customer JWKS file "+bad+` is not a JWK Set: expected JSON such as {"keys":[{"kty":"RSA","kid":"...","n":"...","e":"AQAB"}]}`, eligo.ErrorMessage(err))
	_, err = auth.NewKeySet(t.Context(), auth.KeySetConfig{File: filepath.Join(dir, "none.json")})
	require.Contains(t, eligo.ErrorMessage(err), "reading the customer JWKS file: ")
}

// TestKeySetRunRefreshes pins the refresh on the interval: a key the
// provider removed is refused once Run has fetched the set again, though
// no token named an unknown key.
func TestKeySetRunRefreshes(t *testing.T) {
	t.Parallel()
	p := newProvider(t, key("rsa"), key("es256"))
	keys, err := auth.NewKeySet(t.Context(), auth.KeySetConfig{URL: p.URL, RefreshInterval: 10 * time.Millisecond})
	require.NoError(t, err)
	a, err := auth.New(auth.Config{Keys: keys, Now: func() time.Time { return now }})
	require.NoError(t, err)
	tok := signBy(t, key("rsa"), idpClaims())
	_, err = a.Authenticate(request(bearer(tok), ""), 0)
	require.NoError(t, err)

	p.publish(http.StatusOK, jwks(t, key("es256")))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- keys.Run(ctx) }()
	require.Eventually(t, func() bool {
		_, err := a.Authenticate(request(bearer(tok), ""), 0)
		return eligo.ErrorCode(err) == eligo.EUNAUTHORIZED
	}, 10*time.Second, 5*time.Millisecond)
	require.GreaterOrEqual(t, p.fetches.Load(), int64(2))
	cancel()
	require.NoError(t, <-done, "Run ends with its context")
}
