package auth_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strconv"
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
		from    auth.Sources
		want    auth.Principal
		wantErr string // eligo error code
	}{
		{"service token", request(bearer("svc-b"), ""), 0, auth.Principal{Service: true}, ""},
		{"customer token", request(bearer(good), ""), 0, auth.Principal{CustomerID: "cust-1", ExpiresAt: now.Add(time.Hour)}, ""},
		{"query parameter", request(nil, "?action=cancel&access_token="+good), auth.FromQuery, auth.Principal{CustomerID: "cust-1", ExpiresAt: now.Add(time.Hour)}, ""},
		{"session header allowed", request(map[string]string{"X-Session-Token": "svc-a"}, ""), auth.FromSessionHeader, auth.Principal{Service: true}, ""},
		{"session header not allowed", request(map[string]string{"X-Session-Token": "svc-a"}, ""), 0, auth.Principal{}, eligo.EUNAUTHORIZED},
		{"header wins over query", request(bearer("svc-a"), "?access_token="+good), auth.FromQuery, auth.Principal{Service: true}, ""},
		{"query parameter not taken", request(nil, "?access_token="+good), 0, auth.Principal{}, eligo.EUNAUTHORIZED},
		{"query parameter not taken, session header is", request(nil, "?access_token=svc-a"), auth.FromSessionHeader, auth.Principal{}, eligo.EUNAUTHORIZED},
		{"header where the query is not taken", request(bearer("svc-a"), "?access_token=junk"), 0, auth.Principal{Service: true}, ""},
		{"nothing", request(nil, ""), 0, auth.Principal{}, eligo.EUNAUTHORIZED},
		{"empty bearer", request(map[string]string{"Authorization": "Bearer "}, ""), 0, auth.Principal{}, eligo.EUNAUTHORIZED},
		// Pins: an empty configured token must never match an empty one.
		{"empty query token", request(nil, "?access_token="), auth.FromQuery, auth.Principal{}, eligo.EUNAUTHORIZED},
		{"other scheme", request(map[string]string{"Authorization": "Basic c3ZjLWE6"}, ""), 0, auth.Principal{}, eligo.EUNAUTHORIZED},
		{"prefix of a service token", request(bearer("svc-"), ""), 0, auth.Principal{}, eligo.EUNAUTHORIZED},
		{"alg none", request(bearer(sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, jwt.MapClaims{"sub": "cust-1", "exp": exp})), ""), 0, auth.Principal{}, eligo.EUNAUTHORIZED},
		{"HS512 with the secret", request(bearer(sign(t, jwt.SigningMethodHS512, secret, jwt.MapClaims{"sub": "cust-1", "exp": exp})), ""), 0, auth.Principal{}, eligo.EUNAUTHORIZED},
		{"other secret", request(bearer(sign(t, jwt.SigningMethodHS256, []byte("fedcba9876543210fedcba9876543210"), jwt.MapClaims{"sub": "cust-1", "exp": exp})), ""), 0, auth.Principal{}, eligo.EUNAUTHORIZED},
		{"no exp", request(bearer(sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": "cust-1"})), ""), 0, auth.Principal{}, eligo.EUNAUTHORIZED},
		{"no sub", request(bearer(sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"exp": exp})), ""), 0, auth.Principal{}, eligo.EUNAUTHORIZED},
		{"expired", request(bearer(sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": "cust-1", "exp": now.Unix()})), ""), 0, auth.Principal{}, eligo.EUNAUTHORIZED},
		{"not yet valid", request(bearer(sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": "cust-1", "exp": exp, "nbf": exp - 1})), ""), 0, auth.Principal{}, eligo.EUNAUTHORIZED},
		{"garbage", request(bearer("a.b.c"), ""), 0, auth.Principal{}, eligo.EUNAUTHORIZED},
		{"huge", request(bearer(strings.Repeat("a", 10000)), ""), 0, auth.Principal{}, eligo.EUNAUTHORIZED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := a.Authenticate(tt.r, tt.from)
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
		_, err = a.Authenticate(request(bearer(tok), ""), 0)
		require.NoError(t, err)
	}
	clock = now.Add(time.Minute)
	_, err = a.Authenticate(request(bearer(tok), ""), 0)
	require.Equal(t, eligo.EUNAUTHORIZED, eligo.ErrorCode(err))
	require.Equal(t, "the token has expired; ask for a new one", eligo.ErrorMessage(err))
}

// TestTokenSources pins what each refusal says: where a token is taken,
// and that the query parameter is not taken on this route.
func TestTokenSources(t *testing.T) {
	t.Parallel()
	_, err := auth.Token(request(nil, ""), 0)
	require.Equal(t, `credentials are required: send "Authorization: Bearer <token>"`, eligo.ErrorMessage(err))
	_, err = auth.Token(request(nil, "?action=cancel"), auth.FromQuery)
	require.Equal(t, `credentials are required: send "Authorization: Bearer <token>" or the access_token query parameter`, eligo.ErrorMessage(err))
	_, err = auth.Token(request(nil, "?access_token=svc-a"), auth.FromSessionHeader)
	require.Equal(t, eligo.EUNAUTHORIZED, eligo.ErrorCode(err))
	require.Equal(t, `this route does not take the access_token query parameter; send "Authorization: Bearer <token>"`, eligo.ErrorMessage(err))
	tok, err := auth.Token(request(nil, "?access_token=a%2Bb"), auth.FromQuery)
	require.NoError(t, err)
	require.Equal(t, "a+b", tok)
}

func TestNoCustomerSecretAcceptsNoCustomerToken(t *testing.T) {
	t.Parallel()
	a, err := auth.New(auth.Config{ServiceTokens: []string{"svc"}})
	require.NoError(t, err)
	// Signed with an empty key: would verify if the empty secret were used.
	tok := sign(t, jwt.SigningMethodHS256, []byte{}, jwt.MapClaims{"sub": "cust-1", "exp": time.Now().Add(time.Hour).Unix()})
	_, err = a.Authenticate(request(bearer(tok), ""), 0)
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

// TestTimeClaimsMustBeNumbers pins RFC 7519's NumericDate: exp, nbf and iat
// given as strings are refused, even when the string holds a number.
func TestTimeClaimsMustBeNumbers(t *testing.T) {
	t.Parallel()
	clock := now
	a := newAuth(t, &clock)
	exp := now.Add(time.Hour).Unix()
	tests := []struct {
		name   string
		claims jwt.MapClaims
	}{
		{"exp string", jwt.MapClaims{"sub": "cust-1", "exp": strconv.FormatInt(exp, 10)}},
		{"nbf string", jwt.MapClaims{"sub": "cust-1", "exp": exp, "nbf": strconv.FormatInt(now.Unix()-1, 10)}},
		{"iat string", jwt.MapClaims{"sub": "cust-1", "exp": exp, "iat": strconv.FormatInt(now.Unix(), 10)}},
		{"exp bool", jwt.MapClaims{"sub": "cust-1", "exp": true}},
		{"nbf null", jwt.MapClaims{"sub": "cust-1", "exp": exp, "nbf": nil}},
		{"iat object", jwt.MapClaims{"sub": "cust-1", "exp": exp, "iat": map[string]any{}}},
		{"exp in other case", jwt.MapClaims{"sub": "cust-1", "Exp": strconv.FormatInt(exp, 10)}}, // encoding/json matches keys case-insensitively
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.Authenticate(request(bearer(sign(t, jwt.SigningMethodHS256, secret, tt.claims)), ""), 0)
			require.Equal(t, eligo.EUNAUTHORIZED, eligo.ErrorCode(err), "err: %v", err)
			require.Equal(t, "the token's exp, nbf and iat must be numbers (seconds since 1970); ask for a new one", eligo.ErrorMessage(err))
		})
	}
	// The same claims as numbers verify.
	tok := sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": "cust-1", "exp": exp, "nbf": now.Unix() - 1, "iat": float64(now.Unix()) - 0.5})
	p, err := a.Authenticate(request(bearer(tok), ""), 0)
	require.NoError(t, err)
	require.Equal(t, "cust-1", p.CustomerID)
}

// TestNotBefore pins that a token is refused before its nbf, and accepted
// from then on.
func TestNotBefore(t *testing.T) {
	t.Parallel()
	clock := now
	a := newAuth(t, &clock)
	tok := sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": "cust-1", "iat": now.Unix(), "nbf": now.Add(time.Minute).Unix(), "exp": now.Add(time.Hour).Unix()})
	for range 2 { // the refusal is not cached as a success, nor the reverse
		_, err := a.Authenticate(request(bearer(tok), ""), 0)
		require.Equal(t, eligo.EUNAUTHORIZED, eligo.ErrorCode(err))
		require.Equal(t, "the token is not valid yet (its nbf is in the future)", eligo.ErrorMessage(err))
	}
	clock = now.Add(time.Minute)
	p, err := a.Authenticate(request(bearer(tok), ""), 0)
	require.NoError(t, err)
	require.Equal(t, "cust-1", p.CustomerID)
}

// TestLifetimeBound pins the longest accepted lifetime: exp - iat, or
// exp - now when the token has no iat; an iat more than a minute ahead of
// the clock is refused.
func TestLifetimeBound(t *testing.T) {
	t.Parallel()
	clock := now
	a := newAuth(t, &clock) // the default bound, 24 h
	claims := func(iat, exp time.Duration, withIat bool) jwt.MapClaims {
		c := jwt.MapClaims{"sub": "cust-1", "exp": now.Add(exp).Unix()}
		if withIat {
			c["iat"] = now.Add(iat).Unix()
		}
		return c
	}
	tests := []struct {
		name    string
		claims  jwt.MapClaims
		wantMsg string // "" means accepted
	}{
		{"exactly the bound", claims(0, 24*time.Hour, true), ""},
		{"over the bound", claims(0, 24*time.Hour+time.Second, true), "the token's lifetime is over the 24h0m0s this server accepts; ask for a new one"},
		{"issued earlier, over the bound", claims(-2*time.Hour, 23*time.Hour, true), "the token's lifetime is over the 24h0m0s this server accepts; ask for a new one"},
		{"issued earlier, within the bound", claims(-2*time.Hour, 22*time.Hour, true), ""},
		{"no iat, within the bound", claims(0, 24*time.Hour, false), ""},
		{"no iat, over the bound", claims(0, 25*time.Hour, false), "the token's lifetime is over the 24h0m0s this server accepts; ask for a new one"},
		{"114 years", claims(0, 1000000*time.Hour, true), "the token's lifetime is over the 24h0m0s this server accepts; ask for a new one"},
		{"issued a little ahead of our clock", claims(30*time.Second, 24*time.Hour+30*time.Second, true), ""},
		{"issued in the future", claims(2*time.Minute, time.Hour, true), "the token's iat is in the future; check the clocks, and ask for a new one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.Authenticate(request(bearer(sign(t, jwt.SigningMethodHS256, secret, tt.claims)), ""), 0)
			if tt.wantMsg == "" {
				require.NoError(t, err)
				return
			}
			require.Equal(t, eligo.EUNAUTHORIZED, eligo.ErrorCode(err))
			require.Equal(t, tt.wantMsg, eligo.ErrorMessage(err))
		})
	}

	long, err := auth.New(auth.Config{CustomerSecret: secret, MaxCustomerTokenTTL: 48 * time.Hour, Now: func() time.Time { return now }})
	require.NoError(t, err)
	_, err = long.Authenticate(request(bearer(sign(t, jwt.SigningMethodHS256, secret, claims(0, 47*time.Hour, true))), ""), 0)
	require.NoError(t, err, "a configured bound replaces the default")

	_, err = auth.New(auth.Config{CustomerSecret: secret, MaxCustomerTokenTTL: -time.Hour})
	require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err))
}

func TestCheckLifetime(t *testing.T) {
	t.Parallel()
	require.NoError(t, auth.CheckLifetime(time.Hour, 0))
	require.NoError(t, auth.CheckLifetime(24*time.Hour, 0), "zero means the default bound")
	err := auth.CheckLifetime(1000000*time.Hour, 0)
	require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err))
	require.Equal(t, "the token lifetime 1000000h0m0s is over the 24h0m0s the server accepts (--customer-token-max-ttl)", eligo.ErrorMessage(err))
	require.NoError(t, auth.CheckLifetime(48*time.Hour, 48*time.Hour))
	require.Equal(t, eligo.EINVALID, eligo.ErrorCode(auth.CheckLifetime(0, 0)))
}

