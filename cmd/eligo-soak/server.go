package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// server is one `eligo serve` process of the binary under test.
type server struct {
	cmd     *exec.Cmd
	url     string
	logPath string
	exited  chan error
	// ready is how long the process took from its start to the first
	// 200 of /readyz.
	ready time.Duration
}

// serveEnv is the environment of the processes the soak starts: its own
// credentials, and no other ELIGO_* variable, so that nothing from the
// caller's shell changes what is measured.
func serveEnv(sec credentials) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ELIGO_") {
			env = append(env, kv)
		}
	}
	return append(env, "ELIGO_SERVICE_TOKENS="+sec.service, "ELIGO_CUSTOMER_TOKEN_SECRET="+sec.customerSecret)
}

// servingPrefix starts the line `eligo serve` prints once it listens.
const servingPrefix = "eligo is serving on "

// startServe starts `eligo serve` with args on a port of its choosing
// (127.0.0.1:0), logging to logPath, and waits until /readyz of the URL it
// says it serves on answers 200, or timeout passes. The URL is the
// server's own word: a port picked in advance could be taken by another
// process meanwhile and answer for it.
func startServe(ctx context.Context, binary string, args []string, sec credentials, logPath string, timeout time.Duration) (*server, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(binary, append([]string{"serve", "--addr", "127.0.0.1:0", "--log-level", "info"}, args...)...)
	cmd.Env = serveEnv(sec)
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	s := &server{cmd: cmd, logPath: logPath, exited: make(chan error, 1)}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s serve: %w", binary, err)
	}
	urls := make(chan string, 1)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logFile, line)
			if u, ok := strings.CutPrefix(line, servingPrefix); ok {
				urls <- strings.TrimSpace(u)
			}
		}
	}()
	go func() {
		<-copied // Wait must not close the pipe before it is read out
		s.exited <- cmd.Wait()
		logFile.Close()
	}()
	if err := s.waitReady(ctx, urls, start, timeout); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w\n%s", err, s.logTail(20))
	}
	return s, nil
}

func (s *server) waitReady(ctx context.Context, urls <-chan string, start time.Time, timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.NewTimer(time.Until(start.Add(timeout)))
	defer deadline.Stop()
	for s.url == "" {
		select {
		case s.url = <-urls:
		case err := <-s.exited:
			s.exited <- err
			return fmt.Errorf("eligo serve exited before it was ready: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return fmt.Errorf("eligo serve did not say where it serves within %s", timeout)
		}
	}
	for {
		resp, err := client.Get(s.url + "/readyz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.ready = time.Since(start)
				return nil
			}
		}
		select {
		case err := <-s.exited:
			s.exited <- err
			return fmt.Errorf("eligo serve exited before it was ready: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return fmt.Errorf("eligo serve was not ready within %s", timeout)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// exitedEarly returns an error with the log's tail when the process has
// ended, nil while it runs.
func (s *server) exitedEarly() error {
	select {
	case err := <-s.exited:
		s.exited <- err
		return fmt.Errorf("eligo serve ended while it was being measured: %v\n%s", err, s.logTail(20))
	default:
		return nil
	}
}

// rssKB is the process's resident memory (VmRSS), in KB.
func (s *server) rssKB() (int64, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(s.cmd.Process.Pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("reading the server's memory: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		}
	}
	return 0, errors.New("reading the server's memory: no VmRSS in /proc/PID/status")
}

// metric returns the sum of the samples of a counter or gauge on
// /metrics whose name is name (with any labels), and whether there was one.
func (s *server) metric(ctx context.Context, name string) (float64, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/metrics", nil)
	if err != nil {
		return 0, false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	sum, found := 0.0, false
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) || len(line) == len(name) || (line[len(name)] != ' ' && line[len(name)] != '{') {
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			continue
		}
		sum, found = sum+v, true
	}
	return sum, found, sc.Err()
}

// stop ends the process with SIGTERM (SIGKILL after 30 s) and waits.
func (s *server) stop() error {
	if s.cmd.Process == nil {
		return nil
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-s.exited:
		s.exited <- err
		return nil
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		return fmt.Errorf("eligo serve did not stop within 30s of SIGINT; killed")
	}
}

// loadedOrders matches the count of a log line about the orders a start
// loaded.
var loadedOrders = regexp.MustCompile(`orders=(\d+)`)

// startLine finds what the server logged about its start: how many orders
// it loaded into memory and how long that took ("" when it said nothing).
func (s *server) startLine() string {
	data, err := os.ReadFile(s.logPath)
	if err != nil {
		return ""
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if loadedOrders.MatchString(line) && strings.Contains(line, "took=") {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

func (s *server) logTail(n int) string {
	data, _ := os.ReadFile(s.logPath)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return "log " + filepath.Base(s.logPath) + ":\n" + strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// knowsFlag reports whether the binary's `serve -h` lists --name.
func knowsFlag(binary, name string) (bool, error) {
	out, err := exec.Command(binary, "serve", "-h").CombinedOutput()
	if err != nil {
		return false, fmt.Errorf("%s serve -h: %w: %s", binary, err, out)
	}
	return strings.Contains(string(out), "--"+name+" "), nil
}

// migrate runs `eligo migrate` on the store, so that no start measured
// applies a migration.
func migrate(binary string, args []string, sec credentials) error {
	cmd := exec.Command(binary, append([]string{"migrate", "--log-level", "warn"}, args...)...)
	cmd.Env = serveEnv(sec)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s migrate: %w: %s", binary, err, out)
	}
	return nil
}
