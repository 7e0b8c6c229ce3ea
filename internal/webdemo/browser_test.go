package webdemo_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/engine"
	teststack "github.com/eligo/eligo/internal/testenv/stack"
	"github.com/eligo/eligo/internal/webdemo"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "also write the browser test's screenshots to docs/screenshots")

// vanishBudget is how long the Cancel button may stay after the driver's
// arrival is committed: the POST of the event has its answer.
const vanishBudget = 200 * time.Millisecond

const serviceToken = "svc-browser-test"

// stack is the real API (SQLite store, engine, live hub, httpapi) with the
// demo page mounted, as `eligo demo` serves it.
type stack struct {
	url string
	eng *engine.Engine

	mu      sync.Mutex
	streams []net.Conn // the live streams' connections, to cut them
	// raceArrival names an order whose driver arrives in the instant its
	// cancel comes in: the arrival is committed first, so the cancel is
	// refused whatever the page knew when the button was pressed.
	raceArrival string
}

// newStack starts the stack; without live, the live route is absent, as on
// a server that does not stream.
func newStack(t *testing.T, withLive bool) *stack {
	t.Helper()
	s := &stack{}
	full := teststack.New(t, teststack.Config{ServiceTokens: []string{serviceToken}, CustomerSecret: testSecret, NoLive: !withLive,
		Wrap: func(full *teststack.Stack, api http.Handler) http.Handler {
			s.eng = full.Engine
			demo, err := webdemo.New(webdemo.Config{Orders: full.Store, Decider: full.Engine, CustomerSecret: testSecret})
			require.NoError(t, err)
			return s.instrument(webdemo.Mount(api, demo))
		}})
	s.url = full.URL
	return s
}

// instrument records the connections of live streams and plays the
// arrival race of raceArrival.
func (s *stack) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/live") {
			w = &hijackRecorder{ResponseWriter: w, s: s}
		}
		s.mu.Lock()
		race := s.raceArrival
		s.mu.Unlock()
		if race != "" && r.Method == http.MethodPost && r.URL.Path == "/v1/orders/"+race+"/cancel" {
			_, err := s.eng.ApplyEvents(r.Context(), []eligo.Event{arrival(race)})
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// cutStreams closes every live stream's connection under the server's
// feet, as a network change would.
func (s *stack) cutStreams() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.streams {
		_ = c.Close()
	}
	n := len(s.streams)
	s.streams = nil
	return n
}

type hijackRecorder struct {
	http.ResponseWriter
	s *stack
}

func (h *hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err == nil {
		h.s.mu.Lock()
		h.s.streams = append(h.s.streams, c)
		h.s.mu.Unlock()
	}
	return c, rw, err
}

func arrival(orderID string) eligo.Event {
	return eligo.Event{EventID: orderID + "-arrived", OrderID: orderID, Type: eligo.EventDriverStatus, Status: "ARRIVED_AT_DOORSTEP"}
}

// post sends a JSON body with the service token and requires a 2xx.
func (s *stack) post(t *testing.T, path string, body any) {
	t.Helper()
	b, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, s.url+path, bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+serviceToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Less(t, resp.StatusCode, 300, "POST %s answered %s", path, resp.Status)
}

func (s *stack) createOrder(t *testing.T, id string, promisedAt time.Time) {
	t.Helper()
	s.post(t, "/v1/orders", map[string]string{
		"id": id, "customer_id": "cust-" + id,
		"placed_at":   promisedAt.Add(-10 * time.Minute).Format(time.RFC3339Nano),
		"promised_at": promisedAt.Format(time.RFC3339Nano),
	})
}

func (s *stack) driver(t *testing.T, orderID, status string) {
	t.Helper()
	s.post(t, "/v1/events", map[string]string{
		"event_id": orderID + "-" + status, "order_id": orderID, "type": "driver_status", "status": status,
	})
}

// chromium returns the browser to drive, or skips the test where there is
// none, except under CI, where the browser is required.
func chromium(t *testing.T) string {
	t.Helper()
	path := os.Getenv("ELIGO_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	msg := fmt.Sprintf("no Chromium at %s: install it (apt-get install chromium) or set ELIGO_CHROMIUM to run the browser test", path)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + "; CI must run it (.ci/run installs it)")
	}
	t.Skip(msg)
	return ""
}

// observeScript records in the page, from its first instant, every time
// the Cancel button is shown or hidden and every state of the live stream,
// with the browser's clock (Date.now, the same wall clock as the test's).
const observeScript = `
window.__cancel = [];
window.__live = [];
new MutationObserver((ms) => {
  for (const m of ms) {
    if (m.target.id === 'cancel') window.__cancel.push({t: Date.now(), hidden: m.target.hidden});
    if (m.target === document.body && m.attributeName === 'data-live') window.__live.push(document.body.dataset.live);
  }
}).observe(document, {subtree: true, attributes: true, attributeFilter: ['hidden', 'data-live']});
`

type browser struct {
	t   *testing.T
	ctx context.Context
	dir string // where the screenshots go
}