// TestMintRefusesBadIDs pins that a token is never minted for a customer id
// the API would reject, since that token could never own an order.
func TestMintRefusesBadIDs(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"", "a b", "a/b", "50%", strings.Repeat("x", 1000), "tab\there"} {
		_, err := auth.MintCustomerToken(secret, id, time.Hour, now)
		require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err), "id %q", id)
		require.Equal(t, eligo.ErrorCode(eligo.ValidateID("customer_id", id)), eligo.ErrorCode(err), "the root check decides")
	}
}

// TestFractionalTimesAreHonoured pins RFC 7519's NumericDate, which may be
// fractional: an exp of now+0.5 s was cut to now, so the token died up to
// a second early.
func TestFractionalTimesAreHonoured(t *testing.T) {
	t.Parallel()
	clock := now.Add(300 * time.Millisecond)
	a := newAuth(t, &clock)
	exp := float64(now.Unix()) + 0.5
	tok := sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": "cust-1", "exp": exp, "nbf": float64(now.Unix()) + 0.25})
	p, err := a.Authenticate(request(bearer(tok), ""), 0)
	require.NoError(t, err)
	require.Equal(t, now.Add(500*time.Millisecond), p.ExpiresAt)

	clock = now.Add(500 * time.Millisecond)
	_, err = a.Authenticate(request(bearer(tok), ""), 0)
	require.Equal(t, "the token has expired; ask for a new one", eligo.ErrorMessage(err))

	clock = now.Add(200 * time.Millisecond)
	fresh := newAuth(t, &clock)
	_, err = fresh.Authenticate(request(bearer(tok), ""), 0)
	require.Equal(t, "the token is not valid yet (its nbf is in the future)", eligo.ErrorMessage(err), "a fractional nbf is honoured too")
}

