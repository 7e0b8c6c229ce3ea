package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo/internal/testenv/redisserver"
)

// A wrong Redis password is a configuration error: serve exits at once,
// naming the server (its password hidden) and what failed, instead of
// starting degraded as it does while Redis is unreachable.
func TestServeRedisWrongPasswordExitsAtOnce(t *testing.T) {
	t.Parallel()
	srv := redisserver.Start(t, redisserver.Options{Password: "right-pw"})
	start := time.Now()
	code, stderr := runFails(t, map[string]string{"ELIGO_REDIS_URL": "redis://eligo:wrong-pw@" + srv.Addr},
		"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir())
	require.Less(t, time.Since(start), 5*time.Second)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "eligo: redis redis://eligo:xxxxx@"+srv.Addr+": authentication failed: the server refused the user and password of the URL")
	require.NotContains(t, stderr, "wrong-pw")
}

// serve on Redis over TLS with a password and a private CA: it starts
// ready, and the startup log names Redis without the password.
func TestServeRedisOverTLSWithPassword(t *testing.T) {
	t.Parallel()
	files := redisserver.NewCA(t)
	srv := redisserver.Start(t, redisserver.Options{TLS: files, Password: "tls-pw"})
	rs := startServe(t, t.TempDir(), testEnv(map[string]string{
		"ELIGO_REDIS_URL":     "rediss://:tls-pw@" + srv.Addr,
		"ELIGO_REDIS_CA_FILE": files.CA,
	}))
	resp, err := http.Get(rs.url + "/readyz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "ready: Redis answers over TLS")
	log := rs.output.String()
	require.Contains(t, log, "redis rediss://:xxxxx@"+srv.Addr+" (client-side cache)")
	require.False(t, strings.Contains(log, "tls-pw"), "the password is in the log:\n%s", log)
}
