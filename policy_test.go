package eligo_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

func TestParsePolicyRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, json, wantIn string
	}{
		{"not json", `{`, "not valid JSON"},
		{"unknown field", `{"actions":{"cancel":{"windows":[{"name":"w","from":"promised_at"}]}},"extra":1}`, `unknown object member name "extra"`},
		{"member name in another case", `{"Actions":{"cancel":{"windows":[{"name":"w","from":"promised_at"}]}}}`, `unknown object member name "Actions"`},
		{"member given twice", `{"actions":{"cancel":{"windows":[{"name":"w","from":"promised_at"}]}},"actions":{"x":{"windows":[{"name":"w","from":"promised_at"}]}}}`, `duplicate object member name "actions"`},
		{"action given twice", `{"actions":{"cancel":{"windows":[{"name":"w","from":"promised_at"}]},"cancel":{"windows":[{"name":"w","from":"placed_at"}]}}}`, `duplicate object member name "cancel"`},
		{"no actions", `{"actions":{}}`, "no actions"},
		{"no windows", `{"actions":{"cancel":{"blocks":[]}}}`, "no windows"},
		{"bad anchor", `{"actions":{"cancel":{"windows":[{"name":"w","from":"delivered_at"}]}}}`, `unknown timestamp "delivered_at"`},
		{"bad offset", `{"actions":{"cancel":{"windows":[{"name":"w","from":"placed_at+1x"}]}}}`, "bad offset"},
		{"closes before opening", `{"actions":{"cancel":{"windows":[{"name":"w","from":"placed_at+60s","to":"placed_at"}]}}}`, "actions.cancel.windows[0] closes (placed_at) before or when it opens (placed_at+60s)"},
		{"closes when opening", `{"actions":{"cancel":{"windows":[{"name":"w","from":"promised_at-1m","to":"promised_at-60s"}]}}}`, "actions.cancel.windows[0] closes"},
		// placed_at is never after promised_at or payment_timeout_at, so
		// this window could never open either.
		{"closes at placed_at, opens at the promise", `{"actions":{"cancel":{"windows":[{"name":"w","from":"promised_at","to":"placed_at"}]}}}`, "actions.cancel.windows[0] closes (placed_at) before or when it opens (promised_at)"},
		{"closes at placed_at, opens at the timeout", `{"actions":{"cancel":{"windows":[{"name":"w","from":"payment_timeout_at+1s","to":"placed_at+1s"}]}}}`, "actions.cancel.windows[0] closes"},
		{"offset overflows", `{"actions":{"cancel":{"windows":[{"name":"w","from":"promised_at+2500000h"}]}}}`, "actions.cancel.windows[0].from: offset +2500000h in \"promised_at+2500000h\" is out of range"},
		{"negative offset too large", `{"actions":{"cancel":{"windows":[{"name":"w","from":"placed_at","to":"promised_at-2500000h"}]}}}`, "actions.cancel.windows[0].to: offset"},
		{"block offset too large", `{"actions":{"cancel":{"windows":[{"name":"w","from":"placed_at"}],"blocks":[{"name":"b","from":"placed_at+87601h"}]}}}`, "actions.cancel.blocks[0].from: offset"},
		{"unknown status", `{"actions":{"cancel":{"windows":[{"name":"w","from":"placed_at"}],"blocks":[{"name":"b","status":["LOST"]}]}}}`, "actions.cancel.blocks[0].status[0]"},
		{"duplicate name", `{"actions":{"cancel":{"windows":[{"name":"w","from":"placed_at"}],"blocks":[{"name":"w"}]}}}`, "used twice"},
		{"reserved name", `{"actions":{"cancel":{"windows":[{"name":"outside_window","from":"placed_at"}]}}}`, "reserved"},
		{"bad action name", `{"actions":{"Cancel!":{"windows":[{"name":"w","from":"placed_at"}]}}}`, "may hold only"},
		{"trailing data", `{"actions":{"cancel":{"windows":[{"name":"w","from":"placed_at"}]}}} {}`, "after its JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := eligo.ParsePolicy([]byte(tt.json))
			require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err))
			require.Contains(t, err.Error(), tt.wantIn)
		})
	}
}

// Windows whose bounds use anchors of no known order (promised_at and
// payment_timeout_at) cannot be judged at start: they are accepted, and
// open only for the orders where to is after from.
func TestParsePolicyAcceptsWindowsTheOrderDecides(t *testing.T) {
	t.Parallel()
	p, err := eligo.ParsePolicy([]byte(`{"actions":{"pay_late":{"windows":[{"name":"w","from":"payment_timeout_at","to":"promised_at"}]}}}`))
	require.NoError(t, err)
	o := order()
	o.PaymentTimeoutAt = t0.Add(5 * time.Minute)
	require.True(t, eligo.Decide(&o, p, "pay_late", t0.Add(6*time.Minute)).Allowed)
	o.PaymentTimeoutAt = o.PromisedAt
	require.False(t, eligo.Decide(&o, p, "pay_late", o.PromisedAt).Allowed)
	_, err = eligo.ParsePolicy([]byte(`{"actions":{"a":{"windows":[{"name":"w","from":"placed_at-87600h","to":"promised_at+87600h"}]}}}`))
	require.NoError(t, err, "offsets up to ten years are accepted")
}

