package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestServeRiverUIRefusesCrossSiteCancel is the request against a
// running serve and its real River UI: the job it names stays scheduled,
// and the same cancel as JSON cancels it.
func TestServeRiverUIRefusesCrossSiteCancel(t *testing.T) {
	t.Parallel()
	srv := startServe(t, t.TempDir(), testEnv(nil))
	createUnpaid(t, srv.url, "ord-1", time.Hour) // a payment re-check an hour away
	do := func(method, path, body string, header map[string]string) (int, string) {
		req, err := http.NewRequestWithContext(t.Context(), method, srv.url+path, strings.NewReader(body))
		require.NoError(t, err)
		req.SetBasicAuth("ops", jobsTestToken)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(data)
	}
	jobs := func(state string) []string {
		code, body := do("GET", "/riverui/api/jobs?state="+state+"&limit=10", "", nil)
		require.Equal(t, http.StatusOK, code, body)
		var page struct {
			Data []struct {
				ID json.Number `json:"id"`
			} `json:"data"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &page), body)
		var ids []string
		for _, j := range page.Data {
			ids = append(ids, j.ID.String())
		}
		return ids
	}
	scheduled := jobs("scheduled")
	require.Len(t, scheduled, 1)
	cancel := `{"ids":["` + scheduled[0] + `"]}`

	code, _ := do("POST", "/riverui/api/jobs/cancel", cancel, map[string]string{"Origin": "https://evil.example", "Content-Type": "text/plain"})
	require.Equal(t, http.StatusForbidden, code)
	code, _ = do("POST", "/riverui/api/jobs/cancel", cancel, map[string]string{"Content-Type": "text/plain"})
	require.Equal(t, http.StatusUnsupportedMediaType, code)
	require.Equal(t, scheduled, jobs("scheduled"), "the job is still scheduled")

	code, body := do("POST", "/riverui/api/jobs/cancel", cancel, map[string]string{"Content-Type": "application/json"})
	require.Equal(t, http.StatusOK, code, body)
	require.Equal(t, scheduled, jobs("cancelled"))
}
