package testenv

import (
	"fmt"
	"net"
	"net/url"
	"os"
	osexec "os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// PgBouncerTransactionMode starts a PgBouncer in transaction pooling mode
// in front of the test PostgreSQL server (see PostgresURL), with the
// settings docs/production.md gives for eligo, and returns a URL through
// it on a schema of the test's own (search_path is set on each server
// connection by PgBouncer's connect_query, since PgBouncer refuses it as a
// startup parameter), and the direct URL of the same schema. PgBouncer stops when the test ends. Where the
// pgbouncer binary is missing the test is skipped, or fails under CI.
//
// PgBouncer refuses to run as root: run as root, the test runs it as the
// postgres user.
func PgBouncerTransactionMode(t testing.TB) (viaPgBouncer, direct string) {
	t.Helper()
	exe, err := osexec.LookPath("pgbouncer")
	if err != nil {
		if _, statErr := os.Stat("/usr/sbin/pgbouncer"); statErr != nil {
			skipOrFail(t, "no pgbouncer binary: install it (apt-get install pgbouncer) to run the PgBouncer tests")
		}
		exe = "/usr/sbin/pgbouncer"
	}
	schemaURL := PostgresSchemaURL(t)
	u, err := url.Parse(schemaURL)
	if err != nil || u.Hostname() == "" {
		t.Fatalf("%s must be a postgres:// URL with a host for the PgBouncer tests, not %q", PostgresURLEnv, schemaURL)
	}
	q := u.Query()
	schema := q.Get("search_path")
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	password, _ := u.User.Password()

	dir, err := os.MkdirTemp("", "eligo-pgbouncer-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		pg, err := user.Lookup("postgres")
		if err != nil {
			skipOrFail(t, "running as root, and there is no postgres user to run pgbouncer as (it refuses root): %v", err)
		}
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}

	listen := pgbouncerPort(t)
	database := strings.TrimPrefix(u.Path, "/")
	dbLine := fmt.Sprintf("%s = host=%s port=%s dbname=%s connect_query='SET search_path TO %s; SET statement_timeout = 5000; SET lock_timeout = 5000'", database, u.Hostname(), port, database, schema)
	if password != "" {
		dbLine += " password=" + password
	}
	ini := strings.Join([]string{
		"[databases]", dbLine,
		"[pgbouncer]",
		"listen_addr = 127.0.0.1", "listen_port = " + strconv.Itoa(listen), "unix_socket_dir =",
		"auth_type = trust", "auth_file = " + filepath.Join(dir, "users.txt"),
		"pool_mode = transaction", "default_pool_size = 4", "max_client_conn = 100",
		// What eligo sends at connection start that PgBouncer does not
		// know: the store's timeouts (set by connect_query instead)
		// and the test's search_path.
		"ignore_startup_parameters = statement_timeout, lock_timeout, search_path",
		"logfile = " + filepath.Join(dir, "pgbouncer.log"), "pidfile = " + filepath.Join(dir, "pgbouncer.pid"),
	}, "\n") + "\n"
	users := fmt.Sprintf("%q %q\n", u.User.Username(), password)
	for name, content := range map[string]string{"pgbouncer.ini": ini, "users.txt": users} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if cred != nil {
			if err := os.Chown(path, int(cred.Uid), int(cred.Gid)); err != nil {
				t.Fatal(err)
			}
		}
	}

	cmd := osexec.Command(exe, filepath.Join(dir, "pgbouncer.ini"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	out := &SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start pgbouncer: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(listen))
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			break
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "pgbouncer.log"))
			t.Fatalf("pgbouncer exited at start: %s%s", out.String(), log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("pgbouncer did not listen on %s within 10s: %s", addr, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	u.Host = addr
	q.Del("search_path") // set by connect_query
	u.RawQuery = q.Encode()
	return u.String(), schemaURL
}

// pgbouncerPort returns a TCP port on 127.0.0.1 that is free now.
func pgbouncerPort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
