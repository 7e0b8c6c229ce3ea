package httpapi

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/eligibility"
)

func TestDocCacheAnswersAsEncodingAfresh(t *testing.T) {
	t.Parallel()
	placed := time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)
	o := eligo.Order{ID: "ord-1", PlacedAt: placed, PromisedAt: placed.Add(time.Minute), Version: 1}
	p := eligo.DefaultPolicy()
	c := newDocCache()

	answer := func(now time.Time, action string) (*keptDoc, eligibility.Document) {
		doc := eligibility.Build(&o, p, action, now)
		return c.answer(&doc), doc
	}
	requireFresh := func(k *keptDoc, doc eligibility.Document) {
		t.Helper()
		require.Equal(t, []string{doc.ETag()}, k.etag)
		body := string(k.head) + string(doc.AppendAsOf(nil)) + string(k.tail)
		require.Equal(t, string(doc.AppendJSON(nil))+"\n", body)
	}

	first, doc := answer(placed, "")
	requireFresh(first, doc)
	again, doc := answer(placed.Add(30*time.Second), "")
	require.Same(t, first, again, "the same decisions: the kept answer")
	requireFresh(again, doc)

	flipped, doc := answer(placed.Add(2*time.Minute), "")
	require.NotSame(t, first, flipped, "a decision changed")
	requireFresh(flipped, doc)

	one, doc := answer(placed.Add(2*time.Minute), "cancel")
	requireFresh(one, doc)

	o.Version = 2
	next, doc := answer(placed.Add(2*time.Minute), "")
	requireFresh(next, doc)
	require.NotEqual(t, flipped.etag, next.etag, "the version changed")
}
