package main

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// runOrderCmd runs `eligo order ARGS` and returns its output and exit status.
func runOrderCmd(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut strings.Builder
	err := run(context.Background(), append([]string{"eligo", "order"}, args...), func(k string) string { return env[k] }, &out, &errOut)
	code = exitStatus(err, &errOut)
	return out.String(), errOut.String(), code
}

// TestOrderCommand drives `eligo order get|versions|eligibility` through run
// against a server started here.
func TestOrderCommand(t *testing.T) {
	t.Parallel()
	const svc = "svc-order-command-test-token-0123456789"
	dir := t.TempDir()
	srv := startServe(t, dir, testEnv(map[string]string{"ELIGO_SERVICE_TOKENS": svc}))
	promised := time.Now().UTC().Add(10 * time.Minute).Truncate(time.Second)
	require.Equal(t, http.StatusCreated, call(t, "POST", srv.url+"/v1/orders", svc, map[string]any{"id": "ord-1", "customer_id": "cust-9", "promised_at": promised}, nil))
	require.Equal(t, http.StatusOK, call(t, "POST", srv.url+"/v1/events", svc, map[string]any{"event_id": "e-1", "order_id": "ord-1", "type": "driver_status", "status": "ARRIVED_AT_DOORSTEP"}, nil))
	env := map[string]string{"ELIGO_URL": srv.url, "ELIGO_SERVICE_TOKEN": svc}

	t.Run("get", func(t *testing.T) {
		out, errOut, code := runOrderCmd(t, env, "get", "ord-1")
		require.Equal(t, 0, code, errOut)
		require.Regexp(t, `(?m)^order +ord-1$`, out)
		require.Regexp(t, `(?m)^customer +cust-9$`, out)
		require.Regexp(t, `(?m)^version +2$`, out)
		require.Regexp(t, `(?m)^driver status +ARRIVED_AT_DOORSTEP$`, out)
		require.Regexp(t, `(?m)^promised at +`+promised.Format(time.RFC3339)+` \(in `, out)
		require.Regexp(t, `(?m)^payment timeout at +\(none\)$`, out)
	})
	t.Run("versions", func(t *testing.T) {
		out, errOut, code := runOrderCmd(t, env, "versions", "ord-1")
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "version 1 (record 1): create by service")
		require.Contains(t, out, "version 2 (record 2): update by service")
		require.Contains(t, out, ", event e-1 (occurred ")
		require.Regexp(t, `(?m)^    driver_status +null -> ARRIVED_AT_DOORSTEP$`, out)
	})
	t.Run("eligibility", func(t *testing.T) {
		out, errOut, code := runOrderCmd(t, env, "eligibility", "ord-1")
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "order ord-1, version 2, as of ")
		require.Regexp(t, `(?m)^cancel +not allowed +driver_at_doorstep +until an event changes it$`, out)
	})
	t.Run("json is the server's document", func(t *testing.T) {
		for sub, key := range map[string]string{"get": "id", "versions": "versions", "eligibility": "order_id"} {
			out, errOut, code := runOrderCmd(t, env, sub, "--json", "ord-1")
			require.Equal(t, 0, code, errOut)
			var doc map[string]any
			require.NoError(t, json.Unmarshal([]byte(out), &doc), out)
			require.Contains(t, doc, key)
			require.True(t, strings.HasSuffix(out, "}\n"), "one line: %q", out)
		}
		out, _, code := runOrderCmd(t, map[string]string{"ELIGO_SERVICE_TOKEN": svc, "ELIGO_ORDER_JSON": "true"}, "get", "--url", srv.url, "ord-1")
		require.Equal(t, 0, code)
		require.True(t, json.Valid([]byte(out)), out)
	})
	t.Run("the token from ELIGO_SERVICE_TOKENS or the data directory", func(t *testing.T) {
		_, errOut, code := runOrderCmd(t, map[string]string{"ELIGO_URL": srv.url, "ELIGO_SERVICE_TOKENS": svc + ",other"}, "get", "ord-1")
		require.Equal(t, 0, code, errOut)
		// A server that generated its secrets: --data-dir reads them.
		genDir := t.TempDir()
		gen := startServe(t, genDir, func(string) string { return "" })
		_, errOut, code = runOrderCmd(t, nil, "get", "--url", gen.url, "--data-dir", genDir, "nope")
		require.Equal(t, 1, code)
		require.Contains(t, errOut, `order "nope" does not exist (404)`, "the token was taken: the answer is 404, not 401")
		_, errOut, code = runOrderCmd(t, nil, "get", "--url", gen.url, "--data-dir", filepath.Join(genDir, "absent"), "ord-1")
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "no secrets.json in")
		_, errOut, code = runOrderCmd(t, map[string]string{"ELIGO_URL": srv.url}, "get", "ord-1")
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "needs the service token")
	})
	t.Run("server errors are their detail", func(t *testing.T) {
		for _, tt := range []struct {
			env  map[string]string
			args []string
			want string
		}{
			{env, []string{"get", "nope"}, `eligo: order get: order "nope" does not exist (404)` + "\n"},
			{env, []string{"eligibility", "--json", "nope"}, `eligo: order eligibility: order "nope" does not exist (404)` + "\n"},
			{map[string]string{"ELIGO_URL": srv.url, "ELIGO_SERVICE_TOKEN": "not-the-token"}, []string{"versions", "ord-1"}, "(401)\n"},
		} {
			out, errOut, code := runOrderCmd(t, tt.env, tt.args...)
			require.Equal(t, 1, code, "%v: %s", tt.args, errOut)
			require.Empty(t, out, "nothing on stdout")
			require.True(t, strings.HasSuffix(errOut, tt.want), "%v: %q", tt.args, errOut)
			require.NotContains(t, errOut, "{", "the detail, not the problem's JSON")
		}
	})
	t.Run("usage errors exit 2", func(t *testing.T) {
		for _, args := range [][]string{nil, {"list"}, {"get"}, {"get", "--json"}, {"get", "a b"}, {"get", "a/b"}, {"get", "--url", srv.url}, {"get", "x", "y"}, {"get", "--colour", "x"}} {
			out, errOut, code := runOrderCmd(t, env, args...)
			require.Equal(t, 2, code, "%v: %s", args, errOut)
			require.Empty(t, out)
		}
		out, _, code := runOrderCmd(t, env, "-h")
		require.Equal(t, 0, code)
		require.Contains(t, out, "Usage: eligo order get|versions|eligibility ID [flags]")
		require.Contains(t, out, "eligo order versions ID")
		require.Contains(t, out, "ELIGO_ORDER_JSON")
	})
}

