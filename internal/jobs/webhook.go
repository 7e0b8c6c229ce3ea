package jobs

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/riverqueue/river"
	"go.opentelemetry.io/otel/propagation"

	"github.com/eligo/eligo/internal/tracing"
)

// WebhookArgs POSTs one version to one subscriber, named by its URL; the
// secret stays in the worker's configuration.
type WebhookArgs struct {
	URL     string  `json:"url"`
	Payload Payload `json:"payload"`
}

// Kind implements river.JobArgs.
func (WebhookArgs) Kind() string { return "webhook" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (WebhookArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueWebhook}
}

// Headers of a webhook request.
const (
	HeaderTimestamp = "Eligo-Timestamp"  // Unix seconds when the request was signed
	HeaderSignature = "Eligo-Signature"  // v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>
	HeaderVersionID = "Eligo-Version-Id" // the version id, for the receiver to deduplicate
)

// Sign returns the Eligo-Signature value of body signed at timestamp (Unix
// seconds, as sent in Eligo-Timestamp).
func Sign(secret string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(timestamp, 10)))
	mac.Write([]byte("."))
	mac.Write(body)
	return "v1=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a webhook request's signature header against its
// timestamp header and body, and that the timestamp is within tolerance of
// now (a replayed old request fails). Receivers in Go can use it as it is;
// docs/webhooks.md shows it.
func Verify(secret, timestampHeader, signatureHeader string, body []byte, now time.Time, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(timestampHeader, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook: %s %q is not Unix seconds", HeaderTimestamp, timestampHeader)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("webhook: %s is %s away from now; the limit is %s", HeaderTimestamp, d.Round(time.Second), tolerance)
	}
	if !hmac.Equal([]byte(Sign(secret, ts, body)), []byte(signatureHeader)) {
		return fmt.Errorf("webhook: %s does not match the body", HeaderSignature)
	}
	return nil
}

// WebhookWorker runs WebhookArgs: it POSTs the payload as JSON, signed,
// and succeeds on a 2xx answer. Anything else fails the job, and River
// retries it with backoff until its attempts run out; then it is discarded,
// which the metrics and River UI show. A receiver may get a version more
// than once (a retry after a lost answer) and deduplicates by
// Eligo-Version-Id.
type WebhookWorker struct {
	river.WorkerDefaults[WebhookArgs]
	Subscribers []Subscriber
	Client      *http.Client // nil means a client with a 10 s timeout
	Now         func() time.Time
}

// Work implements river.Worker.
func (w *WebhookWorker) Work(ctx context.Context, job *river.Job[WebhookArgs]) error {
	sub := w.subscriber(job.Args.URL)
	if sub == nil {
		// Removed from this worker's configuration since the job was
		// enqueued: cancel it (visible as cancelled) rather than retry.
		return river.JobCancel(fmt.Errorf("webhook: %s is not a configured subscriber of this worker", job.Args.URL))
	}
	body, err := json.Marshal(job.Args.Payload)
	if err != nil {
		return err
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	ts := now().Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.URL, bytes.NewReader(body))
	if err != nil {
		return river.JobCancel(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "eligo-webhook/1")
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(sub.Secret, ts, body))
	req.Header.Set(HeaderVersionID, strconv.FormatInt(job.Args.Payload.VersionID, 10))
	tracing.Inject(ctx, propagation.HeaderCarrier(req.Header)) // the job's span: a traceparent when tracing is on
	c := w.Client
	if c == nil {
		c = defaultHTTPClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: POST %s: %w", sub.URL, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook: POST %s: %s", sub.URL, resp.Status)
	}
	return nil
}

// Timeout implements river.Worker: a webhook gets 30 s, whatever the
// client's default.
func (w *WebhookWorker) Timeout(*river.Job[WebhookArgs]) time.Duration { return 30 * time.Second }

func (w *WebhookWorker) subscriber(url string) *Subscriber {
	for i := range w.Subscribers {
		if w.Subscribers[i].URL == url {
			return &w.Subscribers[i]
		}
	}
	return nil
}
