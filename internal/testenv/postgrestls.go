package testenv

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eligo/eligo/internal/testenv/testca"
)

// PostgresTLS is what a client needs to reach the test PostgreSQL server
// over TLS and verify it: the server's own certificate, as the root to
// trust, and a host name that the certificate names and that reaches the
// server.
type PostgresTLS struct {
	base *url.URL // the test's URL (a schema of its own), sslmode=disable
	// CAFile holds the server's certificate (its ssl_cert_file), the
	// sslrootcert that verifies it.
	CAFile string
	// OtherCAFile holds a CA made for the test, which did not sign the
	// server's certificate.
	OtherCAFile string
	// Host is a name in the certificate that resolves to the test URL's
	// address, for sslmode=verify-full; Addr is that address.
	Host, Addr string
}

// PostgresTLSServer finds how to verify the test PostgreSQL server (see
// PostgresURL): it needs ssl=on, a superuser to read the certificate
// through the server (pg_read_file), and a name in the certificate that
// resolves to the server's address (Debian's snakeoil certificate names
// localhost). Where one is missing the test is skipped, or fails under CI,
// with a message that says which. The URLs it gives use a schema of the
// test's own, dropped when it ends.
func PostgresTLSServer(t testing.TB) *PostgresTLS {
	t.Helper()
	connURL := PostgresSchemaURL(t)
	base, err := url.Parse(connURL)
	if err != nil || base.Hostname() == "" {
		t.Fatalf("%s must be a postgres:// URL with a host for the TLS tests, not %q", PostgresURLEnv, connURL)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, connURL)
	if err != nil {
		t.Fatalf("connect to the test PostgreSQL (%s): %v", PostgresURLEnv, err)
	}
	defer conn.Close(ctx)
	var ssl, certPEM string
	if err := conn.QueryRow(ctx, `SHOW ssl`).Scan(&ssl); err != nil {
		t.Fatalf("SHOW ssl: %v", err)
	}
	if ssl != "on" {
		skipOrFail(t, "the test PostgreSQL has ssl=off: turn it on (ssl = on in postgresql.conf) to run the TLS tests")
	}
	if err := conn.QueryRow(ctx, `SELECT pg_read_file(current_setting('ssl_cert_file'))`).Scan(&certPEM); err != nil {
		skipOrFail(t, "cannot read the test PostgreSQL's certificate through it (pg_read_file of ssl_cert_file; %s must name a superuser): %v", PostgresURLEnv, err)
	}
	block, _ := pem.Decode([]byte(certPEM))
	if block == nil {
		t.Fatalf("the test PostgreSQL's ssl_cert_file holds no PEM certificate")
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("the test PostgreSQL's certificate: %v", err)
	}

	pt := &PostgresTLS{base: base, Addr: base.Hostname()}
	pt.Host = nameReaching(leaf, pt.Addr)
	if pt.Host == "" {
		skipOrFail(t, "the test PostgreSQL's certificate names %v %v, none of which resolves to %s, where the server is: verify-full cannot be tested",
			leaf.DNSNames, leaf.IPAddresses, pt.Addr)
	}
	dir := t.TempDir()
	pt.CAFile, pt.OtherCAFile = filepath.Join(dir, "server.pem"), testca.New(t, "eligo test CA (not the server's)").File
	if err := os.WriteFile(pt.CAFile, []byte(certPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	return pt
}

// URL returns the test URL on host with sslmode and sslrootcert set, and
// the extra query parameters (name, value pairs) added.
func (pt *PostgresTLS) URL(host, sslmode, rootCert string, extra ...string) string {
	u := *pt.base
	if port := pt.base.Port(); port != "" {
		u.Host = net.JoinHostPort(host, port)
	} else {
		u.Host = host
	}
	q := u.Query()
	q.Set("sslmode", sslmode)
	if rootCert != "" {
		q.Set("sslrootcert", rootCert)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// nameReaching returns the name or address in cert that leads to addr,
// "" when none does.
func nameReaching(cert *x509.Certificate, addr string) string {
	ip := net.ParseIP(addr)
	for _, a := range cert.IPAddresses {
		if a.Equal(ip) {
			return addr
		}
	}
	for _, name := range cert.DNSNames {
		if name == addr {
			return name
		}
		if addrs, err := net.LookupHost(name); err == nil && slices.ContainsFunc(addrs, func(a string) bool { return net.ParseIP(a).Equal(ip) }) {
			return name
		}
	}
	return ""
}

func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if InCI() {
		t.Fatalf(format+"; under CI (CI=true) the TLS tests must run", args...)
	}
	t.Skipf(format, args...)
}
