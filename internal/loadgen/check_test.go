package loadgen

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

// t0 is the instant the test orders are placed; they are promised at
// t0+10s, with a payment timeout at t0+5s when the test says so.
var t0 = time.Date(2026, 1, 2, 20, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func TestExpectCancel(t *testing.T) {
	t.Parallel()
	an := anchors{promisedAt: at(10000), paymentTimeoutAt: at(5000)}
	paid := state{payment: eligo.PaymentPaid}
	tests := []struct {
		name string
		s    state
		an   anchors
		t    time.Time
		want answer
	}{
		{"before the promise the button is hidden until the promise", paid, an, at(1000), answer{false, reasonOutsideWindow, at(10000)}},
		{"at the promise it appears, for good", paid, an, at(10000), answer{true, reasonSLABreached, time.Time{}}},
		{"the driver at the doorstep hides it", state{payment: eligo.PaymentPaid, driver: eligo.DriverArrivedAtDoorstep}, an, at(11000), answer{false, reasonDriverAtDoorstep, time.Time{}}},
		{"delivered", state{payment: eligo.PaymentPaid, driver: eligo.DriverDelivered}, an, at(11000), answer{false, reasonDelivered, time.Time{}}},
		{"cancelled comes first", state{cancelled: true, driver: eligo.DriverArrivedAtDoorstep}, an, at(11000), answer{false, reasonCancelled, time.Time{}}},
		// Expired by the server past the timeout: the same answer as before
		// the expiry was written.
		{"expired", state{expired: true}, an, at(11000), answer{false, reasonPaymentExpired, time.Time{}}},
		{"expired, though paid (not written by eligo)", state{expired: true, payment: eligo.PaymentPaid}, an, at(11000), answer{false, reasonExpired, time.Time{}}},
		// The payment timeout comes before the promise: the reason changes
		// there, though the button stays hidden; until says so.
		{"pending before the timeout", state{}, an, at(1000), answer{false, reasonOutsideWindow, at(5000)}},
		{"pending past the timeout", state{}, an, at(6000), answer{false, reasonPaymentExpired, time.Time{}}},
		{"pending past the promise", state{}, an, at(12000), answer{false, reasonPaymentExpired, time.Time{}}},
		// A failed payment is as unpaid as a pending one, whether or not
		// the re-check job has expired the order yet.
		{"failed past the promise", state{payment: eligo.PaymentFailed}, an, at(12000), answer{false, reasonPaymentExpired, time.Time{}}},
		{"a timeout after the promise ends the window", state{}, anchors{promisedAt: at(1000), paymentTimeoutAt: at(5000)}, at(2000), answer{true, reasonSLABreached, at(5000)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := expect(tt.s, tt.an, tt.t)
			require.True(t, sameAnswer(got, tt.want), "got %s, want %s", got, tt.want)
		})
	}
}

// The rule written out here agrees with eligo.Decide under the built-in
// policy on every state and around every anchor: if they disagreed, one of
// them would be wrong and every run would say so.
func TestExpectAgreesWithDecide(t *testing.T) {
	t.Parallel()
	p := eligo.DefaultPolicy()
	for _, timeout := range []time.Time{{}, at(5000), at(15000)} {
		an := anchors{promisedAt: at(10000), paymentTimeoutAt: timeout}
		for d := eligo.DriverNone; d <= eligo.DriverDelivered; d++ {
			for pay := eligo.PaymentPending; pay <= eligo.PaymentPaid; pay++ {
				for _, st := range []eligo.Status{eligo.StatusPlaced, eligo.StatusCancelled, eligo.StatusExpired} {
					o := eligo.Order{PlacedAt: t0, PromisedAt: an.promisedAt, PaymentTimeoutAt: timeout, DriverStatus: d, PaymentStatus: pay, Status: st}
					if d == eligo.DriverDelivered && st == eligo.StatusPlaced {
						o.Status = eligo.StatusDelivered // a driver DELIVERED delivers the order
					}
					s := state{driver: d, payment: pay, cancelled: o.Status == eligo.StatusCancelled, expired: o.Status == eligo.StatusExpired}
					for _, ms := range []int{0, 4999, 5000, 9999, 10000, 14999, 15000, 20000} {
						dec := eligo.Decide(&o, p, "cancel", at(ms))
						want := answer{dec.Allowed, dec.Reason, dec.Until}
						require.True(t, sameAnswer(expect(s, an, at(ms)), want), "%+v at %dms: rule %s, Decide %s", o, ms, expect(s, an, at(ms)), want)
					}
				}
			}
		}
	}
}

// story is a paid order's writes: create (v1), ASSIGNED (v2), ARRIVED (v3).
func story() []write {
	return []write{
		{kind: writeCreate, sent: at(0), acked: at(5), outcome: outcomeApplied, version: 1},
		{kind: writeDriver, status: uint8(eligo.DriverAssigned), sent: at(2000), acked: at(2010), outcome: outcomeApplied, version: 2},
		{kind: writeDriver, status: uint8(eligo.DriverArrivedAtDoorstep), sent: at(12000), acked: at(12010), outcome: outcomeApplied, version: 3},
	}
}

func paidAnchors() anchors { return anchors{promisedAt: at(10000)} }

func TestBuildHistory(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		writes    func([]write) []write
		versions  int64
		uncertain bool
		finding   string // "" for none
	}{
		{"a whole story", func(w []write) []write { return w }, 3, false, ""},
		{"a version given twice", func(w []write) []write { w[2].version = 2; return w }, 2, false, "given to two writes"},
		{"a version skipped", func(w []write) []write { w[2].version = 4; return w }, 2, true, "version 3 is missing"},
		// An unanswered write may hold the missing version: not wrong.
		{"a gap behind an unanswered write", func(w []write) []write {
			w[2].version = 4
			return append(w, write{kind: writeCancel, sent: at(11000), outcome: outcomeUnanswered})
		}, 2, true, ""},
		// The arrival race lost by the driver: nothing may apply after a cancel.
		{"a write after the cancel", func(w []write) []write {
			w[2].version = 4
			return append(w, write{kind: writeCancel, sent: at(11000), acked: at(11010), outcome: outcomeApplied, version: 3})
		}, 4, false, "after the order was over"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, found := buildHistory(paidAnchors(), tt.writes(story()), 0)
			require.Equal(t, tt.versions, h.last())
			require.Equal(t, tt.uncertain, h.uncertain)
			if tt.finding == "" {
				require.Empty(t, found)
			} else {
				require.Len(t, found, 1)
				require.Contains(t, found[0].msg, tt.finding)
			}
		})
	}
}

