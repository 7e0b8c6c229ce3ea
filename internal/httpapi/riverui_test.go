package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// riverUIBundle is the API with a stand-in for River UI that counts the
// requests that reach it.
type riverUIBundle struct {
	h       http.Handler
	reached int
}

func newRiverUIBundle(t *testing.T) *riverUIBundle {
	t.Helper()
	b := &riverUIBundle{}
	ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { b.reached++ })
	b.h = setup(t, setupOpts{riverUI: ui}).handler
	return b
}

func (b *riverUIBundle) serve(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	b.h.ServeHTTP(w, r)
	return w
}

// TestRiverUIRefusesQueryToken pins that River UI takes the service token
// from the Authorization header only (Basic or Bearer), never from the
// access_token query parameter.
func TestRiverUIRefusesQueryToken(t *testing.T) {
	t.Parallel()
	b := newRiverUIBundle(t)
	for _, path := range []string{"/riverui/?access_token=" + serviceToken, "/riverui/api/jobs?access_token=" + serviceToken} {
		w := b.serve(httptest.NewRequest("GET", path, nil))
		require.Equal(t, http.StatusUnauthorized, w.Code, path)
	}
	require.Zero(t, b.reached)

	r := httptest.NewRequest("GET", "/riverui/", nil)
	r.SetBasicAuth("ops", serviceToken)
	require.Equal(t, http.StatusOK, b.serve(r).Code)
	require.Equal(t, 1, b.reached)
	require.Equal(t, http.StatusUnauthorized, b.serve(httptest.NewRequest("GET", "/v1/orders/x", nil)).Code, "the rest goes to the API")
}

// TestRiverUIRefusesCrossSiteWrites pins River UI's CSRF protection: a
// state-changing request that a browser made for another site is 403 (the
// browser would send the Basic credentials it holds), and one with no
// browser evidence of its origin must be JSON (415), which no cross-site
// form or no-cors fetch can send. River UI's own page sends its writes as
// text/plain from the same origin, and gets through.
func TestRiverUIRefusesCrossSiteWrites(t *testing.T) {
	t.Parallel()
	const cancel = "/riverui/api/jobs/cancel"
	tests := []struct {
		name, method, path string
		header             map[string]string
		want               int
	}{
		{"the issue's request", "POST", cancel, map[string]string{"Origin": "https://evil.example", "Content-Type": "text/plain"}, http.StatusForbidden},
		{"cross-site JSON", "POST", cancel, map[string]string{"Origin": "https://evil.example", "Content-Type": "application/json"}, http.StatusForbidden},
		{"Sec-Fetch-Site cross-site", "POST", cancel, map[string]string{"Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"}, http.StatusForbidden},
		{"Sec-Fetch-Site same-site", "POST", cancel, map[string]string{"Sec-Fetch-Site": "same-site", "Content-Type": "application/json"}, http.StatusForbidden},
		{"Origin null", "POST", cancel, map[string]string{"Origin": "null", "Content-Type": "application/json"}, http.StatusForbidden},
		{"cross-site PUT", "PUT", "/riverui/api/queues/default/pause", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"cross-site DELETE", "DELETE", "/riverui/api/jobs/1", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"no origin, text/plain", "POST", cancel, map[string]string{"Content-Type": "text/plain"}, http.StatusUnsupportedMediaType},
		{"no origin, a form", "POST", cancel, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, http.StatusUnsupportedMediaType},
		{"no origin, no content type", "POST", cancel, nil, http.StatusUnsupportedMediaType},
		{"Sec-Fetch-Site none, text/plain", "POST", cancel, map[string]string{"Sec-Fetch-Site": "none", "Content-Type": "text/plain"}, http.StatusUnsupportedMediaType},

		{"no origin, JSON (curl)", "POST", cancel, map[string]string{"Content-Type": "application/json"}, http.StatusOK},
		{"no origin, JSON with a charset", "POST", cancel, map[string]string{"Content-Type": "application/json; charset=utf-8"}, http.StatusOK},
		{"River UI's page: same-origin text/plain", "POST", cancel, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://eligo.test", "Content-Type": "text/plain;charset=UTF-8"}, http.StatusOK},
		{"River UI's page: pause, no body", "PUT", "/riverui/api/queues/default/pause", map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusOK},
		{"own Origin, older browser", "POST", cancel, map[string]string{"Origin": "http://eligo.test", "Content-Type": "text/plain"}, http.StatusOK},
		{"cross-site read", "GET", "/riverui/api/jobs", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newRiverUIBundle(t)
			r := httptest.NewRequest(tt.method, "http://eligo.test"+tt.path, strings.NewReader(`{"ids":["1"]}`))
			r.SetBasicAuth("ops", serviceToken)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			w := b.serve(r)
			require.Equal(t, tt.want, w.Code, "body: %s", w.Body)
			if tt.want != http.StatusOK {
				require.Zero(t, b.reached, "River UI never sees it")
			}
		})
	}
}
