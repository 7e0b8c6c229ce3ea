package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/eligo/eligo/internal/loadgen"
)

// runLoad plays the article's traffic against a running eligo and reports
// how fast it answered and whether every answer was right; with --ratio it
// measures the read path against /healthz instead. It fails when any answer
// was wrong.
func runLoad(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var lc loadConfig
	f := newFlagSet("load")
	lc.flags(f)
	if err := f.parse(args, getenv, stdout, loadAbout); err != nil {
		return err
	}
	if lc.Token == "" {
		lc.Token = firstToken(getenv("ELIGO_SERVICE_TOKENS"))
	}
	c, rc := lc.Script, lc.Ratio
	url, token, secret, dataDir, duration, asJSON, pid, prefix, ratio := &lc.URL, &lc.Token, &lc.Secret, &lc.DataDir, &lc.Duration, &lc.JSON, &lc.ServerPID, &lc.IDPrefix, &lc.RatioMode
	if *dataDir != "" && (*token == "" || *secret == "") {
		sec, err := readSecretsFile(*dataDir)
		if err != nil {
			return err
		}
		if *token == "" && len(sec.ServiceTokens) > 0 {
			*token = sec.ServiceTokens[0]
		}
		if *secret == "" {
			*secret = sec.CustomerSecret
		}
	}
	// ELIGO_CUSTOMER_TOKEN_SECRET may list retired secrets after the one
	// that signs.
	*secret = string((&secrets{CustomerSecret: *secret}).signingSecret())
	if *token == "" || *secret == "" {
		return errors.New("load: needs the service token and the customer-token secret: --token and --customer-secret (or ELIGO_SERVICE_TOKEN and ELIGO_CUSTOMER_TOKEN_SECRET), or --data-dir of the server")
	}
	if *prefix == "" {
		*prefix = "load-" + runID() + "-"
	}
	if *ratio {
		rc.BaseURL, rc.ServiceToken, rc.CustomerSecret, rc.OrderPrefix, rc.ServerPID = *url, *token, []byte(*secret), *prefix, *pid
		rc.Progress = stderr
		rep, err := loadgen.Ratio(ctx, rc)
		if err != nil {
			return err
		}
		if *asJSON {
			_, err = stdout.Write(rep.JSON())
		} else {
			_, err = io.WriteString(stdout, rep.Text())
		}
		return err
	}

	if *duration <= 0 {
		return errors.New("load: --duration must be positive")
	}
	fitScript(&c, *duration)
	c.BaseURL, c.ServiceToken, c.CustomerSecret, c.ServerPID = *url, *token, []byte(*secret), *pid
	c.OrderPrefix, c.CustomerPrefix = *prefix, *prefix+"cust-"
	c.Progress = loadProgress(stderr)
	ctx, cancel := context.WithTimeout(ctx, *duration)
	defer cancel()
	fmt.Fprintf(stderr, "eligo load: %d orders against %s over at most %s (promise %s, ramp %s, poll %s), ids %s*\n",
		c.Orders, c.BaseURL, *duration, c.Promise, c.Ramp, c.Poll, c.OrderPrefix)
	rep, err := loadgen.Run(ctx, c)
	if err != nil {
		return err
	}
	if *asJSON {
		_, err = stdout.Write(rep.JSON())
	} else {
		_, err = io.WriteString(stdout, rep.Text())
	}
	if err != nil {
		return err
	}
	if rep.Wrong > 0 {
		return fmt.Errorf("load: %d wrong answers", rep.Wrong)
	}
	return nil
}

// loadAbout is the help of `eligo load`.
const loadAbout = `Play the article's traffic against a running eligo and check every answer;
with --ratio, measure the read path against /healthz instead. It fails when
any answer was wrong.`

// loadConfig is the configuration of `eligo load`.
type loadConfig struct {
	URL, Token, Secret, DataDir string
	Duration                    time.Duration
	JSON                        bool
	ServerPID                   int
	IDPrefix                    string
	Script                      loadgen.Config
	RatioMode                   bool
	Ratio                       loadgen.RatioConfig
}

