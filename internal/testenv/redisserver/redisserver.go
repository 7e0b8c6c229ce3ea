// Package redisserver starts redis-server processes of a test's own, on
// free ports, killed when the test ends: a plain one, one that asks for a
// password and knows ACL users, one that speaks only TLS (with a CA made
// in the test, see NewCA), a Redis Cluster of several masters, and a
// Sentinel watching a server. A test that needs one calls Require's
// checks through Start: without redis-server on PATH it is skipped, and
// under CI (CI=true) it fails.
//
// It is imported only by tests.
package redisserver

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eligo/eligo/internal/testenv"
)

// Options say how a server is configured; the zero value is a plain
// server without persistence.
type Options struct {
	// Password is the default user's password (requirepass).
	Password string
	// Users are ACL rules, one user each, as ACL SETUSER takes them:
	// "eligo on >secret ~* &* +@all".
	Users []string
	// TLS, when set, makes the server speak only TLS, with these files.
	TLS *TLSFiles
	// ClientCerts makes a TLS server refuse clients without a certificate
	// signed by the CA (mutual TLS).
	ClientCerts bool
	// Cluster starts the server in cluster mode (see StartCluster).
	Cluster bool
}

// Server is one redis-server process.
type Server struct {
	// Addr is 127.0.0.1:Port.
	Addr string
	Port int
	args []string
	cmd  *exec.Cmd
	log  string
}

// Require skips the test when redis-server is not on PATH, or fails it
// under CI, where every Redis test must run.
func Require(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(tool); err != nil {
			if testenv.InCI() {
				t.Fatalf("%s is not on PATH: under CI (CI=true) the tests that start their own Redis must run; install redis-server (Debian: apt-get install redis-server)", tool)
			}
			t.Skipf("%s is not on PATH: skipping this test, which starts its own Redis (install redis-server to run it)", tool)
		}
	}
}

// Start starts a server configured by opt on a free port and waits until
// it accepts connections; it is killed when the test ends.
func Start(t testing.TB, opt Options) *Server {
	t.Helper()
	Require(t)
	port := freePort(t, opt.Cluster)
	dir := t.TempDir()
	s := &Server{Addr: "127.0.0.1:" + strconv.Itoa(port), Port: port, log: filepath.Join(dir, "redis.log")}
	s.args = []string{"--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--logfile", s.log}
	if opt.TLS == nil {
		s.args = append(s.args, "--port", strconv.Itoa(port))
	} else {
		auth := "no"
		if opt.ClientCerts {
			auth = "yes"
		}
		s.args = append(s.args, "--port", "0", "--tls-port", strconv.Itoa(port),
			"--tls-cert-file", opt.TLS.ServerCert, "--tls-key-file", opt.TLS.ServerKey,
			"--tls-ca-cert-file", opt.TLS.CA, "--tls-auth-clients", auth)
	}
	if opt.Password != "" {
		s.args = append(s.args, "--requirepass", opt.Password)
	}
	if len(opt.Users) > 0 {
		acl := filepath.Join(dir, "users.acl")
		var b strings.Builder
		for _, u := range opt.Users {
			fmt.Fprintf(&b, "user %s\n", u)
		}
		if opt.Password != "" {
			fmt.Fprintf(&b, "user default on >%s ~* &* +@all\n", opt.Password)
		} else {
			b.WriteString("user default on nopass ~* &* +@all\n")
		}
		if err := os.WriteFile(acl, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		s.args = append(s.args, "--aclfile", acl)
	}
	if opt.Cluster {
		s.args = append(s.args, "--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(dir, "nodes.conf"))
	}
	s.Restart(t)
	t.Cleanup(s.Kill)
	return s
}

// Restart starts the server again after Kill, empty, on the same port.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.start(t, "redis-server", s.args...)
}

func (s *Server) start(t testing.TB, name string, args ...string) {
	t.Helper()
	s.cmd = exec.Command(name, args...)
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			logText, _ := os.ReadFile(s.log)
			s.Kill()
			t.Fatalf("%s did not start on %s: %v\n%s", name, s.Addr, err, logText)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Kill ends the server with SIGKILL, as a crash would.
func (s *Server) Kill() {
	if s.cmd != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}

// Cli runs redis-cli against the server with args and returns its output;
// cliArgs come before the command (authentication, TLS).
func Cli(t testing.TB, cliArgs []string, args ...string) string {
	t.Helper()
	out, err := exec.Command("redis-cli", append(cliArgs, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// freePort returns a port nothing listens on; for a cluster node, the bus
// port (port+10000) is free too.
func freePort(t testing.TB, cluster bool) int {
	t.Helper()
	for range 100 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if !cluster {
			return port
		}
		if port+10000 > 65535 {
			continue
		}
		bus, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000))
		if err != nil {
			continue
		}
		bus.Close()
		return port
	}
	t.Fatal("no free port for a Redis Cluster node and its bus")
	return 0
}
