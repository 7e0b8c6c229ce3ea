package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
	"github.com/eligo/eligo/internal/engine"
	"github.com/eligo/eligo/internal/httpapi"
	"github.com/eligo/eligo/internal/readmodel"
	"github.com/eligo/eligo/internal/sqlite"
)

// River UI and the demo page are routes of the API like the others, with
// their access rules in routes.go: River UI takes a service token (as the
// Basic password or a Bearer token), the demo page is open to anyone, and
// neither is routed when not given.
func TestRiverUIAndDemoPageRoutes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, &sqlite.Config{Path: filepath.Join(t.TempDir(), "eligo.db")})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	eng, err := engine.New(engine.Config{Store: st, ReadModel: readmodel.NewMemory(), Policy: eligo.DefaultPolicy()})
	require.NoError(t, err)
	a, err := auth.New(auth.Config{ServiceTokens: []string{serviceToken}, CustomerSecret: customerSecret})
	require.NoError(t, err)
	named := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, name+" "+r.URL.Path) })
	}
	h, err := httpapi.NewServer(httpapi.Deps{Engine: eng, Auth: a, RiverUI: named("riverui"), DemoPage: named("demo")})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string, set func(*http.Request)) (int, string, http.Header) {
		t.Helper()
		req, err := http.NewRequest("GET", srv.URL+path, nil)
		require.NoError(t, err)
		if set != nil {
			set(req)
		}
		resp, err := noRedirect.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), resp.Header
	}

	code, _, hdr := get("/riverui/", nil)
	require.Equal(t, http.StatusUnauthorized, code)
	require.Contains(t, hdr.Get("WWW-Authenticate"), "Basic")
	customer, err := auth.MintCustomerToken(customerSecret, "cust-1", time.Hour, time.Now())
	require.NoError(t, err)
	code, _, _ = get("/riverui/", func(r *http.Request) { r.SetBasicAuth("ops", customer) })
	require.Equal(t, http.StatusUnauthorized, code, "a customer token may not open River UI")
	code, body, _ := get("/riverui/jobs", func(r *http.Request) { r.SetBasicAuth("ops", serviceToken) })
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "riverui /riverui/jobs", body)
	code, body, _ = get("/riverui/api/jobs", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+serviceToken) })
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "riverui /riverui/api/jobs", body)
	code, _, hdr = get("/riverui", nil)
	require.Equal(t, http.StatusMovedPermanently, code)
	require.Equal(t, "/riverui/", hdr.Get("Location"))

	code, body, _ = get("/demo/index.html", nil)
	require.Equal(t, http.StatusOK, code, "the demo page takes no credentials")
	require.Equal(t, "demo /demo/index.html", body)
	code, body, _ = get("/demo", nil)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "demo /demo", body)

	// Without them, the paths are misses like any other.
	h, err = httpapi.NewServer(httpapi.Deps{Engine: eng, Auth: a})
	require.NoError(t, err)
	for _, path := range []string{"/riverui/", "/demo/"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		require.Equal(t, http.StatusNotFound, rec.Code, path)
		require.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))
	}
}
