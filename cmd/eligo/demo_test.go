package main

import (
	"bufio"
	"context"
	"database/sql"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"
)

// TestDemoRunsItsWorkersAndKeepsGoing pins what a newcomer meets in
// `eligo demo`: it says where its data lives, prints a customer token that
// reads one of its orders, runs its River workers (payment re-checks are
// worked, not left scheduled) and keeps placing orders after the first
// batch's story is over, until --duration stops it.
//
// Not parallel: a demo is the heaviest test of the package, and one next
// to others is starved of the CPU that placing its batches on time needs.
func TestDemoRunsItsWorkersAndKeepsGoing(t *testing.T) {
	dir := t.TempDir()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	var out syncBuffer
	go func() {
		err := run(context.Background(), []string{"eligo", "demo", "--addr", "127.0.0.1:0", "--data-dir", dir, "--orders", "20",
			"--promise", "1s", "--ramp", "1s", "--poll", "200ms", "--duration", "10s", "--seed", "3"}, testEnv(nil), pw, io.Discard)
		pw.Close()
		done <- err
	}()
	var url, cust string
	sawDir := make(chan struct{})
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			out.Write([]byte(line + "\n"))
			if strings.Contains(line, dir) && strings.Contains(strings.ToLower(line), "data") {
				close(sawDir)
			}
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "export CUST="); ok {
				cust, _, _ = strings.Cut(v, " ")
			}
			if i := strings.Index(line, "http://127.0.0.1:"); i >= 0 && url == "" {
				url, _, _ = strings.Cut(line[i:], "/v1")
				url = strings.TrimSpace(url)
			}
			if url != "" && cust != "" && ready != nil {
				close(ready)
				ready = nil
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(20 * time.Second):
		t.Fatalf("no URL and customer token printed:\n%s", out.String())
	}
	select {
	case <-sawDir:
	default:
		t.Fatalf("the data directory %s is not printed:\n%s", dir, out.String())
	}

	exists := func(id, token string) int {
		code := 0
		for deadline := time.Now().Add(8 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			req, _ := http.NewRequest("GET", url+"/v1/orders/"+id+"/eligibility", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				break // the demo stopped
			}
			resp.Body.Close()
			if code = resp.StatusCode; code != http.StatusNotFound {
				break
			}
		}
		return code
	}
	require.Equal(t, http.StatusOK, exists("demo-1", "svc-test-token-for-the-cmd-tests"))
	// Its own policy: Amsterdam's orders, placed at start, and the page's
	// button that widens their window.
	require.Equal(t, http.StatusOK, exists("ams-1", "svc-test-token-for-the-cmd-tests"), "the Amsterdam orders\n%s", out.String())
	require.Contains(t, out.String(), filepath.Join(dir, demoPolicyFile))
	code, body := getBody(t, url+"/demo/api/policy")
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, `"name":"widen-amsterdam"`)
	require.Equal(t, http.StatusOK, exists("demo-1", cust), "the printed customer token reads order demo-1")
	// The first batch's story is over about 3 s in (ramp 1s, drivers by
	// 1.5 promises); the demo keeps placing orders after it.
	require.Equal(t, http.StatusOK, exists("demo-61", "svc-test-token-for-the-cmd-tests"), "order 61, placed after the first batches\n%s", out.String())

	select {
	case err := <-done:
		require.NoError(t, err, out.String())
	case <-time.After(30 * time.Second):
		t.Fatal("--duration did not stop the demo")
	}
	summary := out.String()[strings.LastIndex(out.String(), "summary:"):]
	require.Contains(t, summary, "errors 0 | wrong answers 0", summary)

	db, err := sql.Open("sqlite", filepath.Join(dir, "eligo.db"))
	require.NoError(t, err)
	defer db.Close()
	var worked int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM river_job WHERE state = 'completed'`).Scan(&worked))
	require.Positive(t, worked, "the demo's River workers work its jobs")
}
