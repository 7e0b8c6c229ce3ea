package eligo_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

// segmentPolicy gives Amsterdam a longer grace before cancel opens, no
// cancel at all for one merchant, and ticketing orders a refund until 48
// hours before the event starts, once.
const segmentPolicy = `{
  "actions": {
    "cancel": {
      "windows": [{"name": "sla_breached", "from": "promised_at"}],
      "blocks": [{"name": "cancelled", "status": ["CANCELLED"]}, {"name": "driver_at_doorstep", "driver_status": ["ARRIVED_AT_DOORSTEP"]}]
    },
    "refund": {
      "once": true,
      "windows": [{"name": "before_event", "from": "placed_at", "to": "deadline.event_starts_at-48h"}]
    }
  },
  "segments": [
    {"name": "merchant_no_cancel", "match": {"merchant": ["m-9"]},
     "actions": {"cancel": {"windows": [{"name": "never", "from": "placed_at"}], "blocks": [{"name": "merchant_forbids"}]}}},
    {"name": "amsterdam", "match": {"city": ["AMS", "Amsterdam"]},
     "actions": {"cancel": {"windows": [{"name": "sla_breached_grace", "from": "promised_at+5m"}], "blocks": [{"name": "driver_at_doorstep", "driver_status": ["ARRIVED_AT_DOORSTEP"]}]}}}
  ]
}`

func withAttrs(o eligo.Order, kv ...string) eligo.Order {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	attrs, err := eligo.MakeAttributes(m)
	if err != nil {
		panic(err)
	}
	o.Attributes = attrs
	return o
}

func TestDecideSegmentsFirstMatchWins(t *testing.T) {
	t.Parallel()
	p, err := eligo.ParsePolicy([]byte(segmentPolicy))
	require.NoError(t, err)
	at := t0.Add(11 * time.Minute) // a minute after the promise
	tests := []struct {
		name    string
		o       eligo.Order
		allowed bool
		reason  string
		until   time.Time
	}{
		{"default rules", order(), true, "sla_breached", time.Time{}},
		{"amsterdam waits five minutes more", withAttrs(order(), "city", "AMS"), false, "outside_window", t0.Add(15 * time.Minute)},
		{"either value matches", withAttrs(order(), "city", "Amsterdam"), false, "outside_window", t0.Add(15 * time.Minute)},
		{"other city: default", withAttrs(order(), "city", "BER"), true, "sla_breached", time.Time{}},
		{"the merchant segment comes first", withAttrs(order(), "city", "AMS", "merchant", "m-9"), false, "merchant_forbids", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := eligo.Decide(&tt.o, p, "cancel", at)
			require.Equal(t, eligo.Decision{Allowed: tt.allowed, Reason: tt.reason, Until: tt.until}, d)
		})
	}
	// A segment that leaves an action alone uses the default rule for it.
	o := withAttrs(order(), "city", "AMS")
	require.Equal(t, "amsterdam", p.RulesFor(&o)[1].Segment)
	require.Equal(t, eligo.ReasonOutsideWindow, eligo.Decide(&o, p, "refund", at).Reason, "no event_starts_at: the window never opens")
}

func TestDecideNamedDeadlines(t *testing.T) {
	t.Parallel()
	p, err := eligo.ParsePolicy([]byte(segmentPolicy))
	require.NoError(t, err)
	o := order()
	starts := t0.Add(72 * time.Hour)
	o.Deadlines, err = eligo.MakeDeadlines(map[string]time.Time{"event_starts_at": starts})
	require.NoError(t, err)
	d := eligo.Decide(&o, p, "refund", t0.Add(time.Hour))
	require.Equal(t, eligo.Decision{Allowed: true, Reason: "before_event", Until: starts.Add(-48 * time.Hour)}, d)
	d = eligo.Decide(&o, p, "refund", starts.Add(-48*time.Hour))
	require.Equal(t, eligo.Decision{Reason: eligo.ReasonOutsideWindow}, d)

	// Moving the deadline (a deadline event) moves until.
	e := eligo.Event{EventID: "e1", OrderID: o.ID, Type: eligo.EventDeadline, Deadline: "event_starts_at", At: starts.Add(24 * time.Hour)}
	moved, err := eligo.ApplyEvent(o, &e)
	require.NoError(t, err)
	require.Equal(t, starts.Add(-24*time.Hour), eligo.Decide(&moved, p, "refund", t0.Add(time.Hour)).Until)
	require.Equal(t, starts.Add(-48*time.Hour), eligo.Decide(&o, p, "refund", t0.Add(time.Hour)).Until, "the copy it came from is unchanged")

	// Without the deadline, the window never opens.
	e.At = time.Time{}
	removed, err := eligo.ApplyEvent(moved, &e)
	require.NoError(t, err)
	require.Empty(t, removed.Deadlines)
	require.Equal(t, eligo.Decision{Reason: eligo.ReasonOutsideWindow}, eligo.Decide(&removed, p, "refund", t0.Add(time.Hour)))
}