func newBrowser(t *testing.T, exe string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1120, 760),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: observeScript})
	require.NoError(t, err, "starting %s", exe)
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1120, 760)))
	// No easing, so that a screenshot shows the state it was taken for.
	_, err = chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}},
	})
	require.NoError(t, err)
	return &browser{t: t, ctx: ctx, dir: t.ArtifactDir()}
}

// do runs the actions within a time limit.
func (b *browser) do(limit time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, limit)
	defer cancel()
	require.NoError(b.t, chromedp.Do(ctx, actions...))
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	require.NoError(b.t, err, "evaluating %s", expr)
	return v
}

// patience is the least time waitFor waits before it gives up: its limits
// say when a state is due, not how fast it must come (the budgets the page
// has are asserted apart, on timestamps the page records), so that a slow
// machine cannot fail the test.
const patience = 15 * time.Second

// waitFor waits until the JavaScript predicate holds, polling every 5 ms,
// for limit or patience, whichever is longer.
func (b *browser) waitFor(what, predicate string, limit time.Duration) {
	b.t.Helper()
	limit = max(limit, patience)
	ctx, cancel := context.WithTimeout(b.ctx, limit+5*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](predicate,
		chromedp.WithPollingInterval(5*time.Millisecond), chromedp.WithPollingTimeout(limit)))
	require.NoError(b.t, err, "waiting %s for %s (%s); the chat says:\n%s", limit, what, predicate, eval[string](b, `document.getElementById('chat').innerText`))
}

// screenshot saves the viewport as name.png in the test's artifact
// directory, and in docs/screenshots with -update-screenshots.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	b.do(10*time.Second, chromedp.Sleep(100*time.Millisecond)) // a frame or two, to paint the last change
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(b.t, err)
	require.NoError(b.t, os.WriteFile(filepath.Join(b.dir, name+".png"), png, 0o644))
	if *updateScreenshots {
		require.NoError(b.t, os.WriteFile(filepath.Join("..", "..", "docs", "screenshots", name+".png"), png, 0o644))
	}
	b.t.Logf("screenshot %s.png (%d KiB)", name, len(png)/1024)
}

const (
	jsCancelHidden = `document.getElementById('cancel').hidden`
	jsChat         = `document.getElementById('chat').innerText`
)

