package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo/internal/auth"
)

// riverUIBundle is withRiverUI around a stand-in for River UI that counts
// the requests that reach it.
type riverUIBundle struct {
	h       http.Handler
	reached int
}

func newRiverUIBundle(t *testing.T) *riverUIBundle {
	t.Helper()
	a, err := auth.New(auth.Config{ServiceTokens: []string{jobsTestToken}})
	require.NoError(t, err)
	b := &riverUIBundle{}
	ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { b.reached++ })
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	b.h = withRiverUI(api, ui, a)
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
	for _, path := range []string{"/riverui/?access_token=" + jobsTestToken, "/riverui/api/jobs?access_token=" + jobsTestToken} {
		w := b.serve(httptest.NewRequest("GET", path, nil))
		require.Equal(t, http.StatusUnauthorized, w.Code, path)
	}
	require.Zero(t, b.reached)

	r := httptest.NewRequest("GET", "/riverui/", nil)
	r.SetBasicAuth("ops", jobsTestToken)
	require.Equal(t, http.StatusOK, b.serve(r).Code)
	require.Equal(t, 1, b.reached)
	require.Equal(t, http.StatusTeapot, b.serve(httptest.NewRequest("GET", "/v1/orders/x", nil)).Code, "the rest goes to the API")
}
