package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestAccess(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{live: true})
	promised := t0.Add(10 * time.Minute)
	b.createOrder(t, "mine", "cust-1", promised)
	b.createOrder(t, "theirs", "cust-2", promised)
	b.clock.Set(t0.Add(-2 * time.Hour))
	expired := b.customerToken(t, "cust-1") // an hour before t0
	b.clock.Set(promised.Add(-time.Minute))
	mine := b.customerToken(t, "cust-1")

	forged := mine[:len(mine)-4] + "AAAA"
	tests := []struct {
		name   string
		req    req
		status int
	}{
		{"customer reads own eligibility", req{method: "GET", path: "/v1/orders/mine/eligibility", token: mine}, 200},
		{"customer reads own order", req{method: "GET", path: "/v1/orders/mine", token: mine}, 200},
		{"customer watches own order", req{method: "GET", path: "/v1/orders/mine/live", token: mine}, 200},
		{"customer cancels own order too early", req{method: "POST", path: "/v1/orders/mine/cancel", token: mine}, 409},
		{"access_token query parameter", req{method: "GET", path: "/v1/orders/mine/eligibility?access_token=" + mine}, 200},
		{"access_token on live", req{method: "GET", path: "/v1/orders/mine/live?access_token=" + mine}, 200},

		{"other customer's eligibility", req{method: "GET", path: "/v1/orders/theirs/eligibility", token: mine}, 403},
		{"other customer's order", req{method: "GET", path: "/v1/orders/theirs", token: mine}, 403},
		{"other customer's cancel", req{method: "POST", path: "/v1/orders/theirs/cancel", token: mine}, 403},
		{"other customer's live", req{method: "GET", path: "/v1/orders/theirs/live", token: mine}, 403},
		// Pins: a customer cannot tell an unknown id from someone else's.
		{"customer asks for unknown order", req{method: "GET", path: "/v1/orders/nope/eligibility", token: mine}, 403},
		{"service asks for unknown order", req{method: "GET", path: "/v1/orders/nope/eligibility", token: serviceToken}, 404},
		{"live on unknown order", req{method: "GET", path: "/v1/orders/nope/live", token: serviceToken}, 404},

		{"customer creates an order", req{method: "POST", path: "/v1/orders", token: mine, body: `{"id":"x","customer_id":"cust-1","promised_at":"2025-03-14T13:00:00Z"}`}, 403},
		{"customer posts events", req{method: "POST", path: "/v1/events", token: mine, body: event("e-1", "mine", "DELIVERED")}, 403},
		{"customer reads versions", req{method: "GET", path: "/v1/orders/mine/versions", token: mine}, 403},
		{"customer reads a version", req{method: "GET", path: "/v1/versions/1", token: mine}, 403},

		{"no token", req{method: "GET", path: "/v1/orders/mine/eligibility"}, 401},
		{"no token on service route", req{method: "POST", path: "/v1/events", body: "[]"}, 401},
		{"expired token", req{method: "GET", path: "/v1/orders/mine/eligibility", token: expired}, 401},
		{"forged signature", req{method: "GET", path: "/v1/orders/mine/eligibility", token: forged}, 401},
		{"unknown service token", req{method: "GET", path: "/v1/orders/mine/eligibility", token: "guess"}, 401},
		{"basic scheme", req{method: "GET", path: "/v1/orders/mine/eligibility", header: map[string]string{"Authorization": "Basic " + serviceToken}}, 401},
		{"lowercase bearer", req{method: "GET", path: "/v1/orders/mine/eligibility", header: map[string]string{"Authorization": "bearer " + serviceToken}}, 200},
		{"second service token", req{method: "GET", path: "/v1/orders/mine/eligibility", token: otherService}, 200},

		{"X-Session-Token on versions", req{method: "GET", path: "/v1/orders/mine/versions", header: map[string]string{"X-Session-Token": serviceToken}}, 200},
		{"X-Session-Token on a version", req{method: "GET", path: "/v1/versions/1", header: map[string]string{"X-Session-Token": serviceToken}}, 200},
		{"X-Session-Token elsewhere", req{method: "GET", path: "/v1/orders/mine/eligibility", header: map[string]string{"X-Session-Token": serviceToken}}, 401},
		{"X-Session-Token with a customer token", req{method: "GET", path: "/v1/orders/mine/versions", header: map[string]string{"X-Session-Token": mine}}, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := b.do(t, tt.req)
			if tt.status >= 400 {
				p := requireProblem(t, resp, tt.status)
				if tt.status == http.StatusUnauthorized {
					// RFC 6750, section 3.1: no error code when the request
					// carried no token the route reads; invalid_token when
					// it carried one that was refused.
					want := `Bearer error="invalid_token"`
					switch tt.name {
					case "no token", "no token on service route", "basic scheme", "X-Session-Token elsewhere":
						want = "Bearer"
					}
					require.Equal(t, []string{want}, resp.Header.Values("WWW-Authenticate"))
					require.Equal(t, "https://eligo.dev/problems/unauthorized", p["type"])
				}
				return
			}
			require.Equal(t, tt.status, resp.StatusCode, "body: %s", resp.body)
		})
	}
	require.Equal(t, []string{"mine/cust-1", "mine/cust-1"}, b.live.served, "live is reached only after every check passed")
}

