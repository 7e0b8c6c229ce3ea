package main

import (
	"context"
	crand "crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"time"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
)

// soak runs the measurement on the history store and the fresh one.
type soak struct {
	cfg       config
	out       io.Writer
	hist      history
	sec       credentials
	retention bool // the binary has a retention job
	dir       string
}

// credentials are the secrets the soak gives every server it starts.
type credentials struct{ service, customerSecret string }

func newCredentials() credentials {
	random := func(n int) string {
		b := make([]byte, n)
		_, _ = crand.Read(b)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return credentials{service: "svc_" + random(24), customerSecret: random(32)}
}

func newSoak(c config, out io.Writer) *soak {
	now := time.Now().UTC().Truncate(time.Microsecond)
	return &soak{cfg: c, out: out, sec: newCredentials(),
		hist: history{now: now, orders: c.orders, live: c.live, span: time.Duration(c.days) * 24 * time.Hour}}
}

func (s *soak) logf(format string, args ...any) {
	fmt.Fprintf(s.out, "eligo-soak: "+format+"\n", args...)
}

func (s *soak) run(ctx context.Context) (err error) {
	if s.dir = s.cfg.dir; s.dir == "" {
		if s.dir, err = os.MkdirTemp("", "eligo-soak-"); err != nil {
			return err
		}
		if !s.cfg.keep {
			defer os.RemoveAll(s.dir)
		}
	}
	binary, err := s.binary(ctx)
	if err != nil {
		return err
	}
	if s.retention, err = knowsFlag(binary, "retain-orders"); err != nil {
		return err
	}
	rep := &report{Store: s.cfg.store, Orders: s.cfg.orders, Live: s.cfg.live, Days: s.cfg.days,
		Binary: binary, Retention: s.retention, GOMAXPROCS: runtime.GOMAXPROCS(0), Started: s.hist.now}
	s.logf("%s store, %d orders (%d live) over %d days; binary %s; retention: %s",
		s.cfg.store, s.cfg.orders, s.cfg.live, s.cfg.days, binary, availability(s.retention))
	for _, kind := range []string{"history", "fresh"} {
		t := s.target(kind)
		res, err := s.soakOne(ctx, binary, kind, t)
		if !s.cfg.keep {
			err = errors.Join(err, t.remove(context.WithoutCancel(ctx)))
		}
		if err != nil {
			return fmt.Errorf("%s store: %w", kind, err)
		}
		rep.Stores = append(rep.Stores, res)
	}
	rep.print(s.out)
	return rep.writeJSON(s.cfg.jsonPath, s.out)
}

func availability(ok bool) string {
	if ok {
		return "available"
	}
	return "not available in this build"
}

// binary returns the eligo binary under test, building ./cmd/eligo of the
// current module when none was given.
func (s *soak) binary(ctx context.Context) (string, error) {
	if s.cfg.binary != "" {
		return filepath.Abs(s.cfg.binary)
	}
	out := filepath.Join(s.dir, "eligo")
	s.logf("building ./cmd/eligo into %s", out)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "github.com/eligo/eligo/cmd/eligo")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/eligo: %w: %s", err, b)
	}
	return out, nil
}

func (s *soak) target(kind string) target {
	dir := filepath.Join(s.dir, kind)
	if s.cfg.store == "postgres" {
		return &postgresTarget{admin: s.cfg.postgresURL, db: dbName(s.cfg.dbPrefix, kind), dir: dir}
	}
	return &sqliteTarget{dir: dir}
}

