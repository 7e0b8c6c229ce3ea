package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Client is an HTTP client of eligo's v1 API with a pool of kept-alive
// connections. It does what a well-behaved client does with a 503 that
// carries Retry-After (the store did not answer in time, or the server is
// not ready): it waits as told, at most maxRetryWait, and tries again, up to
// max503Retries times; Retried503 counts those tries. Every write of the
// API is idempotent, so a retried one is never applied twice.
type Client struct {
	base       string
	http       *http.Client
	Retried503 atomic.Int64
}

// How a Client retries a 503 with Retry-After.
const (
	max503Retries = 3
	maxRetryWait  = time.Second
)

// NewClient returns a client of the API at base (such as
// http://127.0.0.1:8080) that keeps up to conns connections alive and gives
// each request up to timeout (0: no limit).
func NewClient(base string, conns int, timeout time.Duration) *Client {
	return &Client{base: strings.TrimRight(base, "/"), http: &http.Client{Transport: newTransport(conns), Timeout: timeout}}
}

func newTransport(conns int) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = conns
	tr.MaxIdleConnsPerHost = conns
	tr.DisableCompression = true
	tr.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return tr
}

// Do sends a request with a bearer token (none when token is empty) and a
// JSON body (none when body is nil), and decodes a JSON answer into out
// (when not nil). It returns the status code; a transport failure or an
// answer that does not decode is an error.
func (c *Client) Do(ctx context.Context, method, path, token string, body, out any) (int, error) {
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return 0, err
		}
	}
	for try := 0; ; try++ {
		code, wait, err := c.do(ctx, method, path, token, b, out)
		if code != http.StatusServiceUnavailable || wait < 0 || try == max503Retries {
			return code, err
		}
		c.Retried503.Add(1)
		t := time.NewTimer(min(wait, maxRetryWait))
		select {
		case <-ctx.Done():
			t.Stop()
			return code, err
		case <-t.C:
		}
	}
}

// do sends one request; wait is the 503's Retry-After, -1 when there is none.
func (c *Client) do(ctx context.Context, method, path, token string, body []byte, out any) (code int, wait time.Duration, err error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, -1, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, -1, err
	}
	defer resp.Body.Close()
	wait = -1
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs >= 0 {
		wait = time.Duration(secs) * time.Second
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, wait, err
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, wait, &decodeError{fmt.Errorf("%s %s: decoding the %d answer: %w", method, path, resp.StatusCode, err)}
		}
	}
	return resp.StatusCode, wait, nil
}

// eligibility reads an order's eligibility, sending If-None-Match when etag
// is set. On a 200 it decodes the document into doc.
func (c *Client) eligibility(ctx context.Context, orderID, token, etag string, doc *Document) (code int, hdr eligibilityHeaders, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v1/orders/"+orderID+"/eligibility", nil)
	if err != nil {
		return 0, hdr, err
	}
	req.Header["Authorization"] = []string{"Bearer " + token}
	if etag != "" {
		req.Header["If-None-Match"] = []string{etag}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, hdr, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, hdr, err
	}
	hdr.etag = resp.Header.Get("Etag")
	hdr.maxAge = parseMaxAge(resp.Header.Get("Cache-Control"))
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(data, doc); err != nil {
			return resp.StatusCode, hdr, &decodeError{fmt.Errorf("decoding an eligibility document: %w", err)}
		}
	}
	return resp.StatusCode, hdr, nil
}

type eligibilityHeaders struct {
	etag   string
	maxAge int // -1 when absent
}

// parseMaxAge returns the max-age of a Cache-Control value, or -1.
func parseMaxAge(cc string) int {
	for part := range strings.SplitSeq(cc, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "max-age="); ok {
			if n, err := strconv.Atoi(v); err == nil {
				return n
			}
		}
	}
	return -1
}

// Document is the eligibility document of the contract: the answer of GET
// /v1/orders/{id}/eligibility and every message of the live stream.
type Document struct {
	OrderID       string              `json:"order_id"`
	Version       int64               `json:"version"`
	PolicyVersion string              `json:"policy_version"`
	AsOf          time.Time           `json:"as_of"`
	Actions       map[string]Decision `json:"actions"`
}

// Decision is one action's entry in a Document.
type Decision struct {
	Allowed bool       `json:"allowed"`
	Reason  string     `json:"reason"`
	Until   *time.Time `json:"until"`
}

// cancelAnswer returns the document's cancel decision as an answer.
func (d *Document) cancelAnswer() answer {
	dec := d.Actions["cancel"]
	a := answer{allowed: dec.Allowed, reason: internReason(dec.Reason)}
	if dec.Until != nil {
		a.until = *dec.Until
	}
	return a
}

// internReason returns the built-in rule's constant for a known reason, so
// that millions of kept answers share a handful of strings.
func internReason(r string) string {
	for _, k := range [...]string{reasonSLABreached, reasonOutsideWindow, reasonCancelled, reasonDelivered, reasonExpired, reasonDriverAtDoorstep, reasonPaymentExpired} {
		if r == k {
			return k
		}
	}
	return r
}

// EventResults is the answer of POST /v1/events.
type EventResults struct {
	Results []EventResult `json:"results"`
}

// EventResult is the outcome of one event.
type EventResult struct {
	EventID string `json:"event_id"`
	Outcome string `json:"outcome"`
	Version int64  `json:"version"`
	Error   string `json:"error"`
}

// eventRequest is one event in the body of POST /v1/events.
type eventRequest struct {
	EventID    string    `json:"event_id"`
	OrderID    string    `json:"order_id"`
	Type       string    `json:"type"`
	Status     string    `json:"status"`
	OccurredAt time.Time `json:"occurred_at"`
}

// orderAnswer is the part of an order document, or of a problem document,
// that the generator reads. (Both have a "status", a string in one and a
// number in the other, so it is left out.)
type orderAnswer struct {
	Version int64  `json:"version"`
	Reason  string `json:"reason"`
	Detail  string `json:"detail"`
}

type decodeError struct{ error }

func (e *decodeError) Unwrap() error { return e.error }

// errorKind names the kind of a failed request for the report: a transport
// failure, an answer that does not decode, or an unexpected status.
func errorKind(code int, err error) string {
	var de *decodeError
	var ne net.Error
	switch {
	case errors.As(err, &de):
		return "decode"
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection_refused"
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "connection_reset"
	case errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.EADDRNOTAVAIL):
		return "out_of_sockets"
	case err != nil:
		return "transport"
	case code == http.StatusServiceUnavailable:
		return "http_503" // the server asked for time, and the retries ran out
	case code >= 500:
		return "http_5xx"
	case code == http.StatusTooManyRequests:
		return "http_429"
	}
	return fmt.Sprintf("http_%d", code)
}
