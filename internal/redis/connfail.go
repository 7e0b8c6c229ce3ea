package redis

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/redis/rueidis"
)

// A failure to connect is either an outage (Redis unreachable: the replica
// starts without it, see unreachable) or a configuration error, which stops
// the start at once; whatFailed says in words which one it is.

// whatFailed names what went wrong in a connection that reached Redis:
// the credentials, the TLS handshake, or a setting the server refused.
func whatFailed(err error) string {
	if errors.Is(err, rueidis.ErrNoCache) {
		return "the server refused client-side caching (CLIENT TRACKING), which eligo needs: " +
			"the ACL user needs +client|tracking, and the server Redis 6 or later (RESP3)"
	}
	if re, ok := rueidis.IsRedisErr(err); ok {
		code, _, _ := strings.Cut(re.Error(), " ")
		switch code {
		case "WRONGPASS":
			return "authentication failed: the server refused the user and password of the URL"
		case "NOAUTH":
			return "authentication failed: the server requires a password, and the URL has none (redis://user:password@host)"
		case "NOPERM":
			return "the ACL user may not run a command eligo needs"
		}
		return "the server refused the connection's setup"
	}
	var rec tls.RecordHeaderError
	var verify *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var host x509.HostnameError
	switch {
	case errors.As(err, &rec):
		return "the TLS handshake failed: the server does not speak TLS (use a redis:// URL)"
	case errors.As(err, &host):
		return "the TLS handshake failed: the server's certificate is not for this host name"
	case errors.As(err, &unknownCA):
		return "the TLS handshake failed: the server's certificate is not signed by a trusted CA " +
			"(give its CA with --redis-ca-file or ca_file= in the URL)"
	case errors.As(err, &verify):
		return "the TLS handshake failed: the server's certificate is not valid"
	case remoteAlert(err):
		return "the TLS handshake failed: the server refused this client " +
			"(it may want a client certificate it trusts: --redis-cert-file and --redis-key-file)"
	}
	return "connecting failed"
}

// tlsFailed reports whether err is a failed TLS handshake, which is a
// configuration error, not an outage.
func tlsFailed(err error) bool {
	if errors.Is(err, errSpeaksTLS) || errors.Is(err, errSpeaksPlain) {
		return true
	}
	var rec tls.RecordHeaderError
	var verify *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var host x509.HostnameError
	return errors.As(err, &rec) || errors.As(err, &verify) || errors.As(err, &unknownCA) ||
		errors.As(err, &host) || remoteAlert(err)
}

// remoteAlert reports whether the server ended the TLS handshake with an
// alert (a client certificate missing or not trusted, no common version).
func remoteAlert(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "remote error"
}

// errSpeaksTLS and errSpeaksPlain are what a closer look (probe) finds
// behind a connection the server closed or left unanswered.
var (
	errSpeaksTLS   = errors.New("the server speaks TLS only; use a rediss:// URL")
	errSpeaksPlain = errors.New("the TLS handshake failed: the server does not speak TLS (use a redis:// URL)")
)

// probe takes a closer look at a server that accepted the connection and
// then closed it or left it unanswered, which looks like an outage but may
// be a configuration error: TLS spoken to a plain server or the reverse, or
// a client certificate the server wants (under TLS 1.3 its refusal arrives
// after the handshake, as a reset connection). It returns that error, or
// nil when the server is unreachable after all.
func probe(opt rueidis.ClientOption, err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return nil // no connection was made: unreachable
	}
	addr := opt.InitAddress[0]
	if opt.TLSConfig == nil {
		if speaksTLS(addr) {
			return errSpeaksTLS
		}
		return nil
	}
	if speaksPlain(addr) {
		return errSpeaksPlain
	}
	d := &net.Dialer{Timeout: time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", addr, opt.TLSConfig.Clone())
	if err != nil {
		if tlsFailed(err) {
			return err
		}
		return nil
	}
	defer conn.Close()
	// Under TLS 1.3 a server that refuses the client's certificate says
	// so right after the handshake, unasked: read, sending nothing.
	_ = conn.SetReadDeadline(time.Now().Add(time.Second))
	if _, err = conn.Read(make([]byte, 1)); err != nil && remoteAlert(err) {
		return err
	}
	return nil
}

// speaksTLS reports whether the server at addr answers a TLS handshake.
func speaksTLS(addr string) bool {
	// Only the handshake is made, to learn whether the server speaks
	// TLS; nothing is sent on the connection, so its certificate does
	// not matter.
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", addr,
		&tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}) //nolint:gosec // a probe, see above
	if err != nil {
		return remoteAlert(err)
	}
	conn.Close()
	return true
}

// speaksPlain reports whether the server at addr answers a plain PING as
// Redis does, with a simple string or an error.
func speaksPlain(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	b := make([]byte, 1)
	if _, err := conn.Read(b); err != nil {
		return false
	}
	return b[0] == '+' || b[0] == '-'
}
