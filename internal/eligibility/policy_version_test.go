package eligibility

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

// A new policy version is a new answer: the document names it, and its
// ETag and SameAnswer change even when every decision stays the same, so
// a poller with If-None-Match and the live push both see the change.
func TestPolicyVersionIsPartOfTheAnswer(t *testing.T) {
	t.Parallel()
	placed := time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)
	o := eligo.Order{ID: "ord-1", CustomerID: "c", PlacedAt: placed, PromisedAt: placed.Add(10 * time.Minute), Version: 3}
	v1 := eligo.DefaultPolicy().WithSeq(1)
	v2 := eligo.DefaultPolicy().WithSeq(2) // the same rules, applied again
	now := placed.Add(5 * time.Minute)

	a, b := Build(&o, v1, "", now), Build(&o, v2, "", now)
	require.Equal(t, a.Actions, b.Actions, "the same rules decide the same")
	require.NotEqual(t, a.ETag(), b.ETag())
	require.False(t, a.SameAnswer(&b))

	var got map[string]any
	require.NoError(t, json.Unmarshal(b.AppendJSON(nil), &got))
	require.Equal(t, v2.VersionString(), got["policy_version"])
	require.Regexp(t, `^2-[0-9a-f]{12}$`, got["policy_version"])
}

// Segments decide per order in the document too.
func TestBuildUsesTheOrdersSegment(t *testing.T) {
	t.Parallel()
	p, err := eligo.ParsePolicy([]byte(`{"actions":{"cancel":{"windows":[{"name":"sla_breached","from":"promised_at"}]}},
		"segments":[{"name":"early","match":{"city":["AMS"]},"actions":{"cancel":{"windows":[{"name":"any_time","from":"placed_at"}]}}}]}`))
	require.NoError(t, err)
	placed := time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)
	o := eligo.Order{ID: "ord-1", CustomerID: "c", PlacedAt: placed, PromisedAt: placed.Add(10 * time.Minute), Version: 1}
	now := placed.Add(time.Minute)
	require.Equal(t, "outside_window", Build(&o, p, "", now).Actions[0].Reason)
	o.Attributes, err = eligo.MakeAttributes(map[string]string{"city": "AMS"})
	require.NoError(t, err)
	d := Build(&o, p, "", now)
	require.True(t, d.Actions[0].Allowed)
	require.Equal(t, "any_time", d.Actions[0].Reason)
}
