package redis

import (
	"crypto/tls"
	"crypto/x509"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo/internal/testenv/redisserver"
)

func TestClientConfigURLForms(t *testing.T) {
	t.Parallel()
	ca := redisserver.NewCA(t).CA
	for _, tt := range []struct {
		name                 string
		cfg                  ClientConfig
		addrs                []string
		user, password       string
		db                   int
		tls, customCA        bool
		master, sentinelPass string
	}{
		{name: "address", cfg: ClientConfig{Addr: "r1:6379, r2"}, addrs: []string{"r1:6379", "r2:6379"}},
		{name: "ACL user and database", cfg: ClientConfig{URL: "redis://eligo:s3cret@cache:6380/2"},
			addrs: []string{"cache:6380"}, user: "eligo", password: "s3cret", db: 2},
		{name: "password alone, default port", cfg: ClientConfig{URL: "redis://:tok%40en@cache"},
			addrs: []string{"cache:6379"}, password: "tok@en"},
		{name: "TLS with the system's CAs", cfg: ClientConfig{URL: "rediss://default:pw@x.upstash.io:6379"},
			addrs: []string{"x.upstash.io:6379"}, user: "default", password: "pw", tls: true},
		{name: "TLS with ca_file", cfg: ClientConfig{URL: "rediss://:pw@10.0.0.3:6378?ca_file=" + ca},
			addrs: []string{"10.0.0.3:6378"}, password: "pw", tls: true, customCA: true},
		{name: "TLS with the CA apart", cfg: ClientConfig{URL: "rediss://10.0.0.3:6378", CAFile: ca},
			addrs: []string{"10.0.0.3:6378"}, tls: true, customCA: true},
		{name: "cluster seeds", cfg: ClientConfig{URL: "redis://a:7000,b:7001?addr=c:7002"},
			addrs: []string{"a:7000", "b:7001", "c:7002"}},
		{name: "IPv6", cfg: ClientConfig{URL: "redis://[::1]"}, addrs: []string{"[::1]:6379"}},
		{name: "sentinel", cfg: ClientConfig{URL: "redis-sentinel://:pw@s1,s2:26380/mymaster/1?sentinel_password=spw"},
			addrs: []string{"s1:26379", "s2:26380"}, password: "pw", db: 1, master: "mymaster", sentinelPass: "spw"},
		{name: "sentinel over TLS", cfg: ClientConfig{URL: "rediss-sentinel://s1/mymaster"},
			addrs: []string{"s1:26379"}, master: "mymaster", tls: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opt, err := tt.cfg.options()
			require.NoError(t, err)
			require.Equal(t, tt.addrs, opt.InitAddress)
			require.Equal(t, tt.user, opt.Username)
			require.Equal(t, tt.password, opt.Password)
			require.Equal(t, tt.db, opt.SelectDB)
			require.Equal(t, tt.master, opt.Sentinel.MasterSet)
			require.Equal(t, tt.sentinelPass, opt.Sentinel.Password)
			require.Equal(t, tt.tls, opt.TLSConfig != nil)
			if tt.tls {
				require.GreaterOrEqual(t, opt.TLSConfig.MinVersion, uint16(tls.VersionTLS12))
				require.Empty(t, opt.TLSConfig.ServerName, "each host is checked against its own name")
				require.Equal(t, tt.customCA, opt.TLSConfig.RootCAs != nil)
				require.False(t, opt.TLSConfig.InsecureSkipVerify)
			}
			if tt.master != "" && tt.tls {
				require.Same(t, opt.TLSConfig, opt.Sentinel.TLSConfig)
			}
		})
	}
}

// Every mistake is refused with what was wrong, and no message carries
// the password.
func TestClientConfigRefusesMistakes(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		cfg  ClientConfig
		want string
	}{
		{"nothing", ClientConfig{}, "no address given"},
		{"both", ClientConfig{Addr: "a:1", URL: "redis://b"}, "both a URL and an address"},
		{"bad userinfo", ClientConfig{URL: "redis://u:hunter2 x@h"}, "the URL does not parse"},
		{"scheme", ClientConfig{URL: "http://:hunter2@h"}, `the URL scheme "http" is not one of`},
		{"parameter", ClientConfig{URL: "rediss://:hunter2@h?ca=x"}, `the URL parameter "ca" is unknown`},
		{"database", ClientConfig{URL: "redis://:hunter2@h/zero"}, `is not /db`},
		{"path", ClientConfig{URL: "redis://:hunter2@h/0/1"}, `is not /db`},
		{"no host", ClientConfig{URL: "redis://"}, "names no host"},
		{"sentinel without master", ClientConfig{URL: "redis-sentinel://:hunter2@s"}, "names the master"},
		{"sentinel password without sentinel", ClientConfig{URL: "redis://h?sentinel_password=hunter2"}, "are for a redis-sentinel URL"},
		{"CA without TLS", ClientConfig{URL: "redis://:hunter2@h", CAFile: "ca.pem"}, "the CA file is set but the connection is not TLS"},
		{"certificate without TLS", ClientConfig{Addr: "h:1", CertFile: "c.pem"}, "the client certificate file is set but"},
		{"CA twice", ClientConfig{URL: "rediss://h?ca_file=a.pem", CAFile: "b.pem"}, "the CA file is set twice"},
		{"missing CA", ClientConfig{URL: "rediss://:hunter2@h?ca_file=/nonexistent/ca.pem"}, "reading the CA file"},
		{"certificate without key", ClientConfig{URL: "rediss://h", CertFile: "c.pem"}, "needs both its certificate file and its key file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := tt.cfg.options()
			require.ErrorContains(t, err, tt.want)
			require.NotContains(t, err.Error(), "hunter2")
		})
	}
}

func TestRedactHidesPasswords(t *testing.T) {
	t.Parallel()
	require.Equal(t, "rediss://eligo:xxxxx@cache:6380/0", Redact("rediss://eligo:hunter2@cache:6380/0"))
	require.Equal(t, "redis://cache:6379", Redact("redis://cache:6379"))
	require.Equal(t, "redis-sentinel://:xxxxx@s1/m?sentinel_password=xxxxx", Redact("redis-sentinel://:hunter2@s1/m?sentinel_password=hunter3"))
	require.Equal(t, "(a Redis URL that does not parse)", Redact("redis://u:hunter2 x@h"))
}

// The failures that only a managed service's certificates produce (another
// host name, an expired certificate) are named too.
func TestWhatFailedNamesTLSFailures(t *testing.T) {
	t.Parallel()
	host := &tls.CertificateVerificationError{Err: x509.HostnameError{Certificate: &x509.Certificate{}, Host: "10.0.0.3"}}
	require.Equal(t, "the TLS handshake failed: the server's certificate is not for this host name", whatFailed(host))
	expired := &tls.CertificateVerificationError{Err: x509.CertificateInvalidError{Reason: x509.Expired}}
	require.Equal(t, "the TLS handshake failed: the server's certificate is not valid", whatFailed(expired))
	require.True(t, tlsFailed(host))
	require.True(t, tlsFailed(expired))
	require.False(t, unreachable(expired), "a certificate problem is not an outage")
}
