package main

import (
	"context"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

// TestTokenCustomerRefuses pins that `eligo token customer` mints nothing
// the server would refuse: a lifetime over the bound, or a bad customer id.
func TestTokenCustomerRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string // "" means a token is printed
	}{
		{"114 years", []string{"--customer", "c", "--ttl", "1000000h"}, nil, "over the 24h0m0s the server accepts"},
		{"just over the default", []string{"--customer", "c", "--ttl", "24h1s"}, nil, "over the 24h0m0s the server accepts"},
		{"the default bound", []string{"--customer", "c", "--ttl", "24h"}, nil, ""},
		{"a longer bound", []string{"--customer", "c", "--ttl", "47h", "--customer-token-max-ttl", "48h"}, nil, ""},
		{"a longer bound from the environment", []string{"--customer", "c", "--ttl", "47h"}, map[string]string{"ELIGO_CUSTOMER_TOKEN_MAX_TTL": "48h"}, ""},
		{"the flag wins over the environment", []string{"--customer", "c", "--ttl", "47h", "--customer-token-max-ttl", "24h"}, map[string]string{"ELIGO_CUSTOMER_TOKEN_MAX_TTL": "48h"}, "over the 24h0m0s"},
		{"zero ttl", []string{"--customer", "c", "--ttl", "0s"}, nil, "expected a duration of 1s or more"},
		// The message is the root check's (eligo.ValidateID).
		{"space in the id", []string{"--customer", "a b"}, nil, eligo.ErrorMessage(eligo.ValidateID("customer_id", "a b"))},
		{"slash in the id", []string{"--customer", "a/b"}, nil, eligo.ErrorMessage(eligo.ValidateID("customer_id", "a/b"))},
		{"no id", nil, nil, "--customer is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			args := append([]string{"eligo", "token", "customer", "--data-dir", dir}, tt.args...)
			err := run(context.Background(), args, testEnv(tt.env), &out, io.Discard)
			if tt.wantErr == "" {
				require.NoError(t, err)
				require.Equal(t, 2, strings.Count(out.String(), "."), "a JWT: %q", out.String())
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
			require.Empty(t, out.String(), "nothing is minted")
		})
	}
}

// TestServeCustomerTokenMaxTTL pins that serve refuses customer tokens
// longer-lived than --customer-token-max-ttl (24 h by default).
func TestServeCustomerTokenMaxTTL(t *testing.T) {
	t.Parallel()
	env := testEnv(map[string]string{"ELIGO_CUSTOMER_TOKEN_MAX_TTL": "48h"})
	var out strings.Builder
	require.NoError(t, run(context.Background(), []string{"eligo", "token", "customer", "--data-dir", t.TempDir(), "--customer", "c", "--ttl", "47h"}, env, &out, io.Discard))
	tok := strings.TrimSpace(out.String())
	const svc = "svc-test-token-for-the-cmd-tests"

	def := startServe(t, t.TempDir(), testEnv(nil))
	require.Equal(t, http.StatusCreated, call(t, "POST", def.url+"/v1/orders", svc, map[string]any{"id": "o", "customer_id": "c", "promised_at": "2099-01-01T00:00:00Z"}, nil))
	require.Equal(t, http.StatusUnauthorized, call(t, "GET", def.url+"/v1/orders/o/eligibility", tok, nil, nil), "a 47 h token is over the default bound")

	long := startServe(t, t.TempDir(), env)
	require.Equal(t, http.StatusCreated, call(t, "POST", long.url+"/v1/orders", svc, map[string]any{"id": "o", "customer_id": "c", "promised_at": "2099-01-01T00:00:00Z"}, nil))
	require.Equal(t, http.StatusOK, call(t, "GET", long.url+"/v1/orders/o/eligibility", tok, nil, nil), "ELIGO_CUSTOMER_TOKEN_MAX_TTL=48h accepts it")
}

// TestTokenNeverInventsSecrets pins that `eligo token` reads the secrets
// serve reads (the environment, then --data-dir) and creates none: without
// any it fails, says where it looked and how to point it at a server's data
// directory, and leaves that directory as it was.
func TestTokenNeverInventsSecrets(t *testing.T) {
	t.Parallel()
	none := func(string) string { return "" }
	for _, kind := range [][]string{{"customer", "--customer", "cust-9"}, {"service"}} {
		t.Run(kind[0], func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "eligo-data")
			var out strings.Builder
			args := append([]string{"eligo", "token"}, kind...)
			err := run(context.Background(), append(args, "--data-dir", dir), none, &out, io.Discard)
			require.Error(t, err)
			require.ErrorContains(t, err, filepath.Join(dir, secretsFile), "it says where it looked")
			require.ErrorContains(t, err, "--data-dir", "it says how to point it at a server's data directory")
			require.Empty(t, out.String(), "nothing is minted")
			_, statErr := os.Stat(dir)
			require.ErrorIs(t, statErr, fs.ErrNotExist, "no data directory is created")

			// ELIGO_DATA_DIR is read the same way.
			err = run(context.Background(), args, testEnv(map[string]string{"ELIGO_SERVICE_TOKENS": "", "ELIGO_CUSTOMER_TOKEN_SECRET": "", "ELIGO_DATA_DIR": dir}), &out, io.Discard)
			require.ErrorContains(t, err, filepath.Join(dir, secretsFile))
			_, statErr = os.Stat(dir)
			require.ErrorIs(t, statErr, fs.ErrNotExist, "no data directory is created")
		})
	}

	// A server's data directory is read as it is.
	dir := t.TempDir()
	srv := startServe(t, dir, none)
	first, err := os.ReadFile(filepath.Join(dir, secretsFile))
	require.NoError(t, err)
	var out strings.Builder
	require.NoError(t, run(context.Background(), []string{"eligo", "token", "service", "--data-dir", dir}, none, &out, io.Discard))
	require.Equal(t, http.StatusCreated, call(t, "POST", srv.url+"/v1/orders", strings.TrimSpace(out.String()), map[string]any{"id": "o", "customer_id": "c", "promised_at": "2099-01-01T00:00:00Z"}, nil))
	out.Reset()
	require.NoError(t, run(context.Background(), []string{"eligo", "token", "customer", "--customer", "c", "--data-dir", dir}, none, &out, io.Discard))
	require.Equal(t, http.StatusOK, call(t, "GET", srv.url+"/v1/orders/o/eligibility", strings.TrimSpace(out.String()), nil, nil), "the running server accepts the token")
	again, err := os.ReadFile(filepath.Join(dir, secretsFile))
	require.NoError(t, err)
	require.Equal(t, first, again)
}