// TestAccessTokenQueryOnlyForBrowsers pins where the access_token query
// parameter is accepted: GET live and GET eligibility, which browsers'
// WebSocket and EventSource reach without headers. Elsewhere a token in
// the URL (and so in proxy logs) is refused, and says where to put it.
func TestAccessTokenQueryOnlyForBrowsers(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{live: true})
	promised := t0.Add(10 * time.Minute)
	b.createOrder(t, "mine", "cust-1", promised)
	b.clock.Set(promised.Add(-time.Minute))
	mine := b.customerToken(t, "cust-1")

	tests := []struct {
		name   string
		req    req
		status int
	}{
		{"eligibility", req{method: "GET", path: "/v1/orders/mine/eligibility?access_token=" + mine}, 200},
		{"live", req{method: "GET", path: "/v1/orders/mine/live?access_token=" + mine}, 200},
		{"service token on eligibility", req{method: "GET", path: "/v1/orders/mine/eligibility?access_token=" + serviceToken}, 200},

		{"get order", req{method: "GET", path: "/v1/orders/mine?access_token=" + mine}, 401},
		{"cancel", req{method: "POST", path: "/v1/orders/mine/cancel?access_token=" + mine}, 401},
		{"create", req{method: "POST", path: "/v1/orders?access_token=" + serviceToken, body: `{"id":"x","customer_id":"c","promised_at":"2025-03-14T13:00:00Z"}`}, 401},
		{"events", req{method: "POST", path: "/v1/events?access_token=" + serviceToken, body: "[]"}, 401},
		{"versions", req{method: "GET", path: "/v1/orders/mine/versions?access_token=" + serviceToken}, 401},
		{"a version", req{method: "GET", path: "/v1/versions/1?access_token=" + serviceToken}, 401},
		// A header still works where the query parameter is refused.
		{"cancel with a header", req{method: "POST", path: "/v1/orders/mine/cancel?access_token=junk", token: mine}, 409},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := b.do(t, tt.req)
			if tt.status == http.StatusUnauthorized {
				p := requireProblem(t, resp, tt.status)
				require.Equal(t, "this route does not take the access_token query parameter; send \"Authorization: Bearer <token>\"", p["detail"])
				require.Equal(t, []string{"Bearer"}, resp.Header.Values("WWW-Authenticate"), "a token the route does not read is no token")
				return
			}
			require.Equal(t, tt.status, resp.StatusCode, "body: %s", resp.body)
		})
	}
}