// TestNumericDateForms pins the forms of a JSON number that exp takes: an
// exponent, and a value far beyond any clock, which must read as far in
// the future (refused as too long-lived), not wrap around into the past.
func TestNumericDateForms(t *testing.T) {
	t.Parallel()
	clock := now
	a := newAuth(t, &clock)
	tok := sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": "cust-1", "exp": 1e300})
	_, err := a.Authenticate(request(bearer(tok), ""), 0)
	require.Equal(t, "the token's lifetime is over the 24h0m0s this server accepts; ask for a new one", eligo.ErrorMessage(err))

	// An exponent, which encoding/json never writes but other encoders do.
	exp := time.Unix(1742000000, 500000000).UTC()
	clock = exp.Add(-time.Hour)
	p, err := a.Authenticate(request(bearer(signJSON(t, secret, `{"sub":"cust-1","exp":1.7420000005e9}`)), ""), 0)
	require.NoError(t, err)
	require.Equal(t, exp, p.ExpiresAt)
}

// signJSON returns an HS256 token whose claims are exactly payload.
func signJSON(t *testing.T, key []byte, payload string) string {
	t.Helper()
	enc := base64.RawURLEncoding
	unsigned := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(payload))
	sig, err := jwt.SigningMethodHS256.Sign(unsigned, key)
	require.NoError(t, err)
	return unsigned + "." + enc.EncodeToString(sig)
}
