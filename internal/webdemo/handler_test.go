package webdemo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
	"github.com/eligo/eligo/internal/webdemo"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// fakeOrders is an in-memory webdemo.Orders.
type fakeOrders []eligo.Order

func (f fakeOrders) FindOrder(_ context.Context, id string) (eligo.Order, error) {
	for _, o := range f {
		if o.ID == id {
			return o, nil
		}
	}
	return eligo.Order{}, eligo.Errorf(eligo.ENOTFOUND, "no order %s", id)
}

func (f fakeOrders) ListOrders(_ context.Context, p *eligo.ListOrdersParams) ([]eligo.Order, error) {
	sorted := slices.SortedFunc(slices.Values(f), func(a, b eligo.Order) int { return strings.Compare(a.ID, b.ID) })
	var page []eligo.Order
	for _, o := range sorted {
		if o.ID > p.AfterID && len(page) < p.Limit {
			page = append(page, o)
		}
	}
	return page, nil
}

type testBundle struct {
	srv  *httptest.Server
	now  time.Time
	auth *auth.Authenticator
}

func setup(t *testing.T, orders fakeOrders) *testBundle {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-From", "api")
		w.WriteHeader(http.StatusTeapot)
	})
	demo, err := webdemo.New(webdemo.Config{Orders: orders, CustomerSecret: testSecret, Now: func() time.Time { return now }})
	require.NoError(t, err)
	srv := httptest.NewServer(webdemo.Mount(api, demo))
	t.Cleanup(srv.Close)
	a, err := auth.New(auth.Config{CustomerSecret: testSecret})
	require.NoError(t, err)
	return &testBundle{srv: srv, now: now, auth: a}
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

func order(id, customer string, promisedIn time.Duration, status eligo.Status, now time.Time) eligo.Order {
	return eligo.Order{ID: id, CustomerID: customer, Status: status, PlacedAt: now.Add(-time.Minute), PromisedAt: now.Add(promisedIn), Version: 1}
}

func TestListOrders(t *testing.T) {
	t.Parallel()
	now := time.Now()
	b := setup(t, fakeOrders{
		order("ord-3", "cust-3", 5*time.Minute, eligo.StatusPlaced, now),
		order("ord-1", "cust-1", 9*time.Minute, eligo.StatusPlaced, now),
		order("ord-2", "cust-2", time.Minute, eligo.StatusDelivered, now),
		order("ord-4", "cust-4", -time.Minute, eligo.StatusPlaced, now),
	})
	resp, body := get(t, b.srv.URL+"/demo/api/orders")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	var list struct {
		Orders []struct {
			ID         string    `json:"id"`
			CustomerID string    `json:"customer_id"`
			PromisedAt time.Time `json:"promised_at"`
		} `json:"orders"`
		Live int `json:"live"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &list))
	var ids []string
	for _, o := range list.Orders {
		ids = append(ids, o.ID)
	}
	// Only live orders, the soonest promise first; the delivered one is not listed.
	require.Equal(t, []string{"ord-4", "ord-3", "ord-1"}, ids)
	require.Equal(t, 3, list.Live)
	require.NotContains(t, body, "token", "the list hands out no tokens")
}

func TestOrderSessionMintsTheCustomersToken(t *testing.T) {
	t.Parallel()
	b := setup(t, fakeOrders{order("ord-1", "cust-9", time.Minute, eligo.StatusPlaced, time.Now())})
	resp, body := get(t, b.srv.URL+"/demo/api/orders/ord-1")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	var s struct {
		Order struct {
			ID         string `json:"id"`
			CustomerID string `json:"customer_id"`
		} `json:"order"`
		Token          string    `json:"token"`
		TokenExpiresAt time.Time `json:"token_expires_at"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &s))
	require.Equal(t, "cust-9", s.Order.CustomerID)
	require.Equal(t, b.now.Add(webdemo.DefaultTokenTTL), s.TokenExpiresAt)

	r := httptest.NewRequest(http.MethodGet, "/v1/orders/ord-1", nil)
	r.Header.Set("Authorization", "Bearer "+s.Token)
	p, err := b.auth.Authenticate(r, 0)
	require.NoError(t, err)
	require.Equal(t, "cust-9", p.CustomerID, "a token of the order's customer, not a service token")
	require.False(t, p.Service)
}

