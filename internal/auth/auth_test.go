package auth_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
)

var (
	secret = []byte("0123456789abcdef0123456789abcdef")
	now    = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
)

func newAuth(t *testing.T, clock *time.Time) *auth.Authenticator {
	t.Helper()
	a, err := auth.New(auth.Config{
		ServiceTokens:  []string{"svc-a", "", "svc-b"},
		CustomerSecret: secret,
		Now:            func() time.Time { return *clock },
	})
	require.NoError(t, err)
	return a
}

func request(header map[string]string, query string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/v1/orders/o/eligibility"+query, nil)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	return r
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

// sign signs claims with any method and key, for tokens eligo would not mint.
func sign(t *testing.T, m jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, claims).SignedString(key)
	require.NoError(t, err)
	return s
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	clock := now
	a := newAuth(t, &clock)
	good, err := auth.MintCustomerToken(secret, "cust-1", time.Hour, now)
	require.NoError(t, err)
	exp := now.Add(time.Hour).Unix()

	tests := []struct {
		name    string
		r       *http.Request
		session bool
		want    auth.Principal
		wantErr string // eligo error code
	}{
		{"service token", request(bearer("svc-b"), ""), false, auth.Principal{Service: true}, ""},
		{"customer token", request(bearer(good), ""), false, auth.Principal{CustomerID: "cust-1", ExpiresAt: now.Add(time.Hour)}, ""},
		{"query parameter", request(nil, "?action=cancel&access_token="+good), false, auth.Principal{CustomerID: "cust-1", ExpiresAt: now.Add(time.Hour)}, ""},
		{"session header allowed", request(map[string]string{"X-Session-Token": "svc-a"}, ""), true, auth.Principal{Service: true}, ""},
		{"session header not allowed", request(map[string]string{"X-Session-Token": "svc-a"}, ""), false, auth.Principal{}, eligo.EUNAUTHORIZED},
		{"header wins over query", request(bearer("svc-a"), "?access_token="+good), false, auth.Principal{Service: true}, ""},
		{"nothing", request(nil, ""), false, auth.Principal{}, eligo.EUNAUTHORIZED},
		{"empty bearer", request(map[string]string{"Authorization": "Bearer "}, ""), false, auth.Principal{}, eligo.EUNAUTHORIZED},
		// Pins: an empty configured token must never match an empty one.
		{"empty query token", request(nil, "?access_token="), false, auth.Principal{}, eligo.EUNAUTHORIZED},
		{"other scheme", request(map[string]string{"Authorization": "Basic c3ZjLWE6"}, ""), false, auth.Principal{}, eligo.EUNAUTHORIZED},
		{"prefix of a service token", request(bearer("svc-"), ""), false, auth.Principal{}, eligo.EUNAUTHORIZED},
		{"alg none", request(bearer(sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, jwt.MapClaims{"sub": "cust-1", "exp": exp})), ""), false, auth.Principal{}, eligo.EUNAUTHORIZED},
		{"HS512 with the secret", request(bearer(sign(t, jwt.SigningMethodHS512, secret, jwt.MapClaims{"sub": "cust-1", "exp": exp})), ""), false, auth.Principal{}, eligo.EUNAUTHORIZED},
		{"other secret", request(bearer(sign(t, jwt.SigningMethodHS256, []byte("fedcba9876543210fedcba9876543210"), jwt.MapClaims{"sub": "cust-1", "exp": exp})), ""), false, auth.Principal{}, eligo.EUNAUTHORIZED},
		{"no exp", request(bearer(sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": "cust-1"})), ""), false, auth.Principal{}, eligo.EUNAUTHORIZED},
		{"no sub", request(bearer(sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"exp": exp})), ""), false, auth.Principal{}, eligo.EUNAUTHORIZED},
		{"expired", request(bearer(sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": "cust-1", "exp": now.Unix()})), ""), false, auth.Principal{}, eligo.EUNAUTHORIZED},
		{"not yet valid", request(bearer(sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": "cust-1", "exp": exp, "nbf": exp - 1})), ""), false, auth.Principal{}, eligo.EUNAUTHORIZED},
		{"garbage", request(bearer("a.b.c"), ""), false, auth.Principal{}, eligo.EUNAUTHORIZED},
		{"huge", request(bearer(strings.Repeat("a", 10000)), ""), false, auth.Principal{}, eligo.EUNAUTHORIZED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := a.Authenticate(tt.r, tt.session)
			if tt.wantErr != "" {
				require.Equal(t, tt.wantErr, eligo.ErrorCode(err), "err: %v", err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, p)
		})
	}
}

// TestCachedTokenExpires pins that a token verified once (and cached) is
// still refused once it expires.
func TestCachedTokenExpires(t *testing.T) {
	t.Parallel()
	clock := now
	a := newAuth(t, &clock)
	tok, err := auth.MintCustomerToken(secret, "cust-1", time.Minute, now)
	require.NoError(t, err)
	for range 2 {
		_, err = a.Authenticate(request(bearer(tok), ""), false)
		require.NoError(t, err)
	}
	clock = now.Add(time.Minute)
	_, err = a.Authenticate(request(bearer(tok), ""), false)
	require.Equal(t, eligo.EUNAUTHORIZED, eligo.ErrorCode(err))
	require.Equal(t, "the token has expired; ask for a new one", eligo.ErrorMessage(err))
}

func TestNoCustomerSecretAcceptsNoCustomerToken(t *testing.T) {
	t.Parallel()
	a, err := auth.New(auth.Config{ServiceTokens: []string{"svc"}})
	require.NoError(t, err)
	// Signed with an empty key: would verify if the empty secret were used.
	tok := sign(t, jwt.SigningMethodHS256, []byte{}, jwt.MapClaims{"sub": "cust-1", "exp": time.Now().Add(time.Hour).Unix()})
	_, err = a.Authenticate(request(bearer(tok), ""), false)
	require.Equal(t, eligo.EUNAUTHORIZED, eligo.ErrorCode(err))
}

func TestConfigAndMintErrors(t *testing.T) {
	t.Parallel()
	_, err := auth.New(auth.Config{CustomerSecret: []byte("short")})
	require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err))

	_, err = auth.MintCustomerToken([]byte("short"), "c", time.Hour, now)
	require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err))
	_, err = auth.MintCustomerToken(secret, "", time.Hour, now)
	require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err))
	_, err = auth.MintCustomerToken(secret, "c", 0, now)
	require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err))
}

func TestPrincipal(t *testing.T) {
	t.Parallel()
	svc := auth.Principal{Service: true}
	cust := auth.Principal{CustomerID: "c1"}
	require.True(t, svc.Owns("anyone"))
	require.True(t, cust.Owns("c1"))
	require.False(t, cust.Owns("c2"))
	require.False(t, auth.Principal{}.Owns(""), "the zero principal owns nothing")
	require.Equal(t, "service", svc.Who())
	require.Equal(t, "customer:c1", cust.Who())
}
