package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/eligo/eligo"
)

// The bench's policy parses, widens only its segment, and checkDecided
// tells a right document from a wrong one.
func TestPolicyChangeChecksDocuments(t *testing.T) {
	b := &bench{cfg: config{prefix: "lbtest", n: 200, segmentShare: 0.25, policyChange: true}, created: time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)}
	for i := range 100 {
		b.ids = append(b.ids, fmt.Sprintf("lbtest-%06d", i))
	}
	in := 0
	for i := range 100 {
		if b.inSegment(i) {
			in++
		}
	}
	if in != 25 {
		t.Fatalf("%d of 100 orders in the segment, want 25", in)
	}
	p, err := eligo.ParsePolicy([]byte(b.widenedPolicy()))
	if err != nil {
		t.Fatal(err)
	}
	p = p.WithSeq(4)
	asOf := b.created.Add(time.Minute)
	doc := func(allowed bool, reason, until string) []byte {
		return []byte(`{"order_id":"x","version":1,"policy_version":"` + p.VersionString() + `","as_of":"` + asOf.Format(time.RFC3339Nano) +
			`","actions":{"cancel":{"allowed":` + map[bool]string{true: "true", false: "false"}[allowed] + `,"reason":"` + reason + `","until":` + until + `}}}`)
	}
	promised := `"` + b.created.Add(time.Hour).Format(time.RFC3339Nano) + `"`
	if why := b.checkDecided(0, doc(true, "amsterdam_early", "null"), p); why != "" {
		t.Errorf("the segment's order, allowed: %s", why)
	}
	if why := b.checkDecided(30, doc(false, "outside_window", promised), p); why != "" {
		t.Errorf("another order, not allowed until the promise: %s", why)
	}
	if why := b.checkDecided(30, doc(true, "amsterdam_early", "null"), p); !strings.Contains(why, "eligo.Decide says") {
		t.Errorf("a wrong document passed: %q", why)
	}
}