func TestParsePolicyCustomAction(t *testing.T) {
	t.Parallel()
	p, err := eligo.ParsePolicy([]byte(propertyPolicy))
	require.NoError(t, err)
	require.Equal(t, []string{"cancel", "reschedule"}, p.ActionNames())
	o := order()
	d := eligo.Decide(&o, p, "reschedule", t0.Add(10*time.Second))
	require.Equal(t, eligo.Decision{Allowed: true, Reason: "early", Until: t0.Add(60 * time.Second)}, d)
	// At 60s "early" closes but "grace" (from 30s) is open: the reason changes.
	d = eligo.Decide(&o, p, "reschedule", t0.Add(60*time.Second))
	require.Equal(t, eligo.Decision{Allowed: true, Reason: "grace", Until: o.PromisedAt.Add(-2 * time.Minute)}, d)
}

// UNPAID names PENDING and FAILED; a file that lists PENDING alone keeps
// meaning PENDING alone.
func TestParsePolicyUnpaid(t *testing.T) {
	t.Parallel()
	parse := func(statuses string) *eligo.Policy {
		p, err := eligo.ParsePolicy([]byte(`{"actions":{"cancel":{"windows":[{"name":"w","from":"placed_at"}],
			"blocks":[{"name":"unpaid","payment_status":` + statuses + `}]}}}`))
		require.NoError(t, err)
		return p
	}
	unpaid, pending := parse(`["UNPAID"]`), parse(`["PENDING"]`)
	o := order()
	for _, s := range []eligo.PaymentStatus{eligo.PaymentPending, eligo.PaymentFailed, eligo.PaymentPaid} {
		o.PaymentStatus = s
		require.Equal(t, s.Unpaid(), !eligo.Decide(&o, unpaid, "cancel", t0).Allowed, s)
		require.Equal(t, s == eligo.PaymentPending, !eligo.Decide(&o, pending, "cancel", t0).Allowed, s)
	}
	_, err := eligo.ParsePolicy([]byte(`{"actions":{"cancel":{"windows":[{"name":"w","from":"placed_at"}],
		"blocks":[{"name":"b","payment_status":["OWED"]}]}}}`))
	require.ErrorContains(t, err, `actions.cancel.blocks[0].payment_status[0]: unknown payment status "OWED"`)
	require.ErrorContains(t, err, "or UNPAID")
}

func TestExamplePolicyFilesParse(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("docs/*.policy.json")
	require.NoError(t, err)
	more, err := filepath.Glob("docs/policies/*.policy.json")
	require.NoError(t, err)
	files = append(files, more...)
	require.NotEmpty(t, files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		_, err = eligo.ParsePolicy(data)
		require.NoError(t, err, f)
	}
}

// FuzzParsePolicy checks that no input crashes the parser and that every
// accepted policy decides without panicking, on orders at both ends of the
// range of order timestamps, and never names an instant outside the range
// its bounds can reach: the order range widened by the largest offset (ten
// years each way), never wrapped around, never before the instant asked.
func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(eligo.DefaultPolicyJSON))
	f.Add([]byte(propertyPolicy))
	f.Add([]byte(`{"actions":{"a":{"windows":[{"name":"w","from":"payment_timeout_at-1h","to":"promised_at+1ns"}]}}}`))
	f.Add([]byte(`{"actions":{"a":{"windows":[{"name":"w","from":"promised_at+87600h"}],"blocks":[{"name":"b","from":"placed_at-87600h"}]}}}`))
	f.Add([]byte(`{"actions":{"a":{"windows":[{"name":"w","from":"promised_at+2500000h"}]}}}`))
	first := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	last := time.Date(2201, 1, 1, 0, 0, 0, 0, time.UTC).Add(-1)
	const maxOffset = 87600 * time.Hour
	lo, hi := first.Add(-maxOffset), last.Add(maxOffset)
	orders := []eligo.Order{order()}
	for _, at := range []time.Time{first, last} {
		o := order()
		o.PlacedAt, o.PromisedAt, o.PaymentTimeoutAt, o.PaymentStatus = at, at, at, eligo.PaymentPending
		orders = append(orders, o)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := eligo.ParsePolicy(data)
		if err != nil {
			require.Equal(t, eligo.EINVALID, eligo.ErrorCode(err))
			return
		}
		for _, o := range orders {
			for _, now := range []time.Time{lo, o.PromisedAt.Add(-time.Minute), o.PromisedAt, hi} {
				for _, a := range p.ActionNames() {
					d := eligo.Decide(&o, p, a, now)
					require.NotEmpty(t, d.Reason)
					if d.Until.IsZero() {
						continue
					}
					require.True(t, d.Until.After(now), "until %v is not after now %v", d.Until, now)
					require.False(t, d.Until.Before(lo) || d.Until.After(hi), "until %v is outside [%v, %v]", d.Until, lo, hi)
				}
			}
		}
	})
}

// LatestPolicy takes only a later version: the same or an earlier one,
// heard again or late, changes nothing.
func TestLatestPolicyTakesOnlyLaterVersions(t *testing.T) {
	t.Parallel()
	var l eligo.LatestPolicy
	v1, v2, v3 := eligo.DefaultPolicy().WithSeq(1), eligo.DefaultPolicy().WithSeq(2), eligo.DefaultPolicy().WithSeq(3)
	require.True(t, l.Offer(v2), "none held yet")
	require.False(t, l.Offer(v1))
	require.False(t, l.Offer(eligo.DefaultPolicy().WithSeq(2)))
	require.Same(t, v2, l.Load())
	require.True(t, l.Offer(v3))
	require.Same(t, v3, eligo.NewLatestPolicy(v3).Load())
	require.Same(t, v3, l.Load())
}
