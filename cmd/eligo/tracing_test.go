package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace/noop"
)

// With --otlp-endpoint (here ELIGO_OTLP_ENDPOINT), serve traces its
// requests, logs their trace ids, and exports the spans to the collector
// by the time it has stopped. Not parallel: serve installs the global
// tracer provider.
func TestServeExportsTracesToTheOTLPEndpoint(t *testing.T) {
	prevProp := otel.GetTextMapPropagator()
	t.Cleanup(func() { otel.SetTracerProvider(noop.NewTracerProvider()); otel.SetTextMapPropagator(prevProp) })
	var exports atomic.Int64
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/v1/traces" && r.Header.Get("Content-Type") == "application/x-protobuf" {
			exports.Add(1)
		}
	}))
	t.Cleanup(collector.Close)

	srv := startServe(t, t.TempDir(), testEnv(map[string]string{"ELIGO_OTLP_ENDPOINT": collector.URL}))
	require.Equal(t, http.StatusNotFound, call(t, "GET", srv.url+"/v1/orders/none", "svc-test-token-for-the-cmd-tests", nil, nil))
	srv.shutdown(t)

	require.Positive(t, exports.Load(), "no spans reached the collector by the end of the shutdown")
	var line string
	for l := range strings.Lines(srv.output.String()) {
		if strings.Contains(l, `"route":"GET /v1/orders/{id}"`) {
			line = l
		}
	}
	require.NotEmpty(t, line, "no log line of the request:\n%s", srv.output.String())
	require.Contains(t, line, `"trace_id":"`)
	require.Contains(t, line, `"span_id":"`)
}
