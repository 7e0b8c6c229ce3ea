package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
)

// TestServeTakesIdentityProviderTokens pins serve with
// --customer-jwks-url: an RS256 token of the provider, with the issuer and
// audience set, reads its customer's eligibility; its issuer and audience
// are checked; the HS256 secret still works.
func TestServeTakesIdentityProviderTokens(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	jwk, err := jwkset.NewJWKFromKey(&key.PublicKey, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: "k1", ALG: jwkset.AlgRS256, USE: jwkset.UseSig}})
	require.NoError(t, err)
	set, err := json.Marshal(jwkset.JWKSMarshal{Keys: []jwkset.JWKMarshal{jwk.Marshal()}})
	require.NoError(t, err)
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "/.well-known/jwks.json", r.URL.Path)
		w.Write(set)
	}))
	t.Cleanup(idp.Close)
	issuer := idp.URL + "/"
	token := func(sub, aud string) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": issuer, "aud": aud, "sub": "auth0|x",
			"https://example.com/customer_id": sub, "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()})
		tok.Header["kid"] = "k1"
		s, err := tok.SignedString(key)
		require.NoError(t, err)
		return s
	}

	srv := startServe(t, t.TempDir(), testEnv(map[string]string{
		"ELIGO_CUSTOMER_JWKS_URL":       idp.URL + "/.well-known/jwks.json",
		"ELIGO_CUSTOMER_TOKEN_ISSUER":   issuer,
		"ELIGO_CUSTOMER_TOKEN_AUDIENCE": "https://eligo.example/api",
	}), "--customer-id-claim", "https://example.com/customer_id")
	const svc = "svc-test-token-for-the-cmd-tests"
	require.Equal(t, http.StatusCreated, call(t, "POST", srv.url+"/v1/orders", svc, map[string]any{"id": "ord-1", "customer_id": "cust-9", "promised_at": "2099-01-01T00:00:00Z"}, nil))

	var doc eligibilityDoc
	require.Equal(t, http.StatusOK, call(t, "GET", srv.url+"/v1/orders/ord-1/eligibility", token("cust-9", "https://eligo.example/api"), nil, &doc))
	require.Equal(t, int64(1), doc.Version)
	require.Equal(t, http.StatusForbidden, call(t, "GET", srv.url+"/v1/orders/ord-1/eligibility", token("cust-8", "https://eligo.example/api"), nil, nil),
		"another customer's token")
	var problem map[string]any
	require.Equal(t, http.StatusUnauthorized, call(t, "GET", srv.url+"/v1/orders/ord-1/eligibility", token("cust-9", "https://other.example/api"), nil, &problem))
	require.Equal(t, "the token's audience (aud) does not name this server's", problem["detail"])

	var out strings.Builder
	require.NoError(t, run(context.Background(), []string{"eligo", "token", "customer", "--data-dir", t.TempDir(), "--customer", "cust-9"}, testEnv(nil), &out, io.Discard))
	require.Equal(t, http.StatusOK, call(t, "GET", srv.url+"/v1/orders/ord-1/eligibility", strings.TrimSpace(out.String()), nil, nil), "the HS256 secret works beside the provider")
}

