package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func getBody(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// The demo page hands out customer tokens: serve has none of it unless
// asked with --demo-page.
func TestServeDemoPageIsOffByDefault(t *testing.T) {
	t.Parallel()
	srv := startServe(t, t.TempDir(), testEnv(nil))
	for _, path := range []string{"/demo/", "/demo/api/orders", "/demo/api/orders/ord-1"} {
		code, body := getBody(t, srv.url+path)
		require.Equal(t, http.StatusNotFound, code, "%s: %s", path, body)
	}
}

func TestServeDemoPage(t *testing.T) {
	t.Parallel()
	srv := startServe(t, t.TempDir(), testEnv(nil), "--demo-page")
	require.Contains(t, srv.output.String(), "never enable it on a real deployment")
	const svc = "svc-test-token-for-the-cmd-tests"
	require.Equal(t, http.StatusCreated, call(t, "POST", srv.url+"/v1/orders", svc,
		map[string]any{"id": "ord-1", "customer_id": "cust-9", "promised_at": "2030-01-01T00:00:00Z"}, nil))

	code, page := getBody(t, srv.url+"/demo/")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, page, `<button id="cancel" type="button"`)
	// serve has no policy buttons (only eligo demo, on its own policy), but
	// the page's POST reaches the page.
	code, body := getBody(t, srv.url+"/demo/api/policy")
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, `"changes":[]`)
	resp, err := http.Post(srv.url+"/demo/api/policy/widen-amsterdam", "", nil)
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusNotFound, resp.StatusCode, string(b))
	require.Contains(t, string(b), "the demo offers no policy change")
	code, list := getBody(t, srv.url+"/demo/api/orders")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, list, `"id":"ord-1","customer_id":"cust-9"`)

	// The token the page is given is the customer's: it reads the order's
	// eligibility, as the page does.
	var session struct {
		Token string `json:"token"`
	}
	code, body = getBody(t, srv.url+"/demo/api/orders/ord-1")
	require.Equal(t, http.StatusOK, code, body)
	require.NoError(t, json.Unmarshal([]byte(body), &session))
	require.NotEmpty(t, session.Token)
	var doc eligibilityDoc
	require.Equal(t, http.StatusOK, call(t, "GET", srv.url+"/v1/orders/ord-1/eligibility", session.Token, nil, &doc))
	require.Equal(t, "outside_window", doc.Actions["cancel"].Reason)
	// ... and nothing a customer may not do.
	require.Equal(t, http.StatusForbidden, call(t, "POST", srv.url+"/v1/orders", session.Token,
		map[string]any{"id": "ord-2", "customer_id": "cust-9", "promised_at": "2030-01-01T00:00:00Z"}, nil))
}

func TestDemoPrintsThePage(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	printDemoPage(&out, &server{URL: "http://127.0.0.1:8080"})
	require.Contains(t, out.String(), "http://127.0.0.1:8080/demo/\n")
}
