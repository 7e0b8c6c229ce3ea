package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestUncleanPathsAreNotRedirected pins that a path with "." or ".."
// segments or doubled slashes is a problem+json 404, where net/http's mux
// would answer a 307 with an HTML body (and a client would follow it).
func TestUncleanPathsAreNotRedirected(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createOrder(t, "ord-1", "cust-9", t0.Add(10*time.Minute))
	for _, path := range []string{
		"/v1/orders/./ord-1",
		"/v1/orders/../orders/ord-1",
		"/v1//orders/ord-1",
		"/v1/orders/ord-1/.",
		"/v1/orders/ord-1/eligibility/..",
		"/v1/orders/%2e%2e/orders/ord-1",
		"/v1/versions/./1",
		"/./healthz",
	} {
		t.Run(path, func(t *testing.T) {
			resp := b.do(t, req{method: http.MethodGet, path: path, token: serviceToken})
			require.Empty(t, resp.Request.Response, "the client followed a redirect")
			p := requireProblem(t, resp, http.StatusNotFound)
			require.Contains(t, p["detail"], "no route matches GET ")
			require.Empty(t, resp.Header.Get("Location"))
		})
	}
	// A dot inside a segment is an ordinary id.
	requireProblem(t, b.get(t, "/v1/orders/.ord-1"), http.StatusNotFound)
	require.Equal(t, http.StatusOK, b.get(t, "/v1/orders/ord-1").StatusCode)
}

// TestVersionIDIsCanonical pins that a version id is read one way only:
// "+1" and "01" are not 1.
func TestVersionIDIsCanonical(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createOrder(t, "ord-1", "cust-9", t0.Add(10*time.Minute))
	require.Equal(t, http.StatusOK, b.get(t, "/v1/versions/1").StatusCode)
	for _, id := range []string{"+1", "01", "-1", "0", "1e0", "0x1", "1.0", "%201", "9223372036854775808"} {
		t.Run(id, func(t *testing.T) {
			p := requireProblem(t, b.get(t, "/v1/versions/"+id), http.StatusBadRequest)
			require.Contains(t, p["detail"], "is not a positive integer")
		})
	}
}

// TestEligibilityActionQueryIsStrict pins that ?action= is read one way
// only: a malformed escape or a second action is 400, not every action.
func TestEligibilityActionQueryIsStrict(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createOrder(t, "ord-1", "cust-9", t0.Add(10*time.Minute))
	tests := []struct{ query, detail string }{
		{"action=%ZZ", `the query parameter action is not validly escaped: "%ZZ"`},
		{"action=can%6", `the query parameter action is not validly escaped: "can%6"`},
		{"action=cancel&action=cancel", "the query parameter action is given 2 times; give it once"},
		{"action=cancel&x=1&action=refund", "the query parameter action is given 2 times; give it once"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			p := requireProblem(t, b.get(t, "/v1/orders/ord-1/eligibility?"+tt.query), http.StatusBadRequest)
			require.Equal(t, tt.detail, p["detail"])
		})
	}
	// An escaped name is the name.
	doc := b.get(t, "/v1/orders/ord-1/eligibility?action=can%63el").json(t)
	require.Contains(t, doc["actions"], "cancel")
}
