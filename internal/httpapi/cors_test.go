package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo/internal/auth"
	"github.com/eligo/eligo/internal/httpapi"
)

const appOrigin = "https://app.example.com"

// corsHeaders returns the response's Access-Control-* headers.
func corsHeaders(h http.Header) http.Header {
	out := http.Header{}
	for k, v := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			out[k] = v
		}
	}
	return out
}

// A browser app on an allowed origin gets its preflights granted on the
// customer routes and may read their answers, errors included; other
// origins get nothing, and every answer varies by Origin.
func TestCORSAllowsTheConfiguredOrigins(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{live: true, corsOrigins: []string{appOrigin, "http://localhost:3000"}})
	b.createOrder(t, "ord-cors", "cust-cors", t0.Add(time.Hour))
	tok := b.customerToken(t, "cust-cors")

	preflights := []struct{ path, method string }{
		{"/v1/orders/ord-cors/eligibility", http.MethodGet},
		{"/v1/orders/ord-cors/cancel", http.MethodPost},
		{"/v1/orders/ord-cors/actions/cancel", http.MethodPost},
		{"/v1/orders/ord-cors/live", http.MethodGet},
	}
	for _, p := range preflights {
		t.Run("preflight "+p.method+" "+p.path, func(t *testing.T) {
			ask := func(origin, method string) *response {
				return b.do(t, req{method: http.MethodOptions, path: p.path, header: map[string]string{
					"Origin": origin, "Access-Control-Request-Method": method,
					"Access-Control-Request-Headers": "authorization,if-none-match,if-match,content-type",
				}})
			}
			resp := ask(appOrigin, p.method)
			require.Equal(t, http.StatusNoContent, resp.StatusCode, "body: %s", resp.body)
			require.Equal(t, appOrigin, resp.Header.Get("Access-Control-Allow-Origin"))
			require.Equal(t, p.method, resp.Header.Get("Access-Control-Allow-Methods"))
			for _, h := range []string{"Authorization", "If-None-Match", "If-Match", "Content-Type"} {
				require.Contains(t, resp.Header.Get("Access-Control-Allow-Headers"), h)
			}
			require.Equal(t, "600", resp.Header.Get("Access-Control-Max-Age"))
			require.Empty(t, resp.Header.Get("Access-Control-Allow-Credentials"), "credentials are never allowed")
			require.Contains(t, resp.Header.Get("Vary"), "Origin")
			require.Empty(t, resp.body)

			// Another origin, or another method: no permission at all.
			for _, denied := range [][2]string{{"https://evil.example.com", p.method}, {appOrigin, http.MethodDelete}, {"", p.method}} {
				resp := ask(denied[0], denied[1])
				require.Equal(t, http.StatusNoContent, resp.StatusCode)
				require.Empty(t, corsHeaders(resp.Header), "origin %q asking for %s", denied[0], denied[1])
				require.Contains(t, resp.Header.Get("Vary"), "Origin")
			}
		})
	}

	eligibility := func(origin, token string) *response {
		h := map[string]string{}
		if origin != "" {
			h["Origin"] = origin
		}
		return b.do(t, req{method: http.MethodGet, path: "/v1/orders/ord-cors/eligibility", token: token, header: h})
	}
	resp := eligibility(appOrigin, tok)
	require.Equal(t, http.StatusOK, resp.StatusCode, "body: %s", resp.body)
	require.Equal(t, appOrigin, resp.Header.Get("Access-Control-Allow-Origin"))
	require.Equal(t, "ETag, Retry-After, X-Request-Id", resp.Header.Get("Access-Control-Expose-Headers"))
	require.Equal(t, "Origin", resp.Header.Get("Vary"))
	require.NotEmpty(t, resp.Header.Get("ETag"))

	// The second allowed origin, and one written with other case or a
	// default port as it was configured, match as a browser sends them.
	require.Equal(t, "http://localhost:3000", eligibility("http://localhost:3000", tok).Header.Get("Access-Control-Allow-Origin"))

	for _, origin := range []string{"https://evil.example.com", "", "https://app.example.com:8443", "http://app.example.com"} {
		resp := eligibility(origin, tok)
		require.Equal(t, http.StatusOK, resp.StatusCode, "origin %q", origin)
		require.Empty(t, corsHeaders(resp.Header), "origin %q", origin)
		require.Equal(t, "Origin", resp.Header.Get("Vary"), "origin %q: a cache must not hand one origin's answer to another", origin)
	}

	// An error is readable by the allowed page, so it can act on it.
	resp = eligibility(appOrigin, "")
	requireProblem(t, resp, http.StatusUnauthorized)
	require.Equal(t, appOrigin, resp.Header.Get("Access-Control-Allow-Origin"))

	cancel := b.do(t, req{method: http.MethodPost, path: "/v1/orders/ord-cors/cancel", token: tok, header: map[string]string{"Origin": appOrigin}})
	require.Equal(t, appOrigin, cancel.Header.Get("Access-Control-Allow-Origin"), "status %d, body %s", cancel.StatusCode, cancel.body)
	action := b.do(t, req{method: http.MethodPost, path: "/v1/orders/ord-cors/actions/cancel", token: tok, header: map[string]string{"Origin": appOrigin}})
	require.Equal(t, appOrigin, action.Header.Get("Access-Control-Allow-Origin"), "status %d, body %s", action.StatusCode, action.body)

	// The service routes are not for browsers on other origins.
	order := b.do(t, req{method: http.MethodGet, path: "/v1/orders/ord-cors", token: serviceToken, header: map[string]string{"Origin": appOrigin}})
	require.Equal(t, http.StatusOK, order.StatusCode)
	require.Empty(t, corsHeaders(order.Header))
	create := b.do(t, req{method: http.MethodOptions, path: "/v1/orders", header: map[string]string{"Origin": appOrigin, "Access-Control-Request-Method": "POST"}})
	requireProblem(t, create, http.StatusMethodNotAllowed)
	require.Empty(t, corsHeaders(create.Header))
}