// flags declares the flags of `eligo load` into lc.
func (lc *loadConfig) flags(f *flagSet) {
	c, rc := &lc.Script, &lc.Ratio
	f.String(&lc.URL, "url", "http://127.0.0.1:8080", "the server")
	f.String(&lc.Token, "token", "", "service token; empty means the first of ELIGO_SERVICE_TOKENS")
	f.envName("token", "ELIGO_SERVICE_TOKEN")
	f.String(&lc.Secret, "customer-secret", "", "secret that signs customer tokens")
	f.envName("customer-secret", "ELIGO_CUSTOMER_TOKEN_SECRET")
	f.String(&lc.DataDir, "data-dir", "", "the server's data directory: what --token and --customer-secret leave unset is read from its secrets.json")
	l := f.scoped("ELIGO_LOAD_")
	l.Duration(&lc.Duration, "duration", 60*time.Second, time.Millisecond, "how long the run may last; the script is fitted into it")
	l.Bool(&lc.JSON, "json", false, "print the report as JSON")
	l.Count(&lc.ServerPID, "server-pid", 0, 0, "the server's process id, to report its resident memory and CPU time from /proc (with --ratio: its CPU time per request)")
	l.Count(&c.Orders, "orders", 60000, 1, "orders to place")
	l.Duration(&c.Promise, "promise", 0, 0, "delivery promise, the article's 10 minutes compressed (0: 30% of --duration)")
	l.Duration(&c.Ramp, "ramp", 0, 0, "orders are placed evenly over this span (0: 30% of --duration)")
	l.Duration(&c.Poll, "poll", 0, 0, "how often a map page reads eligibility, the article's 30 s compressed (0: the promise / 20)")
	l.Share(&c.ChatShare, "chat-share", 0.1, "share of customers on the chat page, watching the live stream")
	l.Share(&c.CancelShare, "cancel-share", 1.0/3, "share of customers who press Cancel")
	l.Share(&c.PayLaterShare, "pay-later-share", 0.2, "share of orders paid after they are placed, before a payment timeout")
	l.Share(&c.UnpaidShare, "unpaid-share", 0.02, "share of orders never paid")
	l.Count(&c.Conns, "conns", 64, 1, "map-page reads at once")
	l.Count(&c.WriteConns, "write-conns", 32, 1, "creates at once, and cancels at once")
	l.Count(&c.Partitions, "partitions", 4, 1, "event streams, each posting one batch at a time")
	l.Count(&c.BatchMax, "batch", 500, 1, "most events in one POST /v1/events")
	l.Count(&c.MaxLive, "max-live", 10000, 0, "most live streams open at once")
	l.Duration(&c.Timeout, "timeout", time.Minute, time.Millisecond, "limit of each request")
	l.Duration(&c.ClockTolerance, "clock-tolerance", 50*time.Millisecond, 0, "how far the server's clock may be from this one")
	l.Duration(&c.ReadsYield, "reads-yield", 50*time.Millisecond, 0, "map pages wait while a write is this late against the script, so the writes keep to it on a small machine (0: never)")
	l.Duration(&c.PushTimeout, "push-timeout", 5*time.Second, time.Millisecond, "how long a chat page waits for the last version on the stream before it counts as lost")
	l.Seed(&c.Seed, "seed", uint64(time.Now().UnixNano()), "random seed of the script")
	f.setDefaultText("seed", "random")
	l.String(&lc.IDPrefix, "id-prefix", "", "prefix of the order ids (default: load- and a random run id)")
	l.Bool(&lc.RatioMode, "ratio", false, "measure the read path instead: eligibility against /healthz, interleaved rounds, same client")
	l.String(&rc.Tool, "ratio-tool", "go", "client of the ratio benchmark: go (this process) or wrk (github.com/wg/wrk, on PATH)")
	l.Count(&rc.Rounds, "ratio-rounds", 10, 1, "rounds of the ratio benchmark; each measures both endpoints")
	l.Duration(&rc.Round, "ratio-phase", 2*time.Second, time.Millisecond, "how long each endpoint is measured in a round")
	l.Count(&rc.Orders, "ratio-orders", 1000, 1, "orders created for the ratio benchmark's eligibility reads")
	l.Count(&rc.Conns, "ratio-conns", 32, 1, "connections of the ratio benchmark's client")
	l.Bool(&rc.ServiceAuth, "ratio-service-token", false, "read eligibility with the service token instead of each order's customer token")
}

// fitScript fills in the script's timing from the run's duration: orders
// are placed over the first 30% of it and promised in 30% of it, so the
// last driver (who arrives by one and a half promises, and delivers a tenth
// of a promise later) is done by about 80% of it.
func fitScript(c *loadgen.Config, d time.Duration) {
	part := (d * 3 / 10).Truncate(time.Millisecond)
	if c.Promise == 0 {
		c.Promise = part
	}
	if c.Ramp == 0 {
		c.Ramp = part
	}
	if c.Poll == 0 {
		c.Poll = c.Promise / 20
	}
}

// loadProgress prints the summary line and the request rate every five
// seconds.
func loadProgress(w io.Writer) func(loadgen.Snapshot) {
	var last loadgen.Snapshot
	return func(s loadgen.Snapshot) {
		if s.Elapsed.Round(time.Second)%(5*time.Second) != 0 {
			return
		}
		rate := float64(s.Requests-last.Requests) / math.Max((s.Elapsed-last.Elapsed).Seconds(), 1e-9)
		last = s
		fmt.Fprintf(w, "[%3.0fs] %.0f req/s | finished %d | %s\n", s.Elapsed.Seconds(), rate, s.Finished, s.Line())
	}
}

// readSecretsFile reads the secrets a server generated in its data
// directory, without ever creating them.
func readSecretsFile(dir string) (secrets, error) {
	if _, err := os.Stat(filepath.Join(dir, secretsFile)); err != nil {
		return secrets{}, fmt.Errorf("load: no %s in %s (%v); pass --token and --customer-secret", secretsFile, dir, err)
	}
	return storedSecrets(dir)
}

func firstToken(list string) string {
	first, _, _ := strings.Cut(list, ",")
	return strings.TrimSpace(first)
}

func runID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