func TestRoutes(t *testing.T) {
	t.Parallel()
	b := setup(t, fakeOrders{})
	tests := []struct {
		name     string
		path     string
		status   int
		contains string
		header   [2]string
	}{
		{"the page", "/demo/", http.StatusOK, `<button id="cancel" type="button"`, [2]string{"Content-Security-Policy", "default-src 'self'"}},
		{"the script", "/demo/app.js", http.StatusOK, "new EventSource(", [2]string{"Content-Type", "text/javascript"}},
		{"the stylesheet", "/demo/style.css", http.StatusOK, ".panels", [2]string{"Content-Type", "text/css"}},
		{"without the slash", "/demo", http.StatusMovedPermanently, "", [2]string{"Location", "/demo/"}},
		{"an unknown order", "/demo/api/orders/nope", http.StatusNotFound, `there is no order \"nope\"`, [2]string{"Content-Type", "application/problem+json"}},
		{"an unknown endpoint", "/demo/api/tokens", http.StatusNotFound, "is not a demo endpoint", [2]string{"Content-Type", "application/problem+json"}},
		{"a missing file", "/demo/nope.js", http.StatusNotFound, "", [2]string{}},
		// The API keeps every other path, /demonstration included.
		{"the api", "/v1/orders/ord-1", http.StatusTeapot, "", [2]string{"X-From", "api"}},
		{"a look-alike path", "/demonstration", http.StatusTeapot, "", [2]string{"X-From", "api"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, body := get(t, b.srv.URL+tt.path)
			require.Equal(t, tt.status, resp.StatusCode, body)
			require.Contains(t, body, tt.contains)
			if tt.header[0] != "" {
				require.Contains(t, resp.Header.Get(tt.header[0]), tt.header[1])
			}
		})
	}
}

// TestPageIsAccessible checks the markup a screen reader and a keyboard
// rely on, without a browser.
func TestPageIsAccessible(t *testing.T) {
	t.Parallel()
	b := setup(t, fakeOrders{})
	_, html := get(t, b.srv.URL+"/demo/")
	for _, want := range []string{
		`<html lang="en">`,
		`<button id="cancel" type="button" class="danger" aria-describedby="cancel-help" hidden>Cancel order</button>`,
		`<ol id="chat" class="messages" role="log" aria-live="polite"`,
		`id="live-status" role="status"`,
		`<p id="cancel-help" tabindex="-1">`, // focus lands here when the button goes
	} {
		require.Contains(t, html, want)
	}
}

// The list carries eligo's own answer for every order, decided by the
// policy at the server's clock, so the page never works it out from
// promised_at: a late order whose driver is at the door, or whose payment
// expired, is not "cancel open".
func TestListOrdersCarriesTheServicesAnswer(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC().Truncate(time.Second)
	door := order("late-door", "cust-1", -3*time.Minute, eligo.StatusPlaced, now)
	door.DriverStatus = eligo.DriverArrivedAtDoorstep
	unpaid := order("late-unpaid", "cust-2", -2*time.Minute, eligo.StatusPlaced, now)
	unpaid.PaymentStatus, unpaid.PaymentTimeoutAt = eligo.PaymentPending, now.Add(-5*time.Minute)
	late := order("late", "cust-3", -time.Minute, eligo.StatusPlaced, now)
	late.PaymentStatus = eligo.PaymentPaid
	early := order("early", "cust-4", 5*time.Minute, eligo.StatusPlaced, now)
	early.PaymentStatus = eligo.PaymentPaid
	door.PaymentStatus = eligo.PaymentPaid
	b := setup(t, fakeOrders{door, unpaid, late, early})

	resp, body := get(t, b.srv.URL+"/demo/api/orders")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	var list struct {
		Orders []struct {
			ID      string `json:"id"`
			Actions map[string]struct {
				Allowed bool       `json:"allowed"`
				Reason  string     `json:"reason"`
				Until   *time.Time `json:"until"`
			} `json:"actions"`
		} `json:"orders"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &list))
	got := map[string]string{}
	for _, o := range list.Orders {
		c, ok := o.Actions["cancel"]
		require.True(t, ok, "order %s has no cancel answer: %s", o.ID, body)
		until := "null"
		if c.Until != nil {
			until = c.Until.UTC().Format(time.RFC3339)
		}
		got[o.ID] = fmt.Sprintf("%t %s %s", c.Allowed, c.Reason, until)
	}
	require.Equal(t, map[string]string{
		"late-door":   "false driver_at_doorstep null",
		"late-unpaid": "false payment_expired null",
		"late":        "true sla_breached null",
		"early":       "false outside_window " + early.PromisedAt.Format(time.RFC3339),
	}, got)
}
