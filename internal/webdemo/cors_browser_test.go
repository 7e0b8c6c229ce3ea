package webdemo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo/internal/auth"
	teststack "github.com/eligo/eligo/internal/testenv/stack"
)

// appPage is a browser app on another origin than eligo's: it reads an
// order's eligibility with the customer's token in Authorization (which
// makes the browser send a preflight), reads the ETag eligo exposes, and
// watches the order's live stream over Server-Sent Events; window.__app
// gets what happened.
const appPage = `<!doctype html><title>another origin</title><script>
window.__app = {};
const eligo = %q, order = %q, token = %q;
fetch(eligo + '/v1/orders/' + order + '/eligibility', {headers: {Authorization: 'Bearer ' + token, 'If-None-Match': '"none"'}})
  .then(async (r) => { window.__app.fetch = {status: r.status, etag: r.headers.get('ETag'), body: await r.json()}; })
  .catch((e) => { window.__app.fetch = {error: String(e)}; });
const es = new EventSource(eligo + '/v1/orders/' + order + '/live?access_token=' + encodeURIComponent(token));
es.onmessage = (m) => { window.__app.live = {data: JSON.parse(m.data)}; es.close(); };
es.onerror = () => { if (!window.__app.live) window.__app.live = {error: 'the stream failed'}; es.close(); };
</script>`

type appResult struct {
	Fetch struct {
		Status int            `json:"status"`
		ETag   string         `json:"etag"`
		Body   map[string]any `json:"body"`
		Error  string         `json:"error"`
	} `json:"fetch"`
	Live struct {
		Data  map[string]any `json:"data"`
		Error string         `json:"error"`
	} `json:"live"`
}

// TestCORSInChromium loads a page from a second origin in headless
// Chromium that calls eligo: the browser lets it read the eligibility and
// the live stream when eligo lists that origin (--cors-origins), and
// refuses both when it does not.
func TestCORSInChromium(t *testing.T) {
	t.Parallel()
	exe := chromium(t)
	token, err := auth.MintCustomerToken(testSecret, "cust-web-cors", time.Hour, time.Now())
	require.NoError(t, err)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, appPage, r.URL.Query().Get("eligo"), "web-cors", token)
	}))
	t.Cleanup(app.Close)
	allowing := teststack.New(t, teststack.Config{ServiceTokens: []string{serviceToken}, CustomerSecret: testSecret, CORSOrigins: []string{app.URL}})
	closed := teststack.New(t, teststack.Config{ServiceTokens: []string{serviceToken}, CustomerSecret: testSecret})
	b := newBrowser(t, exe)

	visit := func(eligoURL string) appResult {
		t.Helper()
		(&stack{url: eligoURL}).createOrder(t, "web-cors", time.Now().Add(-time.Minute))
		b.do(10*time.Second, chromedp.Navigate(app.URL+"/?eligo="+eligoURL))
		ctx, cancel := context.WithTimeout(b.ctx, patience+5*time.Second)
		defer cancel()
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](`window.__app && window.__app.fetch !== undefined && window.__app.live !== undefined`,
			chromedp.WithPollingInterval(5*time.Millisecond), chromedp.WithPollingTimeout(patience)))
		require.NoError(t, err, "waiting for the app's calls; it has %s", eval[string](b, `JSON.stringify(window.__app)`))
		var res appResult
		require.NoError(t, json.Unmarshal([]byte(eval[string](b, `JSON.stringify(window.__app)`)), &res))
		return res
	}

	res := visit(allowing.URL)
	require.Empty(t, res.Fetch.Error)
	require.Equal(t, http.StatusOK, res.Fetch.Status)
	require.Equal(t, "web-cors", res.Fetch.Body["order_id"])
	require.NotEmpty(t, res.Fetch.ETag, "the ETag is not exposed to the page")
	require.Empty(t, res.Live.Error)
	require.Equal(t, "web-cors", res.Live.Data["order_id"])

	res = visit(closed.URL)
	require.Contains(t, res.Fetch.Error, "Failed to fetch", "the browser let another origin read eligo without CORS")
	require.Equal(t, "the stream failed", res.Live.Error)
}
