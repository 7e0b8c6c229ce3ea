package webdemo_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// The demo answers errors with the API's one problem+json writer: the same
// document, instance included.
func TestProblemsAreWrittenByTheAPIsWriter(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	for _, path := range []string{"/demo/api/orders/nope", "/demo/api/tokens"} {
		resp, body := get(t, b.srv.URL+path)
		require.Equal(t, http.StatusNotFound, resp.StatusCode)
		require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
		var p map[string]any
		require.NoError(t, json.Unmarshal([]byte(body), &p), body)
		require.Equal(t, "https://eligo.dev/problems/not-found", p["type"])
		require.Equal(t, "Not found", p["title"])
		require.EqualValues(t, 404, p["status"])
		require.Equal(t, path, p["instance"], body)
		require.NotEmpty(t, p["detail"])
	}
}