// soakOne lays down one store (the whole history, or only its live
// orders) and measures a server on it.
func (s *soak) soakOne(ctx context.Context, binary, kind string, t target) (*storeResult, error) {
	h := &s.hist
	from := 0
	if kind == "fresh" {
		from = h.ended()
	}
	res := &storeResult{Name: kind, Planned: h.expected(from, h.orders)}
	if err := s.lay(ctx, t, from, res); err != nil {
		return nil, err
	}
	if err := migrate(binary, t.serveArgs(), s.sec); err != nil {
		return nil, err
	}
	var err error
	if res.Loaded, err = t.count(ctx); err != nil {
		return nil, err
	}
	if res.DiskBefore, _, err = t.size(ctx); err != nil {
		return nil, err
	}
	live := s.sample(h.ended(), h.orders)
	cold := s.coldSample(kind)
	if err := s.serveAndRead(ctx, binary, t, res, live, cold); err != nil {
		return nil, err
	}
	if s.retention {
		if err := s.retentionPass(ctx, binary, t, res, cold); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// lay creates the store and loads orders from..orders-1 into it.
func (s *soak) lay(ctx context.Context, t target, from int, res *storeResult) error {
	h := &s.hist
	st, err := t.create(ctx)
	if err != nil {
		return err
	}
	start, last := time.Now(), time.Now()
	err = h.load(ctx, from, h.orders, s.cfg.batch, st.BulkLoad, func(done int) {
		if time.Since(last) >= 10*time.Second {
			last = time.Now()
			s.logf("  %s: %d of %d orders laid down in %s", res.Name, done, h.orders-from, time.Since(start).Round(time.Second))
		}
	})
	err = errors.Join(err, st.Close())
	if err != nil {
		return err
	}
	if err := t.settle(ctx); err != nil {
		return err
	}
	res.LoadSeconds = time.Since(start).Seconds()
	s.logf("%s: laid down %d orders in %s", res.Name, h.orders-from, time.Since(start).Round(time.Millisecond))
	return nil
}

// serveAndRead starts a server on t (its retention, if any, set to keep
// everything), measures its start, memory and reads, stops it and checks
// the answers against the store.
func (s *soak) serveAndRead(ctx context.Context, binary string, t target, res *storeResult, live, cold []int) error {
	args := t.serveArgs()
	if s.retention {
		keep := (s.hist.span + 48*time.Hour).String()
		args = append(args, "--retain-orders", keep, "--retain-event-ids", keep, "--retain-versions", "0")
	}
	srv, err := startServe(ctx, binary, args, s.sec, filepath.Join(s.dir, res.Name+"-serve.log"), s.cfg.readyTimeout)
	if err != nil {
		return err
	}
	defer srv.stop()
	res.ReadySeconds = srv.ready.Seconds()
	res.StartLog = srv.startLine()
	if res.RSSKB, err = srv.rssKB(); err != nil {
		return err
	}
	s.logf("%s: ready in %s, VmRSS %d MB", res.Name, srv.ready.Round(time.Millisecond), res.RSSKB/1024)
	tokens, err := s.tokens(append(append([]int(nil), live...), cold...))
	if err != nil {
		return err
	}
	tokenFor := func(i int) string { return tokens[i] }
	liveReads := readEligibility(ctx, srv.url, live, tokenFor)
	coldReads := readEligibility(ctx, srv.url, cold, tokenFor)
	if err := srv.exitedEarly(); err != nil {
		return err
	}
	if res.RSSAfterReadsKB, err = srv.rssKB(); err != nil {
		return err
	}
	if err := srv.stop(); err != nil {
		return err
	}
	res.LiveReads, res.ColdReads = measure(liveReads), measure(coldReads)
	st, err := t.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := verify(ctx, st, liveReads, &res.LiveReads); err != nil {
		return err
	}
	return verify(ctx, st, coldReads, &res.ColdReads)
}

// tokens returns the token of each order's read: its customer's, or the
// service token.
func (s *soak) tokens(orders []int) (map[int]string, error) {
	m := make(map[int]string, len(orders))
	for _, i := range orders {
		if s.cfg.serviceToken {
			m[i] = s.sec.service
			continue
		}
		tok, err := auth.MintCustomerToken([]byte(s.sec.customerSecret), customerID(i), time.Hour, time.Now())
		if err != nil {
			return nil, err
		}
		m[i] = tok
	}
	return m, nil
}

// retentionPass starts a server with the soak's retention settings, waits
// for its first complete pass, stops it and measures the store after it.
func (s *soak) retentionPass(ctx context.Context, binary string, t target, res *storeResult, cold []int) error {
	args := append(t.serveArgs(), "--retain-orders", s.cfg.retainOrders.String(),
		"--retain-versions", s.cfg.retainVersions.String(), "--retain-event-ids", s.cfg.retainEventIDs.String())
	srv, err := startServe(ctx, binary, args, s.sec, filepath.Join(s.dir, res.Name+"-retention.log"), s.cfg.readyTimeout)
	if err != nil {
		return err
	}
	defer srv.stop()
	start := time.Now()
	for {
		n, _, err := srv.metric(ctx, "eligo_retention_passes_total")
		if err != nil {
			return err
		}
		if n >= 1 {
			break
		}
		if time.Since(start) > s.cfg.retentionTimeout {
			return fmt.Errorf("no retention pass completed within %s\n%s", s.cfg.retentionTimeout, srv.logTail(20))
		}
		time.Sleep(100 * time.Millisecond)
	}
	r := &retentionResult{PassSeconds: time.Since(start).Seconds()}
	if r.Deleted, _, err = srv.metric(ctx, "eligo_retention_deleted_total"); err != nil {
		return err
	}
	if err := srv.stop(); err != nil {
		return err
	}
	if r.After, err = t.count(ctx); err != nil {
		return err
	}
	if r.DiskAfter, r.FreeAfter, err = t.size(ctx); err != nil {
		return err
	}
	st, err := t.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if r.ColdKept, err = s.found(ctx, st, cold, true); err != nil {
		return err
	}
	r.ColdChecked = len(cold)
	old := s.expiredSample(res.Name)
	if r.ExpiredGone, err = s.found(ctx, st, old, false); err != nil {
		return err
	}
	r.ExpiredChecked = len(old)
	res.Retention = r
	s.logf("%s: retention pass in %s; %d rows deleted", res.Name, time.Duration(r.PassSeconds*float64(time.Second)).Round(time.Millisecond), int64(r.Deleted))
	return nil
}

// found counts the orders the store has (want true) or has not.
func (s *soak) found(ctx context.Context, st eligo.OrderStore, orders []int, want bool) (int, error) {
	n := 0
	for _, i := range orders {
		_, err := st.FindOrder(ctx, orderID(i))
		switch {
		case err == nil && want, eligo.ErrorCode(err) == eligo.ENOTFOUND && !want:
			n++
		case err != nil && eligo.ErrorCode(err) != eligo.ENOTFOUND:
			return 0, err
		}
	}
	return n, nil
}

// sample returns up to -reads distinct orders of [from, to), at random.
func (s *soak) sample(from, to int) []int {
	n := min(s.cfg.reads, to-from)
	if n <= 0 {
		return nil
	}
	r := rand.New(rand.NewPCG(s.cfg.seed, uint64(from)))
	picked := make(map[int]bool, n)
	out := make([]int, 0, n)
	for len(out) < n {
		i := from + r.IntN(to-from)
		if !picked[i] {
			picked[i] = true
			out = append(out, i)
		}
	}
	return out
}

// coldAge is the youngest a cold order is: long past any hot set's grace.
const coldAge = 6 * time.Hour

// coldSample returns ended orders that ended between coldAge and a day
// before the retention pass would delete them (none for the fresh store).
func (s *soak) coldSample(kind string) []int {
	if kind == "fresh" {
		return nil
	}
	h := &s.hist
	oldest := h.now.Add(-s.cfg.retainOrders + 24*time.Hour)
	from := sort.Search(h.ended(), func(i int) bool { return !h.endedAt(i).Before(oldest) })
	to := sort.Search(h.ended(), func(i int) bool { return h.endedAt(i).After(h.now.Add(-coldAge)) })
	return s.sample(from, to)
}

// expiredSample returns ended orders that ended more than a day before
// the retention pass's bound: it must have deleted them.
func (s *soak) expiredSample(kind string) []int {
	if kind == "fresh" {
		return nil
	}
	h := &s.hist
	bound := h.now.Add(-s.cfg.retainOrders - 24*time.Hour)
	to := sort.Search(h.ended(), func(i int) bool { return h.endedAt(i).After(bound) })
	return s.sample(0, to)
}
