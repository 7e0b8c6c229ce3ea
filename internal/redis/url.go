package redis

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/rueidis"
)

// The URL forms of ClientConfig.URL:
//
//	redis://[user[:password]@]host[:port][,host2[:port2]...][/db][?params]
//	rediss://...                        the same over TLS
//	redis-sentinel://[user[:password]@]sentinel[:port][,sentinel2...]/master[/db][?params]
//	rediss-sentinel://...               the same over TLS, to the sentinels and the servers
//
// The port defaults to 6379, and 26379 for a sentinel. Several hosts are
// seeds of a Redis Cluster (one host may be a cluster too: the client finds
// out). The user and password authenticate to the Redis servers (AUTH with
// a username for an ACL user; a password alone is the default user's).
// The parameters are ca_file, cert_file and key_file (PEM files: the CA
// that signed the server's certificate, and the client's certificate and
// key for mutual TLS), addr (one more host, repeatable), and, for a
// sentinel, sentinel_username and sentinel_password (when the sentinels
// have credentials of their own).
const (
	defaultPort         = "6379"
	defaultSentinelPort = "26379"
)

// urlParams are the query parameters a URL may carry.
var urlParams = []string{"addr", "ca_file", "cert_file", "key_file", "sentinel_username", "sentinel_password"}

// options turns cfg into the client's options, less the settings NewClient
// adds. A mistake (a URL that does not parse, a CA file that cannot be
// read, TLS files without TLS) is an error naming it; no error carries a
// password.
func (cfg ClientConfig) options() (rueidis.ClientOption, error) {
	var opt rueidis.ClientOption
	useTLS := false
	switch {
	case cfg.URL != "" && cfg.Addr != "":
		return opt, errors.New("redis: both a URL and an address are set; set one (the URL may list several hosts)")
	case cfg.URL != "":
		var err error
		if opt, useTLS, err = parseURL(cfg.URL, &cfg); err != nil {
			return opt, err
		}
	default:
		opt.InitAddress = hostList(cfg.Addr, defaultPort)
		if len(opt.InitAddress) == 0 {
			return opt, errors.New("redis: no address given; expected host:port or a redis:// URL")
		}
	}
	if !useTLS {
		if f := firstSet(cfg.CAFile, cfg.CertFile, cfg.KeyFile); f != "" {
			return opt, fmt.Errorf("redis: %s is set but the connection is not TLS; use a rediss:// (or rediss-sentinel://) URL", f)
		}
		return opt, nil
	}
	tc, err := cfg.tlsConfig()
	if err != nil {
		return opt, err
	}
	opt.TLSConfig = tc
	if opt.Sentinel.MasterSet != "" {
		opt.Sentinel.TLSConfig = tc
	}
	return opt, nil
}

// parseURL reads rawURL into options; the file parameters it carries go
// into cfg, where they may not also be set otherwise.
func parseURL(rawURL string, cfg *ClientConfig) (opt rueidis.ClientOption, useTLS bool, err error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error repeats the URL, password included: keep only why.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return opt, false, fmt.Errorf("redis: the URL does not parse: %v; expected redis://user:password@host:6379/0", err)
	}
	sentinel := false
	switch u.Scheme {
	case "redis":
	case "rediss":
		useTLS = true
	case "redis-sentinel":
		sentinel = true
	case "rediss-sentinel":
		sentinel, useTLS = true, true
	default:
		return opt, false, fmt.Errorf("redis: the URL scheme %q is not one of redis, rediss, redis-sentinel, rediss-sentinel", u.Scheme)
	}
	port := defaultPort
	if sentinel {
		port = defaultSentinelPort
	}
	q := u.Query()
	for k := range q {
		if !slices.Contains(urlParams, k) {
			return opt, false, fmt.Errorf("redis: the URL parameter %q is unknown; known: %s", k, strings.Join(urlParams, ", "))
		}
	}
	opt.InitAddress = hostList(strings.Join(append([]string{u.Host}, q["addr"]...), ","), port)
	if len(opt.InitAddress) == 0 {
		return opt, false, errors.New("redis: the URL names no host; expected redis://host:6379")
	}
	if u.User != nil {
		opt.Username = u.User.Username()
		opt.Password, _ = u.User.Password()
	}
	path := strings.Split(strings.Trim(u.Path, "/"), "/")
	if sentinel {
		if path[0] == "" {
			return opt, false, errors.New("redis: a redis-sentinel URL names the master after the hosts: redis-sentinel://sentinel:26379/mymaster")
		}
		opt.Sentinel = rueidis.SentinelOption{MasterSet: path[0], Username: q.Get("sentinel_username"), Password: q.Get("sentinel_password")}
		path = path[1:]
	} else if q.Has("sentinel_username") || q.Has("sentinel_password") {
		return opt, false, errors.New("redis: sentinel_username and sentinel_password are for a redis-sentinel URL")
	}
	switch {
	case len(path) > 1:
		return opt, false, fmt.Errorf("redis: the URL path %q is not /db (a database number)", u.Path)
	case len(path) == 1 && path[0] != "":
		if opt.SelectDB, err = strconv.Atoi(path[0]); err != nil || opt.SelectDB < 0 {
			return opt, false, fmt.Errorf("redis: the URL path %q is not /db (a database number)", u.Path)
		}
	}
	for _, p := range []struct {
		param string
		field *string
		flag  string
	}{{"ca_file", &cfg.CAFile, "the CA file"}, {"cert_file", &cfg.CertFile, "the client certificate file"}, {"key_file", &cfg.KeyFile, "the client key file"}} {
		if !q.Has(p.param) {
			continue
		}
		if *p.field != "" && *p.field != q.Get(p.param) {
			return opt, false, fmt.Errorf("redis: %s is set twice, as %s= in the URL and apart; set it once", p.flag, p.param)
		}
		*p.field = q.Get(p.param)
	}
	return opt, useTLS, nil
}

// tlsConfig is TLS 1.2 or later, trusting the system's CAs or cfg.CAFile,
// with cfg's client certificate when set. The server name is each host's
// own, so that every node of a cluster is checked against its name.
func (cfg ClientConfig) tlsConfig() (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("redis: reading the CA file: %w", err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("redis: the CA file %s holds no PEM certificate", cfg.CAFile)
		}
	}
	switch {
	case cfg.CertFile != "" && cfg.KeyFile != "":
		cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("redis: loading the client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	case cfg.CertFile != "" || cfg.KeyFile != "":
		return nil, errors.New("redis: a client certificate needs both its certificate file and its key file")
	}
	return tc, nil
}

// hostList splits a comma-separated list of host[:port], adding port
// where one has none.
func hostList(s, port string) []string {
	var out []string
	for h := range strings.SplitSeq(s, ",") {
		if h = strings.TrimSpace(h); h == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(h); err != nil {
			h = net.JoinHostPort(strings.Trim(h, "[]"), port)
		}
		out = append(out, h)
	}
	return out
}

func firstSet(files ...string) string {
	for i, f := range files {
		if f != "" {
			return [...]string{"the CA file", "the client certificate file", "the client key file"}[i]
		}
	}
	return ""
}

// Redact returns rawURL with its passwords replaced by xxxxx, for logs and
// errors; a string that does not parse as a URL is not shown at all.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(a Redis URL that does not parse)"
	}
	q := u.Query()
	if q.Has("sentinel_password") {
		q.Set("sentinel_password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// server names what cfg connects to, without passwords.
func (cfg ClientConfig) server() string {
	if cfg.URL != "" {
		return Redact(cfg.URL)
	}
	return cfg.Addr
}
