package sqlite_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/sqlite"
)

// helperDBEnv names the database file of the helper process; when it is
// unset, TestHelperProcess does nothing.
const helperDBEnv = "ELIGO_SQLITE_HELPER_DB"

// TestHelperProcess is not a test: TestKillNineLosesNoCommit runs the test
// binary again with only this test and helperDBEnv set. It writes orders
// and events until it is killed, printing "committed ID VERSION" after each
// commit.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(helperDBEnv)
	if path == "" {
		return
	}
	ctx := context.Background()
	s, err := sqlite.Open(ctx, &sqlite.Config{Path: path})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	now := time.Now()
	for i := 0; ; i++ {
		id := fmt.Sprintf("kill-%06d", i)
		_, _, err := s.CreateOrder(ctx, &eligo.CreateOrderParams{Who: eligo.WhoService, Order: eligo.NewOrderParams{
			ID: id, CustomerID: "cust-1", PlacedAt: now, PromisedAt: now.Add(10 * time.Minute),
		}})
		if err != nil {
			fmt.Fprintln(os.Stderr, "create:", err)
			os.Exit(2)
		}
		fmt.Printf("committed %s 1\n", id)
		rs, err := s.UpdateOrders(ctx, []eligo.Update{
			driverEvent("ev-a-"+id, id, eligo.DriverAssigned),
			driverEvent("ev-b-"+id, id, eligo.DriverAtStore),
		})
		if err != nil || rs[1].Outcome != eligo.OutcomeApplied {
			fmt.Fprintln(os.Stderr, "update:", err, rs)
			os.Exit(2)
		}
		fmt.Printf("committed %s 3\n", id)
	}
}

// TestKillNineLosesNoCommit kills a writing process with SIGKILL and checks
// that every write it reported as committed is there after reopening.
func TestKillNineLosesNoCommit(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "eligo.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperDBEnv+"="+path)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	// Read until enough commits were reported, kill, then read the rest:
	// everything printed before the kill was committed.
	const killAfter = 100
	committed := map[string]int64{}
	lines := bufio.NewScanner(stdout)
	killed := false
	timeout := time.AfterFunc(60*time.Second, func() { _ = cmd.Process.Kill() })
	defer timeout.Stop()
	for lines.Scan() {
		f := strings.Fields(lines.Text())
		if len(f) != 3 || f[0] != "committed" {
			continue
		}
		v, err := strconv.ParseInt(f[2], 10, 64)
		require.NoError(t, err)
		committed[f[1]] = v
		if !killed && len(committed) >= killAfter {
			require.NoError(t, cmd.Process.Kill()) // SIGKILL
			killed = true
		}
	}
	err = cmd.Wait()
	require.True(t, killed, "the helper stopped before it was killed: %v\n%s", err, stderr.String())
	require.Error(t, err, "the helper was killed")
	t.Logf("helper reported %d orders committed before SIGKILL", len(committed))

	s, err := sqlite.Open(t.Context(), &sqlite.Config{Path: path})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	for id, version := range committed {
		o, err := s.FindOrder(t.Context(), id)
		require.NoError(t, err, "order %s was reported committed", id)
		require.GreaterOrEqual(t, o.Version, version, "order %s", id)
		vs, err := s.FindVersions(t.Context(), id)
		require.NoError(t, err)
		require.Len(t, vs, int(o.Version), "order %s: one version per order version", id)
	}

	var check string
	require.NoError(t, openRaw(t, path).QueryRowContext(t.Context(), `PRAGMA integrity_check`).Scan(&check))
	require.Equal(t, "ok", check)
}
