package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

// A body over the limit is 413 Content Too Large (RFC 9110, section
// 15.5.14), not 400, on every route that reads one, and nothing is applied.
func TestBodyOverTheLimitIs413(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createOrder(t, "ord-1", "cust-9", t0.Add(time.Minute))
	big := `[` + strings.Repeat(event("e-1", "ord-1", "ASSIGNED")+",", (1<<20)/60) + event("e-2", "ord-1", "ASSIGNED") + `]`
	require.Greater(t, len(big), 1<<20)
	for _, path := range []string{"/v1/events", "/v1/orders"} {
		p := requireProblem(t, b.post(t, path, big), http.StatusRequestEntityTooLarge)
		require.Equal(t, "https://eligo.dev/problems/too-large", p["type"], path)
		require.Equal(t, "the request body is larger than 1048576 bytes", p["detail"], path)
	}
	require.Equal(t, float64(1), b.get(t, "/v1/orders/ord-1").json(t)["version"], "nothing was applied")
}

// A token the live stream refuses after the access checks (it expired) is
// a token given and refused: Bearer error="invalid_token" (RFC 6750).
func TestLiveRefusedTokenIsInvalidToken(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{live: true})
	b.createOrder(t, "expiring", "cust-1", t0.Add(time.Minute))
	resp := b.do(t, req{method: http.MethodGet, path: "/v1/orders/expiring/live", token: b.customerToken(t, "cust-1")})
	p := requireProblem(t, resp, http.StatusUnauthorized)
	require.Equal(t, "the access token has expired; get a new one", p["detail"])
	require.Equal(t, []string{`Bearer error="invalid_token"`}, resp.Header.Values("WWW-Authenticate"))
}