func TestCheckRead(t *testing.T) {
	t.Parallel()
	doc := func(sent, recv, asOf int, v int64, a answer) readObs {
		return readObs{sent: at(sent), recv: at(recv), version: v, asOf: at(asOf), ans: a, maxAge: -1}
	}
	hidden := answer{false, reasonOutsideWindow, at(10000)}
	shown := answer{true, reasonSLABreached, time.Time{}}
	doorstep := answer{false, reasonDriverAtDoorstep, time.Time{}}
	tests := []struct {
		name string
		ob   readObs
		want string // a part of the finding; "" for right
	}{
		{"right before the promise", doc(3000, 3002, 3001, 2, hidden), ""},
		{"right after the promise", doc(11000, 11002, 11001, 2, shown), ""},
		{"right at the doorstep", doc(13000, 13002, 13001, 3, doorstep), ""},
		// The arrival was acknowledged at 12.010 s: a read sent after that
		// must not answer from the version before it.
		{"a read older than an acknowledged write", doc(12500, 12502, 12501, 2, shown), "had been acknowledged before"},
		// Sent before the acknowledgement, the old version is fine.
		{"a read racing the write", doc(12005, 12015, 12007, 2, shown), ""},
		{"a version from the future", doc(11000, 11002, 11001, 3, doorstep), "before its write"},
		{"a version that does not exist", doc(13000, 13002, 13001, 4, doorstep), "does not exist"},
		{"the button at the doorstep", doc(13000, 13002, 13001, 3, shown), "the rule says refused/driver_at_doorstep"},
		{"the button before the promise", doc(9000, 9002, 9001, 2, answer{true, reasonSLABreached, time.Time{}}), "the rule says"},
		{"a wrong until", doc(3000, 3002, 3001, 2, answer{false, reasonOutsideWindow, time.Time{}}), "until"},
		{"as_of far from the request", doc(3000, 3002, 1000, 2, hidden), "outside the request's span"},
		{"max-age past until", func() readObs { o := doc(9000, 9002, 9001, 2, hidden); o.maxAge = 5; return o }(), "max-age=5"},
		{"max-age within until", func() readObs { o := doc(9000, 9002, 9001, 2, hidden); o.maxAge = 0; return o }(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, found := buildHistory(paidAnchors(), story(), 5*time.Millisecond)
			require.Empty(t, found)
			c := &checker{h: h}
			c.read(&tt.ob)
			requireFinding(t, c.found, tt.want)
		})
	}
}