// TestServiceTokensAreLong pins that a service token shorter than 32 bytes
// is refused, by serve and by token, with a message saying how to make one
// (`eligo token new`), and that serve calls generated only what it did
// generate.
func TestServiceTokensAreLong(t *testing.T) {
	t.Parallel()
	long := "svc_" + strings.Repeat("x", 28)
	for _, tokens := range []string{"abc", long + ",abc", strings.Repeat("y", 31)} {
		env := testEnv(map[string]string{"ELIGO_SERVICE_TOKENS": tokens})
		dir := t.TempDir()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second) // the code before the fix serves
		err := run(ctx, []string{"eligo", "serve", "--addr", "127.0.0.1:0", "--data-dir", dir}, env, io.Discard, io.Discard)
		cancel()
		require.ErrorContains(t, err, "32 bytes", tokens)
		require.ErrorContains(t, err, "eligo token new", tokens)
		require.NotContains(t, err.Error(), "abc", "the token itself is not shown")
		err = run(context.Background(), []string{"eligo", "token", "service", "--data-dir", dir}, env, io.Discard, io.Discard)
		require.ErrorContains(t, err, "eligo token new", tokens)
	}

	// eligo token new prints a random service token and a random secret,
	// which serve accepts.
	var out strings.Builder
	require.NoError(t, run(context.Background(), []string{"eligo", "token", "new"}, testEnv(nil), &out, io.Discard))
	vars := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		k, v, ok := strings.Cut(line, "=")
		require.True(t, ok, line)
		vars[k] = v
	}
	require.Len(t, vars, 2, out.String())
	require.GreaterOrEqual(t, len(vars["ELIGO_SERVICE_TOKENS"]), 32)
	require.GreaterOrEqual(t, len(vars["ELIGO_CUSTOMER_TOKEN_SECRET"]), 32)
	out.Reset()
	require.NoError(t, run(context.Background(), []string{"eligo", "token", "new"}, testEnv(nil), &out, io.Discard))
	require.NotContains(t, out.String(), vars["ELIGO_SERVICE_TOKENS"], "random each time")
	require.NotContains(t, out.String(), vars["ELIGO_CUSTOMER_TOKEN_SECRET"], "random each time")
	srv := startServe(t, t.TempDir(), func(k string) string { return vars[k] })
	require.Equal(t, http.StatusCreated, call(t, "POST", srv.url+"/v1/orders", vars["ELIGO_SERVICE_TOKENS"], map[string]any{"id": "o", "customer_id": "c", "promised_at": "2099-01-01T00:00:00Z"}, nil))

	// Only ELIGO_SERVICE_TOKENS set: the customer token secret is generated
	// and said to be; the service token is not printed as generated, and no
	// other service token is written.
	dir := t.TempDir()
	srv = startServe(t, dir, func(k string) string { return map[string]string{"ELIGO_SERVICE_TOKENS": long}[k] })
	printed := srv.stdout()
	require.NotContains(t, printed, long, "the service token came from the environment")
	require.NotContains(t, printed, "Service token:")
	require.Contains(t, printed, "customer token secret")
	require.NotContains(t, printed, "a service token")
	data, err := os.ReadFile(filepath.Join(dir, secretsFile))
	require.NoError(t, err)
	require.NotContains(t, string(data), "svc_", "no unused service token is written: %s", data)
	require.Equal(t, http.StatusCreated, call(t, "POST", srv.url+"/v1/orders", long, map[string]any{"id": "o", "customer_id": "c", "promised_at": "2099-01-01T00:00:00Z"}, nil))
	out.Reset()
	require.NoError(t, run(context.Background(), []string{"eligo", "token", "customer", "--customer", "c", "--data-dir", dir}, func(string) string { return "" }, &out, io.Discard))
	require.Equal(t, http.StatusOK, call(t, "GET", srv.url+"/v1/orders/o/eligibility", strings.TrimSpace(out.String()), nil, nil), "the generated secret is the one the server checks")

	// Both set: nothing is generated, nothing printed as generated.
	dir = t.TempDir()
	srv = startServe(t, dir, testEnv(map[string]string{"ELIGO_SERVICE_TOKENS": long}))
	require.NotContains(t, srv.stdout(), "Generated")
	require.NotContains(t, srv.stdout(), "Service token:")
	_, err = os.Stat(filepath.Join(dir, secretsFile))
	require.ErrorIs(t, err, fs.ErrNotExist)
}
