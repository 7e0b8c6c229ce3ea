package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/loadgen"
)

// The policy change (-policy-change): the orders are created with a city,
// a known share of them (-segment-share) in Amsterdam, and once every
// subscriber has its first document the bench applies a policy whose
// Amsterdam segment opens the cancel window at placed_at instead of
// promised_at (PUT /v1/policy). Every watched document changes (its
// policy_version); Amsterdam's orders also flip from not allowed to
// allowed. The bench times, from the moment PUT returns, each subscriber's
// first document under the new version, and checks every one against
// eligo.Decide of the order under the new policy at the document's as_of:
// a subscriber that gets none within the wait is lost, one whose decision
// differs is wrong.

// segmentCity is the city of the segment the new policy widens; the other
// orders are in otherCity.
const (
	segmentCity = "AMS"
	otherCity   = "BER"
)

// widenedPolicy returns the new policy: the built-in rule, and for the
// segment's orders a window from placed_at. The run's prefix is one more
// value of the segment's match, so that each run applies a new version.
func (b *bench) widenedPolicy() string {
	return strings.Replace(eligo.DefaultPolicyJSON, "\n  }\n}", fmt.Sprintf(`
  },
  "segments": [{"name": "amsterdam", "match": {"city": [%q, %q]},
    "actions": {"cancel": {"windows": [{"name": "amsterdam_early", "from": "placed_at"}]}}}]
}`, segmentCity, b.cfg.prefix), 1)
}

// inSegment reports whether order i is in the segment the policy widens:
// the first share of every hundred.
func (b *bench) inSegment(i int) bool {
	return float64(i%100) < b.cfg.segmentShare*100
}

// city returns order i's city attribute.
func (b *bench) city(i int) string {
	if b.inSegment(i) {
		return segmentCity
	}
	return otherCity
}

// policyChange applies the widened policy and measures its push.
func (b *bench) policyChange(ctx context.Context) error {
	text := b.widenedPolicy()
	p, err := eligo.ParsePolicy([]byte(text))
	if err != nil {
		return fmt.Errorf("the bench's policy: %w", err)
	}
	var applied struct {
		PolicyVersion string `json:"policy_version"`
		Seq           int64  `json:"seq"`
	}
	delayBefore, _ := b.api.pushDelay(ctx, "policy")
	sent := time.Now()
	if err := b.api.do(ctx, http.MethodPut, "/v1/policy", []byte(text), http.StatusCreated, &applied); err != nil {
		return fmt.Errorf("applying the policy: %w", err)
	}
	returned := time.Now()
	p = p.WithSeq(applied.Seq)
	if p.VersionString() != applied.PolicyVersion {
		return fmt.Errorf("the server stored policy %s; this bench's policy as seq %d is %s", applied.PolicyVersion, applied.Seq, p.VersionString())
	}
	b.logf("policy change: PUT /v1/policy answered %s in %s", applied.PolicyVersion, round(returned.Sub(sent)))

	var all, flipped []time.Duration
	var lost, wrong, early atomic.Int64
	var example atomic.Value
	wait := time.Now().Add(b.cfg.policyWait)
	for i, s := range b.subs {
		at, doc, ok := s.waitPolicy(applied.PolicyVersion, time.Until(wait))
		if !ok {
			lost.Add(1)
			continue
		}
		if why := b.checkDecided(i, doc, p); why != "" {
			wrong.Add(1)
			example.CompareAndSwap(nil, why)
		}
		d := at.Sub(returned)
		if d < 0 { // pushed before the answer reached the bench
			early.Add(1)
			d = 0
		}
		all = append(all, d)
		if b.inSegment(i) {
			flipped = append(flipped, d)
		}
	}
	b.logf("policy change -> client has the new document, from PUT returning (%d subscribers, %d in the widened segment): %s",
		len(b.subs), len(flipped), summarize(all))
	b.logf("  the segment's orders alone (allowed false -> true): %s", summarize(flipped))
	b.logf("  lost (no document of %s within %s) %d, wrong (not eligo.Decide under it) %d, pushed before PUT returned %d",
		applied.PolicyVersion, b.cfg.policyWait, lost.Load(), wrong.Load(), early.Load())
	if e := example.Load(); e != nil {
		b.logf("  e.g. %s", e)
	}
	if delayAfter, err := b.api.pushDelay(ctx, "policy"); err == nil && delayBefore != nil {
		b.logf("  (server, policy change reaching the hub -> written to the socket: %s)", delayAfter.since(delayBefore))
	}
	return nil
}

// checkDecided compares subscriber i's document with eligo.Decide of its
// order (version 1, as created) under p at the document's as_of, and
// returns what differs, or "".
func (b *bench) checkDecided(i int, doc []byte, p *eligo.Policy) string {
	var d loadgen.Document
	if err := json.Unmarshal(doc, &d); err != nil {
		return fmt.Sprintf("%s: %v", b.ids[i], err)
	}
	o, err := eligo.NewOrder(b.orderParams(i), b.created)
	if err != nil {
		return fmt.Sprintf("%s: %v", b.ids[i], err)
	}
	if d.Version != o.Version {
		return fmt.Sprintf("%s: version %d, want %d", b.ids[i], d.Version, o.Version)
	}
	for _, name := range p.ActionNames() {
		want := eligo.Decide(&o, p, name, d.AsOf)
		got, ok := d.Actions[name]
		until := time.Time{}
		if ok && got.Until != nil {
			until = *got.Until
		}
		if !ok || got.Allowed != want.Allowed || got.Reason != want.Reason || !until.Equal(want.Until) {
			return fmt.Sprintf("%s: %s is %+v, eligo.Decide says %+v", b.ids[i], name, got, want)
		}
	}
	return ""
}

// waitPolicy waits until the subscriber has a document of policy version
// v, the stream ends, or the timeout passes; it returns the first such
// document and when it arrived.
func (s *subscriber) waitPolicy(v string, timeout time.Duration) (time.Time, []byte, bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	want := []byte(`"policy_version":"` + v + `"`)
	for {
		s.mu.Lock()
		for _, r := range s.receipts {
			if bytes.Contains(r.doc, want) {
				s.mu.Unlock()
				return r.at, r.doc, true
			}
		}
		closed := s.closed
		s.mu.Unlock()
		if closed != "" {
			return time.Time{}, nil, false
		}
		select {
		case <-s.changed:
		case <-deadline.C:
			return time.Time{}, nil, false
		}
	}
}
