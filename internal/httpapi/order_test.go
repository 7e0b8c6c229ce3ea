package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCreateOrder(t *testing.T) {
	t.Parallel()
	b := setup(t)
	body := `{"id":"ord-1","customer_id":"cust-9","promised_at":"2025-03-14T12:10:00Z","payment_timeout_at":"2025-03-14T12:05:00Z"}`

	resp := b.post(t, "/v1/orders", body)
	require.Equal(t, http.StatusCreated, resp.StatusCode, "body: %s", resp.body)
	require.Equal(t, "/v1/orders/ord-1", resp.Header.Get("Location"))
	require.Equal(t, map[string]any{
		"id":                 "ord-1",
		"customer_id":        "cust-9",
		"status":             "PLACED",
		"driver_status":      nil,
		"payment_status":     "PENDING",
		"placed_at":          "2025-03-14T12:00:00Z",
		"promised_at":        "2025-03-14T12:10:00Z",
		"payment_timeout_at": "2025-03-14T12:05:00Z",
		"version":            float64(1),
		"updated_at":         "2025-03-14T12:00:00Z",
		"attributes":         map[string]any{},
		"deadlines":          map[string]any{},
		"taken":              []any{},
	}, resp.json(t))

	t.Run("same body again is 200 with the same document", func(t *testing.T) {
		b.clock.Advance(time.Minute)
		again := b.post(t, "/v1/orders", body)
		require.Equal(t, http.StatusOK, again.StatusCode, "body: %s", again.body)
		require.JSONEq(t, string(resp.body), string(again.body))
	})
	t.Run("different body for the id is 409", func(t *testing.T) {
		p := requireProblem(t, b.post(t, "/v1/orders", `{"id":"ord-1","customer_id":"cust-9","promised_at":"2025-03-14T12:20:00Z"}`), http.StatusConflict)
		require.Equal(t, "https://eligo.dev/problems/conflict", p["type"])
		require.Equal(t, "/v1/orders", p["instance"])
	})
	t.Run("get answers the document", func(t *testing.T) {
		got := b.get(t, "/v1/orders/ord-1")
		require.Equal(t, http.StatusOK, got.StatusCode)
		require.JSONEq(t, string(resp.body), string(got.body))
		requireProblem(t, b.get(t, "/v1/orders/ord-404"), http.StatusNotFound)
	})
}

func TestCreateOrderInvalid(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := []struct {
		name, body, detail string
	}{
		{"promised_at missing", `{"id":"o","customer_id":"c"}`, "promised_at is required"},
		{"unknown field", `{"id":"o","customer_id":"c","promised_at":"2025-03-14T12:10:00Z","tip":5}`, `the request body has an unknown member "tip"; expected only id, customer_id, placed_at, promised_at, payment_timeout_at, attributes and deadlines`},
		// A gateway and eligo must never read the same bytes differently:
		// encoding/json would take "ID" as id, and the last of two ids.
		{"member name in another case", `{"ID":"o","customer_id":"c","promised_at":"2025-03-14T12:10:00Z"}`,
			`the request body has the member "ID"; member names are case-sensitive: send "id"`},
		{"member name in another case, beside the right one", `{"id":"o","Customer_ID":"x","customer_id":"c","promised_at":"2025-03-14T12:10:00Z"}`,
			`the request body has the member "Customer_ID"; member names are case-sensitive: send "customer_id"`},
		{"member twice", `{"id":"o","customer_id":"c","customer_id":"d","promised_at":"2025-03-14T12:10:00Z"}`,
			`the request body has the member "customer_id" twice; send each member once`},
		{"empty timestamp", `{"id":"o","customer_id":"c","promised_at":"2025-03-14T12:10:00Z","payment_timeout_at":""}`,
			`payment_timeout_at is ""; expected an RFC 3339 timestamp such as 2025-03-14T12:10:00Z`},
		{"not RFC 3339", `{"id":"o","customer_id":"c","promised_at":"14/03/2025"}`, `promised_at is "14/03/2025"; expected an RFC 3339 timestamp such as 2025-03-14T12:10:00Z`},
		{"timestamp not a string", `{"id":"o","customer_id":"c","promised_at":1741954200}`, `field "promised_at" of the request body is a JSON number; expected a string`},
		{"wrong type", `{"id":7,"customer_id":"c","promised_at":"2025-03-14T12:10:00Z"}`, `field "id" of the request body is a JSON number; expected a string`},
		{"two values", `{"id":"o","customer_id":"c","promised_at":"2025-03-14T12:10:00Z"} {}`, "the request body has data after its JSON value; send exactly one"},
		{"not JSON", `id=o`, "the request body is not valid JSON (at byte 1): invalid character 'i' at start of value"},
		{"empty", ``, "the request body is empty; expected a JSON object with id, customer_id, placed_at, promised_at, payment_timeout_at, attributes and deadlines"},
		{"promised before placed", `{"id":"o","customer_id":"c","placed_at":"2025-03-14T12:00:00Z","promised_at":"2025-03-14T11:00:00Z"}`, ""},
		{"bad id", `{"id":"a/b","customer_id":"c","promised_at":"2025-03-14T12:10:00Z"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := requireProblem(t, b.post(t, "/v1/orders", tt.body), http.StatusBadRequest)
			require.Equal(t, "https://eligo.dev/problems/invalid", p["type"])
			if tt.detail != "" {
				require.Equal(t, tt.detail, p["detail"])
			}
		})
	}
	// Pins: nothing invalid reached the store.
	requireProblem(t, b.get(t, "/v1/orders/o"), http.StatusNotFound)
}

func TestCreateOrderBodyTooLarge(t *testing.T) {
	t.Parallel()
	b := setup(t)
	big := `{"id":"o","customer_id":"` + string(make([]byte, 2<<20)) + `"}`
	requireProblem(t, b.post(t, "/v1/orders", big), http.StatusRequestEntityTooLarge)
}