// TestServeCustomerJWKSMistakes pins what a wrong identity provider
// setting prints: the start stops, naming the setting or the URL and what
// failed.
func TestServeCustomerJWKSMistakes(t *testing.T) {
	t.Parallel()
	idp := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(idp.Close)
	tests := []struct {
		name   string
		env    map[string]string
		status int
		want   string
	}{
		{"issuer without a provider", map[string]string{"ELIGO_CUSTOMER_TOKEN_ISSUER": "https://idp.example/"}, 2,
			"--customer-token-issuer applies to identity provider tokens: set --customer-jwks-url or --customer-jwks-file too"},
		{"leeway too large", map[string]string{"ELIGO_CUSTOMER_TOKEN_LEEWAY": "10m"}, 2,
			"--customer-token-leeway 10m0s: at most 5m0s; a larger skew is a clock to fix"},
		{"URL not found", map[string]string{"ELIGO_CUSTOMER_JWKS_URL": idp.URL + "/jwks"}, 1,
			"customer tokens: customer JWKS " + idp.URL + "/jwks answered 404 Not Found; check --customer-jwks-url"},
		{"file missing", map[string]string{"ELIGO_CUSTOMER_JWKS_FILE": "/nonexistent/jwks.json"}, 1,
			"customer tokens: reading the customer JWKS file: open /nonexistent/jwks.json: no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stderr strings.Builder
			err := run(context.Background(), []string{"eligo", "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, testEnv(tt.env), io.Discard, io.Discard)
			require.Error(t, err)
			require.Equal(t, tt.status, exitStatus(err, &stderr))
			require.Contains(t, stderr.String(), tt.want)
		})
	}
}

// TestRetiredCustomerSecret pins the rotation of the HS256 secret:
// ELIGO_CUSTOMER_TOKEN_SECRET lists the new one first; tokens signed with
// either verify, and eligo token customer signs with the new one.
func TestRetiredCustomerSecret(t *testing.T) {
	t.Parallel()
	const newSecret, oldSecret = "new-secret-0123456789abcdef012345", "0123456789abcdef0123456789abcdef"
	rotated := testEnv(map[string]string{"ELIGO_CUSTOMER_TOKEN_SECRET": newSecret + "," + oldSecret})
	mint := func(env func(string) string) string {
		var out strings.Builder
		require.NoError(t, run(context.Background(), []string{"eligo", "token", "customer", "--data-dir", t.TempDir(), "--customer", "c"}, env, &out, io.Discard))
		return strings.TrimSpace(out.String())
	}
	before, after := mint(testEnv(nil)), mint(rotated)
	srv := startServe(t, t.TempDir(), rotated)
	const svc = "svc-test-token-for-the-cmd-tests"
	require.Equal(t, http.StatusCreated, call(t, "POST", srv.url+"/v1/orders", svc, map[string]any{"id": "o", "customer_id": "c", "promised_at": "2099-01-01T00:00:00Z"}, nil))
	require.Equal(t, http.StatusOK, call(t, "GET", srv.url+"/v1/orders/o/eligibility", before, nil, nil), "signed with the retired secret")
	require.Equal(t, http.StatusOK, call(t, "GET", srv.url+"/v1/orders/o/eligibility", after, nil, nil), "signed with the new one")

	old := startServe(t, t.TempDir(), testEnv(nil))
	require.Equal(t, http.StatusCreated, call(t, "POST", old.url+"/v1/orders", svc, map[string]any{"id": "o", "customer_id": "c", "promised_at": "2099-01-01T00:00:00Z"}, nil))
	require.Equal(t, http.StatusUnauthorized, call(t, "GET", old.url+"/v1/orders/o/eligibility", after, nil, nil), "eligo token signed with the new secret")
}

// TestServeStartsWhenProviderIsDown pins the outage at start: serve
// starts, warns, and answers the provider's tokens 503 with Retry-After
// (this server cannot check them), while service tokens work.
func TestServeStartsWhenProviderIsDown(t *testing.T) {
	t.Parallel()
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	}))
	t.Cleanup(idp.Close)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"sub": "cust-9", "exp": time.Now().Add(time.Hour).Unix()})
	tok.Header["kid"] = "k1"
	signed, err := tok.SignedString(key)
	require.NoError(t, err)

	srv := startServe(t, t.TempDir(), testEnv(map[string]string{"ELIGO_CUSTOMER_JWKS_URL": idp.URL, "ELIGO_CUSTOMER_TOKEN_ISSUER": "https://idp.example/"}))
	require.Contains(t, srv.output.String(), "customer JWKS unreachable at start")
	const svc = "svc-test-token-for-the-cmd-tests"
	require.Equal(t, http.StatusCreated, call(t, "POST", srv.url+"/v1/orders", svc, map[string]any{"id": "ord-1", "customer_id": "cust-9", "promised_at": "2099-01-01T00:00:00Z"}, nil))
	req, err := http.NewRequest("GET", srv.url+"/v1/orders/ord-1/eligibility", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+signed)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.NotEmpty(t, resp.Header.Get("Retry-After"))
}
