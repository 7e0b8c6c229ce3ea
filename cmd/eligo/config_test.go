package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// runFails runs a command that must be refused for its configuration and
// returns what main would print, with its exit status.
func runFails(t *testing.T, env map[string]string, args ...string) (int, string) {
	t.Helper()
	var stdout, stderr strings.Builder
	err := run(context.Background(), append([]string{"eligo"}, args...), testEnv(env), &stdout, &stderr)
	require.Error(t, err)
	code := exitStatus(err, &stderr)
	require.Empty(t, stdout.String(), "a refused command prints nothing on stdout")
	return code, stderr.String()
}

func TestConfigLogLevelVerboseExits2(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		env  map[string]string
	}{
		{[]string{"serve", "--log-level", "verbose"}, nil},
		{[]string{"serve"}, map[string]string{"ELIGO_LOG_LEVEL": "verbose"}},
		{[]string{"worker", "--log-level=verbose"}, nil},
		{[]string{"migrate", "--log-level", "verbose"}, nil},
	} {
		code, out := runFails(t, c.env, c.args...)
		require.Equal(t, 2, code, out)
		require.Contains(t, out, "expected one of debug, info, warn, error", out)
	}
}

// A flag error is the error and one line pointing to -h, not the whole
// usage.
func TestConfigFlagErrorPointsToHelp(t *testing.T) {
	t.Parallel()
	code, out := runFails(t, nil, "serve", "--no-such-flag")
	require.Equal(t, 2, code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2, out)
	require.Contains(t, lines[0], "no-such-flag")
	require.Equal(t, `Run "eligo serve -h" for its flags.`, lines[1])
}

func TestConfigRefusesANegativeConnectionLimit(t *testing.T) {
	t.Parallel()
	code, out := runFails(t, nil, "serve", "--live-max-conns", "-1")
	require.Equal(t, 2, code, out)
	require.Contains(t, out, "live-max-conns")
	code, out = runFails(t, map[string]string{"ELIGO_LIVE_MAX_CONNS_PER_CUSTOMER": "-5"}, "serve")
	require.Equal(t, 2, code, out)
	require.Contains(t, out, "ELIGO_LIVE_MAX_CONNS_PER_CUSTOMER")
}

func TestConfigBadDurationSaysTheForm(t *testing.T) {
	t.Parallel()
	code, out := runFails(t, nil, "serve", "--max-age", "five")
	require.Equal(t, 2, code, out)
	require.Contains(t, out, "expected a Go duration such as 30s")
	// --shutdown-timeout has its variable like every flag.
	code, out = runFails(t, map[string]string{"ELIGO_SHUTDOWN_TIMEOUT": "soon"}, "serve")
	require.Equal(t, 2, code, out)
	require.Contains(t, out, `ELIGO_SHUTDOWN_TIMEOUT="soon": expected a Go duration such as 30s`)
}

// Help renders each flag with its variable and default; a back-quoted word
// in a usage text is not a value placeholder.
func TestConfigHelp(t *testing.T) {
	t.Parallel()
	var stdout, stderr strings.Builder
	require.NoError(t, run(context.Background(), []string{"eligo", "serve", "-h"}, testEnv(nil), &stdout, &stderr))
	help := stdout.String()
	require.NotContains(t, help, "-migrate eligo migrate")
	require.Regexp(t, regexp.MustCompile(`(?m)^  --migrate$`), help)
	require.Contains(t, help, "ELIGO_SHUTDOWN_TIMEOUT")
	require.Contains(t, help, "--shutdown-timeout duration")
}

// eligo worker lists only the flags it uses, reads the address variable
// its help names, and takes --kafka-brokers like serve.
func TestConfigWorkerFlags(t *testing.T) {
	t.Parallel()
	var stdout strings.Builder
	require.NoError(t, run(context.Background(), []string{"eligo", "worker", "-h"}, testEnv(nil), &stdout, &stdout))
	help := stdout.String()
	for _, unused := range []string{"--max-age", "--live-max-conns", "--demo-page", "--workers ", "--kafka-topic", "--kafka-group"} {
		require.NotContains(t, help, unused)
	}
	require.Contains(t, help, "--kafka-brokers")
	require.Contains(t, help, "ELIGO_WORKER_ADDR")
	require.NotContains(t, help, "ELIGO_ADDR;")

	var c serverConfig
	f := newFlagSet("worker")
	c.workerFlags(f)
	require.NoError(t, f.parse(nil, testEnv(map[string]string{"ELIGO_ADDR": ":1", "ELIGO_WORKER_ADDR": "127.0.0.1:9999", "ELIGO_KAFKA_BROKERS": "k1:9092"}), nil, ""))
	require.Equal(t, "127.0.0.1:9999", c.Addr)
	require.Equal(t, "k1:9092", c.Backends.KafkaBrokers)
}

func TestConfigWarnsOfUnknownVariables(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	warnUnknownVariables(&out, []string{"ELIGO_LOG_LEVL=debug", "ELIGO_LOG_LEVEL=info", "ELIGO_TEST_REDIS_ADDR=x", "PATH=/bin", "ELIGO_SERVICE_TOKENS=t"})
	require.Equal(t, "eligo: warning: ELIGO_LOG_LEVL is not read by any eligo command; did you mean ELIGO_LOG_LEVEL?\n", out.String())
}

// Every flag of every command has an ELIGO_* variable, and the variables
// of the server commands and of eligo policy are in the configuration
// reference.
func TestConfigEveryFlagHasADocumentedVariable(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/production.md")
	require.NoError(t, err)
	ref := string(doc)[strings.Index(string(doc), "## Configuration reference"):]
	for _, f := range commandFlags() {
		for name, key := range f.env {
			require.True(t, strings.HasPrefix(key, "ELIGO_"), "%s --%s", f.cmd, name)
			require.NotNil(t, f.fs.Lookup(name))
			if f.cmd == "serve" || f.cmd == "worker" || f.cmd == "migrate" || strings.HasPrefix(f.cmd, "policy ") {
				require.Contains(t, ref, "`"+key+"`", "%s --%s is not in the configuration reference", f.cmd, name)
				require.Contains(t, ref, "`--"+name+"`", "%s --%s is not in the configuration reference", f.cmd, name)
			}
		}
		n := 0
		f.fs.VisitAll(func(*flag.Flag) { n++ })
		require.Equal(t, n, len(f.env), f.cmd)
	}
}

// A command line that names no command, or a wrong one, is a usage error.
func TestConfigUsageErrorsExit2(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"launch"}, {"token"}, {"token", "customer"}, {"dev", "nothing"}} {
		err := run(context.Background(), append([]string{"eligo"}, args...), testEnv(nil), io.Discard, io.Discard)
		require.Error(t, err, "%v", args)
		require.Equal(t, 2, exitStatus(err, io.Discard), "%v: %v", args, err)
	}
	require.Equal(t, 1, exitStatus(errors.New("the store is down"), io.Discard))
	require.Equal(t, 0, exitStatus(nil, io.Discard))
}
