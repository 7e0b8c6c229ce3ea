package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo/internal/testenv"
)

// A PostgreSQL whose certificate the URL's sslrootcert cannot verify is a
// configuration error: serve stops at once and says which server and what
// failed, once (not "eligo: eligo: invalid: ..."), rather than starting
// degraded or retrying as for an outage; so does migrate.
func TestServeStopsOnAPostgresCertificateItCannotVerify(t *testing.T) {
	t.Parallel()
	pt := testenv.PostgresTLSServer(t)
	start := time.Now()
	code, out := runFails(t, map[string]string{"ELIGO_POSTGRES_URL": pt.URL(pt.Host, "verify-full", pt.OtherCAFile)},
		"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir())
	require.Equal(t, 1, code, out)
	require.True(t, strings.HasPrefix(out, "eligo: postgres: connect to postgres://postgres@"+pt.Host+":5432/"), out)
	require.Contains(t, out, "the server's certificate cannot be verified")
	require.Contains(t, out, "check sslrootcert")
	require.NotContains(t, out, "retry")
	require.Less(t, time.Since(start), 10*time.Second)

	code, out = runFails(t, map[string]string{"ELIGO_POSTGRES_URL": pt.URL(pt.Host, "verify-full", pt.OtherCAFile)}, "migrate", "--data-dir", t.TempDir())
	require.Equal(t, 1, code, out)
	require.True(t, strings.HasPrefix(out, "eligo: postgres: connect to postgres://postgres@"), out)
	require.Contains(t, out, "the server's certificate cannot be verified")
}

// --cors-origins refuses a wildcard, and anything that is not an origin,
// before anything is opened.
func TestServeRefusesACORSWildcard(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--cors-origins", "*"}, nil, `--cors-origins (ELIGO_CORS_ORIGINS): CORS origin "*" is not allowed`},
		{nil, map[string]string{"ELIGO_CORS_ORIGINS": "https://app.example.com/path"}, `CORS origin "https://app.example.com/path" has more than scheme, host and port`},
	} {
		code, out := runFails(t, c.env, append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, c.args...)...)
		require.Equal(t, 1, code, out)
		require.Contains(t, out, c.want)
		require.Contains(t, out, "for example https://app.example.com")
	}
}
