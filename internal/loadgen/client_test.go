package loadgen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// A 503 with Retry-After is tried again as told, up to max503Retries
// times, and counted; one without Retry-After is an answer like any other.
func TestClientRetries503WithRetryAfter(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		switch {
		case r.URL.Path == "/bare":
			w.WriteHeader(http.StatusServiceUnavailable)
		case r.URL.Path == "/always" || n <= 2:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			_, _ = w.Write([]byte(`{"version":3}`))
		}
	}))
	t.Cleanup(srv.Close)
	c := NewClient(srv.URL, 2, 0)

	var out orderAnswer
	code, err := c.Do(context.Background(), "POST", "/v1/orders", "tok", map[string]string{"id": "o"}, &out)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code)
	require.EqualValues(t, 3, out.Version)
	require.EqualValues(t, 2, c.Retried503.Load())

	calls.Store(0)
	code, err = c.Do(context.Background(), "GET", "/bare", "", nil, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.EqualValues(t, 1, calls.Load(), "no Retry-After: not tried again")

	calls.Store(0)
	code, _ = c.Do(context.Background(), "GET", "/always", "", nil, nil)
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.EqualValues(t, 1+max503Retries, calls.Load())
}
