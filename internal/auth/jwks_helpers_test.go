package auth_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo/internal/auth"
)

// signer is a private key of the test identity provider and the kid and
// alg it publishes the public key under.
type signer struct {
	kid    string
	alg    string // "" publishes the key without alg
	method jwt.SigningMethod
	key    crypto.Signer
}

// The test provider's keys, made once: RSA key generation is slow.
var testKeys = sync.OnceValue(func() map[string]signer {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	otherRSA, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	return map[string]signer{
		"rsa":   {"rsa-1", "RS256", jwt.SigningMethodRS256, rsaKey},
		"rs384": {"rsa-384", "RS384", jwt.SigningMethodRS384, rsaKey},
		"ps256": {"rsa-pss", "PS256", jwt.SigningMethodPS256, rsaKey},
		"es256": {"ec-256", "ES256", jwt.SigningMethodES256, p256},
		"es384": {"ec-384", "", jwt.SigningMethodES384, p384}, // no alg: the curve decides
		"ed":    {"ed-1", "EdDSA", jwt.SigningMethodEdDSA, ed},
		"rsa2":  {"rsa-2", "RS256", jwt.SigningMethodRS256, otherRSA},
	}
})

func key(name string) signer { return testKeys()[name] }

// jwks is a JWK Set as the provider publishes it.
func jwks(t testing.TB, signers ...signer) []byte {
	t.Helper()
	var set jwkset.JWKSMarshal
	for _, s := range signers {
		j, err := jwkset.NewJWKFromKey(s.key.Public(), jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{
			KID: s.kid, ALG: jwkset.ALG(s.alg), USE: jwkset.UseSig}})
		require.NoError(t, err)
		set.Keys = append(set.Keys, j.Marshal())
	}
	b, err := json.Marshal(set)
	require.NoError(t, err)
	return b
}

// provider is a JWKS endpoint whose answer the test changes, counting
// the fetches.
type provider struct {
	*httptest.Server
	fetches atomic.Int64
	mu      sync.Mutex
	status  int
	body    []byte
}

func newProvider(t testing.TB, signers ...signer) *provider {
	p := &provider{status: http.StatusOK, body: jwks(t, signers...)}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.fetches.Add(1)
		p.mu.Lock()
		status, body := p.status, p.body
		p.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(p.Close)
	return p
}

// publish makes the provider answer status with body.
func (p *provider) publish(status int, body []byte) {
	p.mu.Lock()
	p.status, p.body = status, body
	p.mu.Unlock()
}

// idpBundle is an Authenticator that takes the provider's tokens, on a
// clock the test moves.
type idpBundle struct {
	provider *provider
	keys     *auth.KeySet
	auth     *auth.Authenticator
	clock    *fakeClock
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// setupIDP starts a provider publishing signers and an Authenticator that
// takes its tokens, configured by cfg (Keys and Now are set here).
func setupIDP(t *testing.T, cfg auth.Config, signers ...signer) *idpBundle {
	t.Helper()
	b := &idpBundle{provider: newProvider(t, signers...), clock: &fakeClock{t: now}}
	var err error
	b.keys, err = auth.NewKeySet(t.Context(), auth.KeySetConfig{URL: b.provider.URL, Now: b.clock.Now})
	require.NoError(t, err)
	cfg.Keys, cfg.Now = b.keys, b.clock.Now
	b.auth, err = auth.New(cfg)
	require.NoError(t, err)
	return b
}

// idpClaims are the claims of a provider's token for cust-1, valid for an
// hour from now.
func idpClaims() jwt.MapClaims {
	return jwt.MapClaims{"iss": "https://idp.example/", "aud": []string{"eligo-api", "other"},
		"sub": "cust-1", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
}

// signBy signs claims with s, naming its kid.
func signBy(t testing.TB, s signer, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(s.method, claims)
	tok.Header["kid"] = s.kid
	out, err := tok.SignedString(s.key)
	require.NoError(t, err)
	return out
}

// verify verifies tok as a bearer token.
func (b *idpBundle) verify(tok string) (auth.Principal, error) {
	return b.auth.Authenticate(request(bearer(tok), ""), 0)
}