func TestTakeActionOnceAndEndsOrder(t *testing.T) {
	t.Parallel()
	p, err := eligo.ParsePolicy([]byte(segmentPolicy))
	require.NoError(t, err)
	o := order()
	o.Deadlines, _ = eligo.MakeDeadlines(map[string]time.Time{"event_starts_at": t0.Add(72 * time.Hour)})
	now := t0.Add(time.Hour)

	refunded, err := eligo.TakeAction(o, p, "refund", now, nil)
	require.NoError(t, err)
	require.Equal(t, []string{"refund"}, refunded.Taken)
	require.Equal(t, eligo.StatusPlaced, refunded.Status, "refund does not end the order")
	require.Empty(t, o.Taken, "the order taken from is unchanged")
	_, err = eligo.TakeAction(refunded, p, "refund", now, nil)
	require.Equal(t, eligo.ECONFLICT, eligo.ErrorCode(err))
	require.Equal(t, eligo.ReasonAlreadyTaken, eligo.ErrorReason(err))

	cancelled, err := eligo.TakeAction(refunded, p, "cancel", t0.Add(11*time.Minute), nil)
	require.NoError(t, err)
	require.Equal(t, eligo.StatusCancelled, cancelled.Status, "cancel ends the order even when the file does not say so")
	again, err := eligo.TakeAction(cancelled, p, "cancel", t0.Add(12*time.Minute), &eligo.VersionMatch{Versions: []int64{99}})
	require.NoError(t, err, "a repeated cancel is answered with the order as it is")
	require.Equal(t, cancelled, again)

	_, err = eligo.TakeAction(o, p, "tip", now, nil)
	require.Equal(t, eligo.ENOTFOUND, eligo.ErrorCode(err))
	_, err = eligo.TakeAction(o, p, "refund", now, &eligo.VersionMatch{Versions: []int64{7}})
	require.Equal(t, eligo.EPRECONDITION, eligo.ErrorCode(err))
}

func TestDecideUpdateWritesEveryAction(t *testing.T) {
	t.Parallel()
	p, err := eligo.ParsePolicy([]byte(`{"actions":{"cancel":{"windows":[{"name":"any","from":"placed_at"}]},"reschedule":{"windows":[{"name":"any","from":"placed_at"}]}}}`))
	require.NoError(t, err)
	o := order()
	now := t0.Add(time.Minute)
	u, err := eligo.ActionUpdate(o.ID, eligo.WhoService, p, "reschedule", []byte(` {"slot": "18:00"} `), nil)
	require.NoError(t, err)
	step := eligo.DecideUpdate(&u, &o, nil, now)
	require.True(t, step.Write, "an action that changes no field is still written")
	require.Equal(t, int64(2), step.Result.Order.Version)
	require.Equal(t, eligo.VersionAction, u.VersionEvent())
	require.Equal(t, `{"slot":"18:00"}`, string(u.Action.Params))
	require.Equal(t, p.VersionString(), u.Action.PolicyVersion)

	cancelled := o
	cancelled.Status = eligo.StatusCancelled
	u, err = eligo.ActionUpdate(o.ID, eligo.WhoService, p, "cancel", nil, nil)
	require.NoError(t, err)
	step = eligo.DecideUpdate(&u, &cancelled, nil, now)
	require.False(t, step.Write, "cancelling a cancelled order writes nothing")
	require.Equal(t, eligo.OutcomeStale, step.Result.Outcome)

	_, err = eligo.ActionUpdate(o.ID, eligo.WhoService, p, "reschedule", []byte(`[1]`), nil)
	require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err))
	big := make([]byte, eligo.MaxActionParams+1)
	copy(big, `{"a":"`)
	for i := 6; i < len(big)-2; i++ {
		big[i] = 'x'
	}
	copy(big[len(big)-2:], `"}`)
	_, err = eligo.ActionUpdate(o.ID, eligo.WhoService, p, "reschedule", big, nil)
	require.Equal(t, eligo.ETOOLARGE, eligo.ErrorCode(err))
}