// An order's attributes, deadlines and taken actions are printed, sorted,
// after its timestamps; an order without them prints none of those rows.
func TestPrintOrderAttributesAndDeadlines(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	body := `{"id":"o-1","customer_id":"c-1","status":"PLACED","driver_status":null,"payment_status":"PAID",
		"placed_at":"2026-01-01T11:00:00Z","promised_at":"2026-01-01T11:10:00Z","payment_timeout_at":null,"version":3,
		"updated_at":"2026-01-01T11:05:00Z","attributes":{"merchant":"m-9","city":"AMS"},
		"deadlines":{"event_starts_at":"2026-01-03T20:00:00Z"},"taken":["refund"]}`
	var out strings.Builder
	require.NoError(t, printOrder(&out, []byte(body), now))
	require.Regexp(t, `(?m)^attribute city +AMS\nattribute merchant +m-9\ndeadline event_starts_at +2026-01-03T20:00:00Z.*\ntaken +refund\n\z`, out.String())

	out.Reset()
	require.NoError(t, printOrder(&out, []byte(`{"id":"o-2","status":"PLACED","payment_status":"PAID","attributes":{},"deadlines":{},"taken":[]}`), now))
	require.NotContains(t, out.String(), "attribute")
	require.NotContains(t, out.String(), "taken")
}