func TestCheckNotModified(t *testing.T) {
	t.Parallel()
	held := func(sent, recv int, v int64, a answer) readObs {
		return readObs{sent: at(sent), recv: at(recv), notModified: true, version: v, ans: a}
	}
	hidden := answer{false, reasonOutsideWindow, at(10000)}
	tests := []struct {
		name string
		ob   readObs
		want string
	}{
		{"the held document is current", held(3000, 3002, 2, hidden), ""},
		{"the promise passed: the document changed", held(10500, 10502, 2, hidden), "the rule says"},
		{"the request spans the promise: either answer", held(9999, 10001, 2, hidden), ""},
		{"a newer version was acknowledged", held(13000, 13002, 2, answer{true, reasonSLABreached, time.Time{}}), "had been acknowledged before"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := buildHistory(paidAnchors(), story(), 0)
			c := &checker{h: h}
			c.read(&tt.ob)
			requireFinding(t, c.found, tt.want)
		})
	}
}

// The arrival race, judged from the client's side: the arrival (v3) was
// sent at 12.000 s and acknowledged at 12.010 s.
func TestCheckCancel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cancel write
		want   string
	}{
		{"won before the arrival", write{kind: writeCancel, sent: at(11000), acked: at(11005), outcome: outcomeApplied, version: 3}, ""},
		{"won before the promise", write{kind: writeCancel, sent: at(9000), acked: at(9005), outcome: outcomeApplied, version: 3}, "which the rule refuses"},
		{"refused before the promise", write{kind: writeCancel, sent: at(9000), acked: at(9005), outcome: outcomeRefused, reason: reasonOutsideWindow}, ""},
		{"refused after the arrival", write{kind: writeCancel, sent: at(12500), acked: at(12505), outcome: outcomeRefused, reason: reasonDriverAtDoorstep}, ""},
		// Sent before the arrival was acknowledged, but after it was sent:
		// the server may have applied the arrival first.
		{"refused during the arrival", write{kind: writeCancel, sent: at(12002), acked: at(12008), outcome: outcomeRefused, reason: reasonDriverAtDoorstep}, ""},
		{"refused as at the doorstep before the driver left", write{kind: writeCancel, sent: at(11000), acked: at(11005), outcome: outcomeRefused, reason: reasonDriverAtDoorstep}, "which no version"},
		{"refused after the promise as too early", write{kind: writeCancel, sent: at(11000), acked: at(11005), outcome: outcomeRefused, reason: reasonOutsideWindow}, "which no version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			writes := story()
			if tt.cancel.outcome == outcomeApplied {
				writes = writes[:2] // the arrival lost the race: it was stale
				writes = append(writes, write{kind: writeDriver, status: uint8(eligo.DriverArrivedAtDoorstep), sent: at(12000), acked: at(12010), outcome: outcomeStale})
			}
			writes = append(writes, tt.cancel)
			h, found := buildHistory(paidAnchors(), writes, 0)
			require.Empty(t, found)
			c := &checker{h: h}
			for i := range writes {
				switch writes[i].kind {
				case writeCancel:
					c.cancel(&writes[i])
				case writeDriver:
					c.event(&writes[i])
				}
			}
			requireFinding(t, c.found, tt.want)
		})
	}
}

