package eligibility

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

func TestDocumentJSONMatchesContract(t *testing.T) {
	t.Parallel()
	placed := time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)
	o := eligo.Order{ID: `ord-"1"`, CustomerID: "c", PlacedAt: placed, PromisedAt: placed.Add(10 * time.Minute), Version: 3}
	p := eligo.DefaultPolicy()

	before := Build(&o, p, "", placed.Add(5*time.Minute+1234567*time.Nanosecond))
	var got map[string]any
	require.NoError(t, json.Unmarshal(before.AppendJSON(nil), &got))
	require.Equal(t, `ord-"1"`, got["order_id"])
	require.Equal(t, float64(3), got["version"])
	require.Equal(t, "2026-11-23T20:05:00.001Z", got["as_of"])
	cancel := got["actions"].(map[string]any)["cancel"].(map[string]any)
	require.Equal(t, false, cancel["allowed"])
	require.Equal(t, "outside_window", cancel["reason"])
	require.Equal(t, "2026-11-23T20:10:00Z", cancel["until"])

	after := Build(&o, p, "cancel", placed.Add(11*time.Minute))
	require.NoError(t, json.Unmarshal(after.AppendJSON(nil), &got))
	cancel = got["actions"].(map[string]any)["cancel"].(map[string]any)
	require.Equal(t, true, cancel["allowed"])
	require.Nil(t, cancel["until"])
	require.NotEqual(t, before.ETag(), after.ETag(), "the tag changes when a decision does")
}

func TestETagIgnoresAsOf(t *testing.T) {
	t.Parallel()
	placed := time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)
	o := eligo.Order{ID: "o", PlacedAt: placed, PromisedAt: placed.Add(time.Minute), Version: 1}
	p := eligo.DefaultPolicy()
	a := Build(&o, p, "", placed)
	b := Build(&o, p, "", placed.Add(30*time.Second))
	require.Equal(t, a.ETag(), b.ETag())
	// Two answers with one tag differ in as_of, so the tag is weak (RFC 9110,
	// section 8.8.1): it names an equivalent answer, not the same bytes.
	require.Regexp(t, `^W/"v1-[0-9a-z]+"$`, a.ETag())
	require.NotEqual(t, string(a.AppendJSON(nil)), string(b.AppendJSON(nil)))
	o.Version = 2
	c := Build(&o, p, "", placed)
	require.NotEqual(t, a.ETag(), c.ETag(), "the tag changes with the version")
	require.Equal(t, placed.Add(time.Minute), a.Until())
}

func TestAppendMillisMatchesTimeFormat(t *testing.T) {
	t.Parallel()
	for _, tt := range []time.Time{
		time.Date(2026, 1, 2, 3, 4, 5, 6_999_999, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 999_999_999, time.FixedZone("x", 3600)),
		time.Date(2200, 7, 1, 0, 0, 0, 0, time.UTC),
		time.Unix(0, 0),
	} {
		require.Equal(t, tt.UTC().Format("2006-01-02T15:04:05.000Z07:00"), string(appendMillis(nil, tt)))
	}
}

func BenchmarkBuildAndEncode(b *testing.B) {
	placed := time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)
	o := eligo.Order{ID: "ord-123456", PlacedAt: placed, PromisedAt: placed.Add(10 * time.Minute), Version: 3}
	p := eligo.DefaultPolicy()
	buf := make([]byte, 0, 512)
	var actions [4]ActionDecision
	b.ReportAllocs()
	for b.Loop() {
		d := BuildInto(actions[:0], &o, p, "", placed.Add(5*time.Minute))
		buf = d.AppendJSON(buf[:0])
		_ = d.ETag()
	}
}

func TestSameAnswerIgnoresOnlyAsOf(t *testing.T) {
	t.Parallel()
	placed := time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)
	o := eligo.Order{ID: "o", PlacedAt: placed, PromisedAt: placed.Add(time.Minute), Version: 1}
	p := eligo.DefaultPolicy()
	a := Build(&o, p, "", placed)
	require.True(t, a.SameAnswer(&a))
	later := Build(&o, p, "", placed.Add(30*time.Second))
	require.True(t, a.SameAnswer(&later), "as_of alone differs")
	flipped := Build(&o, p, "", placed.Add(2*time.Minute))
	require.False(t, a.SameAnswer(&flipped), "a decision differs")
	none := a
	none.Actions = nil
	require.False(t, a.SameAnswer(&none), "fewer actions")
	o.Version = 2
	next := Build(&o, p, "", placed)
	require.False(t, a.SameAnswer(&next), "the version differs")
	o.ID = "p"
	other := Build(&o, p, "", placed)
	require.False(t, next.SameAnswer(&other), "another order")

	moved := Build(&o, p, "", placed)
	moved.Actions[0].Until = moved.Actions[0].Until.Add(time.Nanosecond)
	require.False(t, other.SameAnswer(&moved), "an until differs")

	parts := string(a.AppendJSONHead(nil)) + string(a.AppendAsOf(nil)) + string(a.AppendJSONTail(nil))
	require.Equal(t, string(a.AppendJSON(nil)), parts, "head, as_of and tail make the document")
}