// The order document carries a strong ETag, "v<version>": the document of
// one version is the same bytes wherever it is served.
func TestOrderDocumentETag(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp := b.post(t, "/v1/orders", `{"id":"ord-1","customer_id":"cust-9","promised_at":"2025-03-14T12:10:00Z"}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	require.Equal(t, `"v1"`, resp.Header.Get("ETag"))
	require.Equal(t, `"v1"`, b.get(t, "/v1/orders/ord-1").Header.Get("ETag"))
	results(t, b.post(t, "/v1/events", event("e-1", "ord-1", "ASSIGNED")))
	require.Equal(t, `"v2"`, b.get(t, "/v1/orders/ord-1").Header.Get("ETag"))
}

// If-Match on POST cancel: "cancel only what I saw". It compares, with the
// strong comparison (RFC 9110, section 13.1.1), against the order
// document's ETag "v<version>" of the stored order, under the order's lock.
func TestCancelIfMatch(t *testing.T) {
	t.Parallel()
	b := setup(t)
	promised := t0.Add(10 * time.Minute)
	tok := b.customerToken(t, "cust-9")
	cancel := func(id, ifMatch string) *response {
		rq := req{method: http.MethodPost, path: "/v1/orders/" + id + "/cancel", token: tok}
		if ifMatch != "" {
			rq.header = map[string]string{"If-Match": ifMatch}
		}
		return b.do(t, rq)
	}
	requireUnchanged := func(id string, version float64) {
		t.Helper()
		o := b.get(t, "/v1/orders/"+id).json(t)
		require.Equal(t, "PLACED", o["status"])
		require.Equal(t, version, o["version"])
	}
	for _, id := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		b.createOrder(t, id, "cust-9", promised)
	}
	b.clock.Set(promised)

	// The tag of the version the client saw: cancelled, with the new tag.
	resp := cancel("a", `"v1"`)
	require.Equal(t, http.StatusOK, resp.StatusCode, "body: %s", resp.body)
	require.Equal(t, "CANCELLED", resp.json(t)["status"])
	require.Equal(t, `"v2"`, resp.Header.Get("ETag"))

	// The order moved on (the driver was assigned): 412, nothing changed.
	results(t, b.post(t, "/v1/events", event("e-b", "b", "ASSIGNED")))
	p := requireProblem(t, cancel("b", `"v1"`), http.StatusPreconditionFailed)
	require.Equal(t, "https://eligo.dev/problems/precondition-failed", p["type"])
	require.Equal(t, `order "b" has changed: it is at version 2, not one the precondition names; read it again before cancelling`, p["detail"])
	requireUnchanged("b", 2)

	// Strong comparison: a weak tag never matches, the eligibility ETag
	// included; its version member makes the strong tag.
	elig := b.get(t, "/v1/orders/c/eligibility")
	require.Regexp(t, `^W/"v1-`, elig.Header.Get("ETag"))
	requireProblem(t, cancel("c", elig.Header.Get("ETag")), http.StatusPreconditionFailed)
	requireProblem(t, cancel("c", `W/"v1"`), http.StatusPreconditionFailed)
	requireUnchanged("c", 1)
	require.Equal(t, http.StatusOK, cancel("c", `"x", "v1"`).StatusCode, "a list matches when one member does")

	// * matches any existing order.
	require.Equal(t, http.StatusOK, cancel("d", "*").StatusCode)

	// Evaluated before the policy: a stale tag is 412 even where the
	// cancel would be refused; a current one gets the policy's answer.
	results(t, b.post(t, "/v1/events", event("e-e", "e", "ARRIVED_AT_DOORSTEP")))
	requireProblem(t, cancel("e", `"v1"`), http.StatusPreconditionFailed)
	p = requireProblem(t, cancel("e", `"v2"`), http.StatusConflict)
	require.Equal(t, "driver_at_doorstep", p["reason"])

	// An order already cancelled: the cancel has been applied, so the
	// answer is 200 with the document whatever the tag (RFC 9110, 13.1.1).
	first := cancel("f", "")
	require.Equal(t, http.StatusOK, first.StatusCode)
	again := cancel("f", `"v1"`)
	require.Equal(t, http.StatusOK, again.StatusCode, "body: %s", again.body)
	require.JSONEq(t, string(first.body), string(again.body))

	// Decided against the store under its lock, not against the read
	// model: a change that lands after the handler read the order still
	// makes the tag stale.
	f := func(s eligo.OrderStore) {
		_, err := s.UpdateOrders(t.Context(), []eligo.Update{eligo.EventUpdate(&eligo.Event{
			EventID: "e-g", OrderID: "g", Type: eligo.EventDriverStatus, Status: "ASSIGNED", OccurredAt: promised}, eligo.WhoService)})
		require.NoError(t, err)
	}
	b.store.beforeUpdate.Store(&f)
	requireProblem(t, cancel("g", `"v1"`), http.StatusPreconditionFailed)
	v, err := b.store.OrderStore.FindOrder(t.Context(), "g")
	require.NoError(t, err)
	require.Equal(t, eligo.StatusPlaced, v.Status)
	require.Equal(t, int64(2), v.Version)

	// Ignored where RFC 9110 13.2.1 says: a request refused without the
	// precondition is refused the same with it.
	requireProblem(t, b.do(t, req{method: http.MethodPost, path: "/v1/orders/nope/cancel", token: serviceToken, header: map[string]string{"If-Match": `"v1"`}}), http.StatusNotFound)
	requireProblem(t, b.do(t, req{method: http.MethodPost, path: "/v1/orders/h/cancel", header: map[string]string{"If-Match": `"v1"`}}), http.StatusUnauthorized)
	requireProblem(t, b.do(t, req{method: http.MethodPost, path: "/v1/orders/h/cancel", token: b.customerToken(t, "cust-1"), header: map[string]string{"If-Match": `"v1"`}}), http.StatusForbidden)

	// A header that is not a list of entity tags is 400, and changes nothing.
	p = requireProblem(t, cancel("h", `v1`), http.StatusBadRequest)
	require.Equal(t, `If-Match must be "*" or a list of entity tags such as "v3"; got v1`, p["detail"])
	requireUnchanged("h", 1)
}