func TestPolicyVersionIsTheContentHash(t *testing.T) {
	t.Parallel()
	a, err := eligo.ParsePolicy([]byte(segmentPolicy))
	require.NoError(t, err)
	b, err := eligo.ParsePolicy(a.Canonical())
	require.NoError(t, err)
	require.Equal(t, a.Version(), b.Version(), "the canonical form parses to the same version")
	require.Regexp(t, `^0-[0-9a-f]{12}$`, a.VersionString())
	require.NotEqual(t, a.Version().Hash, eligo.DefaultPolicy().Version().Hash)
	s := a.WithSeq(3)
	require.Equal(t, "3-"+a.Version().Hash[:12], s.VersionString())
	require.Equal(t, "0-"+a.Version().Hash[:12], a.VersionString(), "WithSeq makes a copy")
	v, err := eligo.ParsePolicyVersion(s.VersionString())
	require.NoError(t, err)
	require.Equal(t, int64(3), v.Seq)
	_, err = eligo.ParsePolicyVersion("x-1")
	require.Error(t, err)
}

func TestParsePolicyRejectsBadSegmentsAndDeadlines(t *testing.T) {
	t.Parallel()
	base := `"cancel":{"windows":[{"name":"w","from":"promised_at"}]}`
	tests := []struct{ name, json, wantIn string }{
		{"unknown action in segment", `{"actions":{` + base + `},"segments":[{"name":"s","match":{"city":["A"]},"actions":{"tip":{"windows":[{"name":"w","from":"placed_at"}]}}}]}`, `segments[0].actions.tip: the default rules have no action "tip"`},
		{"empty match", `{"actions":{` + base + `},"segments":[{"name":"s","match":{},"actions":{` + base + `}}]}`, "segments[0].match is empty"},
		{"no values", `{"actions":{` + base + `},"segments":[{"name":"s","match":{"city":[]},"actions":{` + base + `}}]}`, "segments[0].match.city lists 0 values"},
		{"options in a segment", `{"actions":{` + base + `},"segments":[{"name":"s","match":{"city":["A"]},"actions":{"cancel":{"once":true,"windows":[{"name":"w","from":"placed_at"}]}}}]}`, "ends_order and once are set on the action under"},
		{"segment twice", `{"actions":{` + base + `},"segments":[{"name":"s","match":{"c":["A"]},"actions":{` + base + `}},{"name":"s","match":{"c":["B"]},"actions":{` + base + `}}]}`, "used twice"},
		{"bad deadline name", `{"actions":{"a":{"windows":[{"name":"w","from":"deadline.Event"}]}}}`, `actions.a.windows[0].from: deadline "Event" is not a deadline name`},
		{"builtin as deadline", `{"actions":{"a":{"windows":[{"name":"w","from":"deadline.promised_at"}]}}}`, "one of the order's own timestamps"},
		{"same deadline closes first", `{"actions":{"a":{"windows":[{"name":"w","from":"deadline.x","to":"deadline.x-1h"}]}}}`, "closes"},
		{"cancel must end", `{"actions":{"cancel":{"ends_order":false,"windows":[{"name":"w","from":"placed_at"}]}}}`, "cancel always ends the order"},
		{"reserved already_taken", `{"actions":{"a":{"windows":[{"name":"already_taken","from":"placed_at"}]}}}`, "reserved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := eligo.ParsePolicy([]byte(tt.json))
			require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err), "%v", err)
			require.Contains(t, err.Error(), tt.wantIn)
		})
	}
}

func TestExplainAndTimeline(t *testing.T) {
	t.Parallel()
	p := eligo.DefaultPolicy()
	o := order()
	o.PaymentStatus, o.PaymentTimeoutAt = eligo.PaymentPending, t0.Add(15*time.Minute)
	e, ok := eligo.Explain(&o, p, "cancel", t0.Add(5*time.Minute))
	require.True(t, ok)
	require.Equal(t, eligo.Decision{Reason: "outside_window", Until: t0.Add(10 * time.Minute)}, e.Decision)
	require.Len(t, e.Windows, 1)
	require.Equal(t, eligo.RuleState{Name: "sla_breached", FromBound: "promised_at", From: o.PromisedAt, Next: o.PromisedAt}, e.Windows[0])
	var pay eligo.RuleState
	for _, b := range e.Blocks {
		if b.Name == "payment_expired" {
			pay = b
		}
	}
	require.Equal(t, eligo.RuleState{Name: "payment_expired", StatusMatched: true, FromBound: "payment_timeout_at", From: o.PaymentTimeoutAt, Next: o.PaymentTimeoutAt}, pay)
	_, ok = eligo.Explain(&o, p, "tip", t0)
	require.False(t, ok)

	spans, ok := eligo.Timeline(&o, p, "cancel", t0, t0.Add(time.Hour))
	require.True(t, ok)
	require.Len(t, spans, 3)
	require.Equal(t, []string{"outside_window", "sla_breached", "payment_expired"}, []string{spans[0].Reason, spans[1].Reason, spans[2].Reason})
	require.Equal(t, t0.Add(10*time.Minute), spans[1].From)
	require.Equal(t, t0.Add(15*time.Minute), spans[1].To)
	require.True(t, spans[2].To.IsZero())
}