func TestCheckEvent(t *testing.T) {
	t.Parallel()
	writes := story()
	writes[2].outcome, writes[2].version = outcomeStale, 0 // the arrival, stale with no cancel
	h, _ := buildHistory(paidAnchors(), writes, 0)
	c := &checker{h: h}
	c.event(&writes[2])
	require.Len(t, c.found, 1)
	require.Contains(t, c.found[0].msg, "answered stale, but the order was not over")

	writes[2].outcome = outcomeDuplicate
	c.event(&writes[2])
	require.Contains(t, c.found[1].msg, "answered duplicate")
}

// The payment re-check job expires an unpaid order at its timeout with a
// version the generator did not write: accepted as the last version only,
// and only past the timeout.
func TestInferExpiry(t *testing.T) {
	t.Parallel()
	an := anchors{promisedAt: at(10000), paymentTimeoutAt: at(5000)}
	writes := []write{{kind: writeCreate, sent: at(0), acked: at(5), outcome: outcomeApplied, version: 1}}
	h, _ := buildHistory(an, writes, 0)
	c := &checker{h: h}
	expired := answer{false, reasonPaymentExpired, time.Time{}}

	c.read(&readObs{sent: at(4000), recv: at(4002), version: 2, asOf: at(4001), ans: expired, maxAge: -1})
	require.Len(t, c.found, 1, "no expiry before the timeout")
	require.Contains(t, c.found[0].msg, "does not exist")

	c.read(&readObs{sent: at(6000), recv: at(6002), version: 2, asOf: at(6001), ans: expired, maxAge: -1})
	require.Len(t, c.found, 1, "an expiry past the timeout is right")
	require.Equal(t, "system expiry", h.at(2).by)

	paid := append(writes, write{kind: writePayment, status: uint8(eligo.PaymentPaid), sent: at(1000), acked: at(1005), outcome: outcomeApplied, version: 2})
	h, _ = buildHistory(an, paid, 0)
	c = &checker{h: h}
	c.read(&readObs{sent: at(6000), recv: at(6002), version: 3, asOf: at(6001), ans: expired, maxAge: -1})
	require.Len(t, c.found, 1, "a paid order does not expire")
}

func TestCheckStream(t *testing.T) {
	t.Parallel()
	hidden := answer{false, reasonOutsideWindow, at(10000)}
	shown := answer{true, reasonSLABreached, time.Time{}}
	doorstep := answer{false, reasonDriverAtDoorstep, time.Time{}}
	tests := []struct {
		name     string
		docs     []pushObs
		complete bool
		want     string
	}{
		{"every change pushed", []pushObs{{at(3000), 2, at(3000), hidden}, {at(10001), 2, at(10000), shown}, {at(12004), 3, at(12003), doorstep}}, true, ""},
		{"stopped before the arrival", []pushObs{{at(3000), 2, at(3000), hidden}, {at(10001), 2, at(10000), shown}}, true, "the stream ended at version 2"},
		{"cut by the end of the run", []pushObs{{at(3000), 2, at(3000), hidden}}, false, ""},
		{"went back", []pushObs{{at(3000), 2, at(3000), hidden}, {at(12004), 3, at(12003), doorstep}, {at(12005), 2, at(12004), shown}}, true, "went back"},
		{"showed the button at the doorstep", []pushObs{{at(3000), 2, at(3000), hidden}, {at(12004), 3, at(12003), shown}}, true, "the rule says"},
		{"no push at the promise", []pushObs{{at(3000), 2, at(3000), hidden}, {at(12004), 3, at(12003), doorstep}}, true, "no document was pushed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := buildHistory(paidAnchors(), story(), 5*time.Millisecond)
			c := &checker{h: h}
			s := &stream{sent: at(2999), closed: at(30000), complete: tt.complete, docs: tt.docs}
			c.stream(s)
			var lat, afterAck, boundary histogram
			var beforeAck atomic.Int64
			pushLatencies(c, s, time.Second, &lat, &afterAck, &boundary, &beforeAck)
			requireFinding(t, c.found, tt.want)
		})
	}
}

// requireFinding checks that found is empty when want is "", and otherwise
// that its first finding says want.
func requireFinding(t *testing.T, found []finding, want string) {
	t.Helper()
	if want == "" {
		require.Empty(t, found)
		return
	}
	require.NotEmpty(t, found)
	require.Contains(t, found[0].msg, want)
}
