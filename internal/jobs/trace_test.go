package jobs_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/eligo/eligo/internal/auth"
	"github.com/eligo/eligo/internal/httpapi"
	"github.com/eligo/eligo/internal/jobs"
	"github.com/eligo/eligo/internal/tracing/tracingtest"
)

// An order created over HTTP under a caller's span is followed, in one
// trace, to its payment re-check job: caller -> POST /v1/orders -> store
// CreateOrder (whose transaction enqueued the job, with the traceparent in
// its metadata) -> job payment_recheck -> store UpdateOrders. Not parallel:
// it installs the global tracer provider.
func TestTraceFollowsAnOrderFromItsCreateToItsPaymentRecheck(t *testing.T) {
	rec, provider := tracingtest.Record(t)

	b := setup(t, sqliteFamily, setupOpts{})
	b.work(t, jobs.WorkersConfig{})
	authn, err := auth.New(auth.Config{ServiceTokens: []string{"svc"}})
	require.NoError(t, err)
	api, err := httpapi.NewServer(httpapi.Deps{Engine: b.engine, Auth: authn})
	require.NoError(t, err)
	srv := httptest.NewServer(httpapi.TraceHandler(api))
	t.Cleanup(srv.Close)

	ctx, caller := provider.Tracer("test").Start(context.Background(), "shop checkout")
	now := time.Now().UTC()
	body := `{"id":"order-1","customer_id":"cust-1","promised_at":"` + now.Add(10*time.Minute).Format(time.RFC3339Nano) +
		`","payment_timeout_at":"` + now.Add(time.Second).Format(time.RFC3339Nano) + `"}`
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/orders", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer svc")
	req.Header.Set("Content-Type", "application/json")
	propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(req.Header))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	caller.End()

	rows := b.waitJobs(t, "payment_recheck", 1, 15*time.Second)
	var meta map[string]string
	require.NoError(t, json.Unmarshal(rows[0].Metadata, &meta))
	require.NotEmpty(t, meta["traceparent"], "the job does not carry the trace of its change")

	byName := map[string]sdktrace.ReadOnlySpan{}
	require.Eventually(t, func() bool {
		clear(byName)
		for _, s := range rec.Ended() {
			byName[s.Name()] = s
		}
		return byName["job payment_recheck"] != nil && byName["store UpdateOrders"] != nil
	}, 10*time.Second, 10*time.Millisecond, "spans missing; ended: %v", byName)
	reqSpan, create, job, update := byName["POST /v1/orders"], byName["store CreateOrder"], byName["job payment_recheck"], byName["store UpdateOrders"]
	require.NotNil(t, reqSpan, "no span of the request")
	require.NotNil(t, create, "no span of the create's transaction")
	want := caller.SpanContext().TraceID()
	for _, s := range []sdktrace.ReadOnlySpan{reqSpan, create, job, update} {
		require.Equal(t, want, s.SpanContext().TraceID(), "%s is not in the caller's trace", s.Name())
	}
	require.Equal(t, caller.SpanContext().SpanID(), reqSpan.Parent().SpanID(), "request <- caller")
	require.Equal(t, reqSpan.SpanContext().SpanID(), create.Parent().SpanID(), "store CreateOrder <- request")
	require.Equal(t, create.SpanContext().SpanID(), job.Parent().SpanID(), "job <- store CreateOrder")
	require.Equal(t, job.SpanContext().SpanID(), update.Parent().SpanID(), "the re-check's store UpdateOrders <- job")
}