func TestAttributeAndDeadlineEvents(t *testing.T) {
	t.Parallel()
	o := order()
	e := eligo.Event{EventID: "e1", OrderID: o.ID, Type: eligo.EventAttributes, Attributes: map[string]string{"city": "AMS", "merchant": "m-1"}}
	got, err := eligo.ApplyEvent(o, &e)
	require.NoError(t, err)
	require.Equal(t, []eligo.Attribute{{Key: "city", Value: "AMS"}, {Key: "merchant", Value: "m-1"}}, got.Attributes)
	require.Equal(t, "city=AMS;merchant=m-1", e.Detail())
	e.Attributes = map[string]string{"merchant": ""}
	got, err = eligo.ApplyEvent(got, &e)
	require.NoError(t, err)
	require.Equal(t, []eligo.Attribute{{Key: "city", Value: "AMS"}}, got.Attributes)

	for _, bad := range []eligo.Event{
		{EventID: "e", OrderID: "o", Type: eligo.EventAttributes},
		{EventID: "e", OrderID: "o", Type: eligo.EventAttributes, Attributes: map[string]string{"k": "tab\there"}},
		{EventID: "e", OrderID: "o", Type: eligo.EventAttributes, Attributes: map[string]string{"k": string(make([]byte, 65))}},
		{EventID: "e", OrderID: "o", Type: eligo.EventDeadline, Deadline: "Bad"},
		{EventID: "e", OrderID: "o", Type: eligo.EventDeadline, Deadline: "placed_at", At: t0},
		{EventID: "e", OrderID: "o", Type: eligo.EventDeadline, Deadline: "x", At: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		require.Equal(t, eligo.EINVALID, eligo.ErrorCode(bad.Validate()), "%+v", bad)
	}
	// Over the limit of an order: rejected, the order unchanged.
	many := map[string]string{}
	for i := range eligo.MaxAttributes {
		many[string(rune('a'+i))] = "v"
	}
	full := o
	full.Attributes, err = eligo.MakeAttributes(many)
	require.NoError(t, err)
	_, err = eligo.ApplyEvent(full, &eligo.Event{EventID: "e", OrderID: o.ID, Type: eligo.EventAttributes, Attributes: map[string]string{"z": "v"}})
	require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err))

	// Create: attributes and deadlines are part of what makes it the same order.
	np := &eligo.NewOrderParams{ID: "o1", CustomerID: "c1", PlacedAt: t0, PromisedAt: t0.Add(time.Hour),
		Attributes: map[string]string{"city": "AMS"}, Deadlines: map[string]time.Time{"event_starts_at": t0.Add(48 * time.Hour)}}
	created, err := eligo.NewOrder(np, t0)
	require.NoError(t, err)
	require.True(t, created.SameCreation(np))
	np.Attributes = map[string]string{"city": "BER"}
	require.False(t, created.SameCreation(np))
	ch := eligo.Changes(nil, &created)
	require.Equal(t, map[string]any{"city": "AMS"}, ch["attributes"][1])
}

func TestDecideSegmentsAndDeadlinesAllocateNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	p, o := segmentBench()
	for _, at := range []time.Duration{0, time.Hour, 100 * time.Hour} {
		now := t0.Add(at)
		for _, action := range p.ActionNames() {
			require.Zero(t, testing.AllocsPerRun(100, func() { eligo.Decide(&o, p, action, now) }), "Decide(%s) at +%s allocates", action, at)
		}
	}
}

// segmentBench is an order of the last segment of segmentPolicy (two
// segments checked) with a named deadline, under that policy.
func segmentBench() (*eligo.Policy, eligo.Order) {
	p, err := eligo.ParsePolicy([]byte(segmentPolicy))
	if err != nil {
		panic(err)
	}
	o := withAttrs(order(), "city", "Amsterdam", "merchant", "m-1", "vertical", "food")
	o.PaymentStatus, o.PaymentTimeoutAt = eligo.PaymentPending, t0.Add(15*time.Minute)
	o.Deadlines, _ = eligo.MakeDeadlines(map[string]time.Time{"event_starts_at": t0.Add(72 * time.Hour), "doors_open_at": t0.Add(70 * time.Hour)})
	return p, o
}

// BenchmarkDecideSegment is BenchmarkDecide for an order that the second
// segment matches (both segments checked), of an action bounded by a named
// deadline, under a policy with two deadline names: compare the two in
// one run (go test -run '^$' -bench 'Decide' -count 10 .).
func BenchmarkDecideSegment(b *testing.B) {
	p, o := segmentBench()
	now := t0.Add(5 * time.Minute)
	b.ReportAllocs()
	var d eligo.Decision
	for b.Loop() {
		d = eligo.Decide(&o, p, "refund", now)
	}
	_ = d
}
