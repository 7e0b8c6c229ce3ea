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
	const svc = "svc-test-token"

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