// TestPageInChromium opens the demo page in headless Chromium against the
// real API and live hub, and follows one late order through its states:
// no Cancel before the promise, Cancel at promised_at, gone within 200 ms
// of the driver's arrival, the stream reconnecting by itself; then a cancel
// the driver's arrival beats (refused, and said so), and one that wins.
func TestPageInChromium(t *testing.T) {
	t.Parallel()
	exe := chromium(t)
	s := newStack(t, true)
	b := newBrowser(t, exe)

	// The late order is promised a few seconds from now (time enough for a
	// slow machine to open the page before); the other two are already
	// late.
	promisedAt := time.Now().Add(10 * time.Second).Truncate(time.Millisecond)
	s.createOrder(t, "web-late", promisedAt)
	s.createOrder(t, "web-race", time.Now().Add(-time.Minute))
	s.createOrder(t, "web-wins", time.Now().Add(-2*time.Minute))
	s.driver(t, "web-wins", "PICKED_UP")
	// Late too, but its driver is at the door: the list must say what
	// eligo says, not "cancel open" from promised_at.
	s.createOrder(t, "web-door", time.Now().Add(-3*time.Minute))
	s.driver(t, "web-door", "ARRIVED_AT_DOORSTEP")

	// The list of live orders, each row with eligo's own answer.
	b.do(10*time.Second, chromedp.Navigate(s.url+"/demo/"))
	b.waitFor("the order list", `document.querySelectorAll('#orders tbody tr').length === 4`, 5*time.Second)
	row := func(id string) string {
		return eval[string](b, fmt.Sprintf(`document.querySelector('#orders a[data-order=%q]').closest('tr').innerText`, id))
	}
	require.Contains(t, row("web-door"), "cancel closed: driver_at_doorstep")
	require.NotContains(t, row("web-door"), "cancel open")
	require.Contains(t, row("web-race"), "cancel open: sla_breached")
	require.Contains(t, row("web-late"), "cancel closed: outside_window · until "+promisedAt.Local().Format("15:04:05"))
	b.screenshot("1-order-list")

	// Before the promise: no button, and the map's second question is a 304.
	b.do(10*time.Second, chromedp.Navigate(s.url+"/demo/?order=web-late"))
	b.waitFor("the live stream", `document.body.dataset.live === 'open' && document.getElementById('cancel-help').textContent.includes('Cancel opens at')`, 5*time.Second)
	require.True(t, eval[bool](b, jsCancelHidden), "the Cancel button shows before the promise is broken")
	require.True(t, time.Now().Before(promisedAt), "the page took too long to open to see the state before the promise")
	b.do(5*time.Second, chromedp.Click(chromedp.ID("check-now")))
	b.waitFor("the map's conditional request", `document.getElementById('map-checked').textContent.includes('304')`, 3*time.Second)
	b.screenshot("2-before-promise")

	// At promised_at, with no event at all, the stream brings the button.
	b.waitFor("the Cancel button at promised_at", `!`+jsCancelHidden, time.Until(promisedAt)+2*time.Second)
	shownAt := time.UnixMilli(eval[int64](b, `window.__cancel.find((e) => !e.hidden).t`))
	t.Logf("Cancel appeared %s after promised_at", shownAt.Sub(promisedAt))
	require.False(t, shownAt.Before(promisedAt), "Cancel appeared %s before promised_at", promisedAt.Sub(shownAt))
	require.Less(t, shownAt.Sub(promisedAt), 3*time.Second, "Cancel appeared late") // a few ms here; the bound is only against never
	require.Contains(t, eval[string](b, jsChat), "Your order is late")
	b.waitFor("the map's answer at until", `document.getElementById('map-answer').textContent === 'allowed'`, 3*time.Second)
	b.screenshot("3-promise-broken")

	// The driver arrives: the button is gone within the budget, measured
	// from the answer to the event's POST to the page's first hiding of
	// the button after it was sent (recorded by the page's observer, so
	// that the polling of waitFor does not count).
	seen := eval[int](b, `window.__cancel.length`)
	sent := time.Now()
	s.driver(t, "web-late", "ARRIVED_AT_DOORSTEP")
	answered := time.Now()
	b.waitFor("the Cancel button to vanish", jsCancelHidden, 2*time.Second)
	hiddenAt := time.UnixMilli(eval[int64](b, fmt.Sprintf(`window.__cancel.slice(%d).find((e) => e.hidden).t`, seen)))
	t.Logf("Cancel vanished %s after the arrival's POST was answered (%s after it was sent; the POST took %s)",
		hiddenAt.Sub(answered), hiddenAt.Sub(sent), answered.Sub(sent))
	require.LessOrEqual(t, hiddenAt.Sub(answered), vanishBudget, "Cancel stayed %s after the arrival", hiddenAt.Sub(answered))
	require.Contains(t, eval[string](b, jsChat), "Your driver is at your door")
	b.waitFor("the driver on the map", `document.getElementById('route').dataset.driver === 'ARRIVED_AT_DOORSTEP'`, 3*time.Second)
	b.screenshot("4-driver-arrived")

	// The stream is cut; the page reconnects by itself, and its first
	// document is the state it missed: the order was delivered meanwhile.
	require.Positive(t, s.cutStreams(), "no live stream to cut")
	b.waitFor("the page to notice", `window.__live.includes('connecting') || window.__live.includes('down')`, 3*time.Second)
	s.driver(t, "web-late", "DELIVERED")
	b.waitFor("the reconnected stream's state", `document.getElementById('cancel-help').textContent.includes('delivered')`, 10*time.Second)
	require.Contains(t, eval[[]string](b, `window.__live`), "open", "the stream did not reopen")

	// A cancel the driver beats: the page shows the button, the customer
	// presses it with the keyboard, and the arrival is committed first.
	s.mu.Lock()
	s.raceArrival = "web-race"
	s.mu.Unlock()
	b.do(10*time.Second, chromedp.Navigate(s.url+"/demo/?order=web-race"))
	b.waitFor("the Cancel button", `!`+jsCancelHidden, 5*time.Second)
	b.do(5*time.Second, chromedp.Focus(chromedp.ID("cancel")), chromedp.KeyEvent(kb.Enter))
	b.waitFor("the refusal", `document.querySelector('#chat .msg.refused') !== null`, 5*time.Second)
	chat := eval[string](b, jsChat)
	require.Contains(t, chat, "Please cancel my order.")
	require.Contains(t, chat, "Sorry, I could not cancel it. Your driver is at your door")
	require.True(t, eval[bool](b, jsCancelHidden), "the button stays after the refusal")
	require.Equal(t, "cancel-help", eval[string](b, `document.activeElement.id`), "the keyboard's focus was lost with the button")
	b.screenshot("5-cancel-refused")

	// A cancel that wins.
	b.do(10*time.Second, chromedp.Navigate(s.url+"/demo/?order=web-wins"))
	b.waitFor("the Cancel button", `!`+jsCancelHidden, 5*time.Second)
	b.do(5*time.Second, chromedp.Click(chromedp.ID("cancel")))
	b.waitFor("the cancel's answer", `document.querySelector('#chat .msg.ok') !== null`, 5*time.Second)
	require.Contains(t, eval[string](b, jsChat), "your order is cancelled")
	b.waitFor("the stream to close", `document.body.dataset.live === 'closed'`, 3*time.Second)
	b.screenshot("6-cancelled")

	// A server without the live stream: the chat says so, keeps trying,
	// and asks for the document meanwhile.
	bare := newStack(t, false)
	bare.createOrder(t, "web-bare", time.Now().Add(-time.Minute))
	b.do(10*time.Second, chromedp.Navigate(bare.url+"/demo/?order=web-bare"))
	b.waitFor("the fallback", `document.body.dataset.live === 'down' && !`+jsCancelHidden, 5*time.Second)
	require.Contains(t, eval[string](b, `document.getElementById('live-status').textContent`), "unavailable, retrying")
}