// Off by default: no CORS header at all, and OPTIONS is not routed.
func TestCORSIsOffByDefault(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{live: true})
	b.createOrder(t, "ord-nocors", "cust-nocors", t0.Add(time.Hour))
	resp := b.do(t, req{method: http.MethodGet, path: "/v1/orders/ord-nocors/eligibility", token: b.customerToken(t, "cust-nocors"),
		header: map[string]string{"Origin": appOrigin}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Empty(t, corsHeaders(resp.Header))
	require.Empty(t, resp.Header.Values("Vary"))

	pre := b.do(t, req{method: http.MethodOptions, path: "/v1/orders/ord-nocors/eligibility",
		header: map[string]string{"Origin": appOrigin, "Access-Control-Request-Method": "GET"}})
	requireProblem(t, pre, http.StatusMethodNotAllowed)
	require.Empty(t, corsHeaders(pre.Header))
}

func TestParseCORSOrigins(t *testing.T) {
	t.Parallel()
	got, err := httpapi.ParseCORSOrigins(" https://App.Example.com:443, http://localhost:3000 ,,HTTP://[::1]:80, https://a.example.com/")
	require.NoError(t, err)
	require.Equal(t, []string{"https://app.example.com", "http://localhost:3000", "http://[::1]", "https://a.example.com"}, got)

	none, err := httpapi.ParseCORSOrigins("")
	require.NoError(t, err)
	require.Empty(t, none)

	for _, tt := range []struct{ name, in, want string }{
		{"the wildcard", "*", `CORS origin "*" is not allowed`},
		{"a wildcard among others", appOrigin + ",*", `CORS origin "*" is not allowed`},
		{"a wildcard host", "https://*.example.com", "wildcards are not allowed"},
		{"the null origin", "null", `CORS origin "null" is not an origin`},
		{"no scheme", "app.example.com", `CORS origin "app.example.com" is not an origin`},
		{"another scheme", "ftp://app.example.com", "the scheme must be http or https"},
		{"a path", "https://app.example.com/app", "more than scheme, host and port"},
		{"a query", "https://app.example.com?x=1", "more than scheme, host and port"},
		{"credentials", "https://user:pw@app.example.com", "more than scheme, host and port"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := httpapi.ParseCORSOrigins(tt.in)
			require.ErrorContains(t, err, tt.want)
			require.ErrorContains(t, err, "https://app.example.com", "the message shows the form expected")
		})
	}
}

// NewServer refuses what ParseCORSOrigins refuses, for callers that build
// Deps themselves.
func TestNewServerRefusesAWildcardOrigin(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a, err := auth.New(auth.Config{ServiceTokens: []string{serviceToken}, CustomerSecret: customerSecret})
	require.NoError(t, err)
	_, err = httpapi.NewServer(httpapi.Deps{Engine: b.engine, Auth: a, CORSOrigins: []string{"*"}})
	require.ErrorContains(t, err, `CORS origin "*" is not allowed`)
}
