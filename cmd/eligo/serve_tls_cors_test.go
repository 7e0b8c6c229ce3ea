package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo/internal/auth"
	"github.com/eligo/eligo/internal/testenv"
)

// eligo serve on PostgreSQL over TLS (sslmode=verify-full with the
// server's CA) with --cors-origins: it starts, stores an order, and a
// browser app on the listed origin gets its preflight granted and may
// read the eligibility.
func TestServeOnPostgresOverTLSWithCORS(t *testing.T) {
	t.Parallel()
	pt := testenv.PostgresTLSServer(t)
	const app = "https://app.example.com"
	env := testEnv(map[string]string{
		"ELIGO_POSTGRES_URL": pt.URL(pt.Host, "verify-full", pt.CAFile),
		"ELIGO_CORS_ORIGINS": app,
	})
	rs := startServe(t, t.TempDir(), env)
	require.Contains(t, rs.output.String(), `"store":"postgres postgres://postgres@`+pt.Host+`:5432/`)

	do := func(method, path, token, body string, header map[string]string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, rs.url+path, strings.NewReader(body))
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	now := time.Now().UTC()
	resp := do(http.MethodPost, "/v1/orders", env("ELIGO_SERVICE_TOKENS"), `{"id":"tls-1","customer_id":"cust-tls","placed_at":"`+
		now.Add(-time.Minute).Format(time.RFC3339)+`","promised_at":"`+now.Add(time.Hour).Format(time.RFC3339)+`"}`, map[string]string{"Content-Type": "application/json"})
	require.Equal(t, http.StatusCreated, resp.StatusCode)

	pre := do(http.MethodOptions, "/v1/orders/tls-1/eligibility", "", "", map[string]string{
		"Origin": app, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"})
	require.Equal(t, http.StatusNoContent, pre.StatusCode)
	require.Equal(t, app, pre.Header.Get("Access-Control-Allow-Origin"))

	token, err := auth.MintCustomerToken([]byte(env("ELIGO_CUSTOMER_TOKEN_SECRET")), "cust-tls", time.Hour, time.Now())
	require.NoError(t, err)
	got := do(http.MethodGet, "/v1/orders/tls-1/eligibility", token, "", map[string]string{"Origin": app})
	require.Equal(t, http.StatusOK, got.StatusCode)
	require.Equal(t, app, got.Header.Get("Access-Control-Allow-Origin"))
	require.Contains(t, got.Header.Get("Access-Control-Expose-Headers"), "ETag")
}
