package postgres_test

import (
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/postgres"
	"github.com/eligo/eligo/internal/testenv"
)

// The store connects over TLS with what the URL says (sslmode,
// sslrootcert), verifying the server's certificate and its name, and works
// there: the migrations run and the connection is encrypted.
func TestTLSVerifiesTheServer(t *testing.T) {
	t.Parallel()
	pt := testenv.PostgresTLSServer(t)
	for _, tt := range []struct{ name, url string }{
		{"verify-full", pt.URL(pt.Host, "verify-full", pt.CAFile)},
		{"verify-ca", pt.URL(pt.Addr, "verify-ca", pt.CAFile)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t, tt.url, time.Now)
			t.Cleanup(func() { _ = s.Close() })
			var ssl bool
			var version string
			require.NoError(t, s.Pool().QueryRow(t.Context(),
				`SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()`).Scan(&ssl, &version))
			require.True(t, ssl, "the connection is not encrypted")
			t.Logf("%s: %s", tt.name, version)
		})
	}
}

// A server that TLS cannot verify stops Open at once with EINVALID, a
// message that names the server and the certificate, not the outage's
// EUNAVAILABLE "retry shortly" (it said so before).
func TestTLSRefusesAServerItCannotVerify(t *testing.T) {
	t.Parallel()
	pt := testenv.PostgresTLSServer(t)
	cases := []struct{ name, url, want string }{
		{"a CA that did not sign it", pt.URL(pt.Host, "verify-full", pt.OtherCAFile), "certificate signed by unknown authority"},
		{"verify-ca with another CA", pt.URL(pt.Addr, "verify-ca", pt.OtherCAFile), "certificate"},
	}
	if pt.Host != pt.Addr { // the certificate names a host, not the address
		cases = append(cases, struct{ name, url, want string }{
			"a name the certificate does not have", pt.URL(pt.Addr, "verify-full", pt.CAFile), "cannot validate certificate for " + pt.Addr})
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := postgres.Open(t.Context(), &postgres.Config{URL: tt.url})
			require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err), "a configuration error, not an outage: %v", err)
			require.ErrorContains(t, err, "the server's certificate cannot be verified")
			require.ErrorContains(t, err, tt.want)
			require.NotContains(t, err.Error(), "retry")
			require.ErrorContains(t, err, "postgres: connect to postgres://")
			require.ErrorContains(t, err, ":5432") // the server it tried
			require.Less(t, time.Since(start), 10*time.Second, "a failed handshake must not be retried")
		})
	}
}

// A CA file that cannot be read is named, rather than the URL being called
// invalid (it failed so before).
func TestTLSNamesAMissingRootCert(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "no-such-ca.pem")
	_, err := postgres.Open(t.Context(), &postgres.Config{
		URL: "postgres://eligo:s3cret@db.internal:5432/eligo?sslmode=verify-full&sslrootcert=" + missing,
	})
	require.ErrorContains(t, err, "unable to read CA file")
	require.ErrorContains(t, err, missing)
	require.ErrorContains(t, err, "postgres://eligo:xxxxx@db.internal:5432/eligo")
	require.NotContains(t, err.Error(), "s3cret")
}

// A database that does not exist is a configuration error too.
func TestOpenRefusesAMissingDatabase(t *testing.T) {
	t.Parallel()
	u, err := url.Parse(testenv.PostgresURL(t))
	require.NoError(t, err)
	u.Path = "/eligo_no_such_database"
	_, err = postgres.Open(t.Context(), &postgres.Config{URL: u.String()})
	require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err), "%v", err)
	require.ErrorContains(t, err, `database "eligo_no_such_database" does not exist`)
	require.ErrorContains(t, err, "check the user, password and database in the URL")
}
