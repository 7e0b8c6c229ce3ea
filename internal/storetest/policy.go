package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

// testPolicies pins eligo.PolicyStore: none until one is put, each put of
// new rules the next version with its record, the same rules again
// nothing, the history newest first, page by page.
func (s *suite) testPolicies(t *testing.T) {
	t.Parallel()

	t.Run("NoneApplied", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		_, err := b.store.CurrentPolicy(b.ctx)
		requireCode(t, eligo.ENOTFOUND, err)
		all, err := b.store.ListPolicies(b.ctx, &eligo.ListPoliciesParams{Limit: 10})
		require.NoError(t, err)
		require.NotNil(t, all)
		require.Empty(t, all)
	})

	t.Run("PutCurrentList", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		first, second := testPolicy(t, 1), testPolicy(t, 2)

		sp, created, err := b.store.PutPolicy(b.ctx, &eligo.PutPolicyParams{Policy: first, Who: "operator:ann"})
		require.NoError(t, err)
		require.True(t, created)
		require.EqualValues(t, 1, sp.Seq)
		require.Equal(t, first.Version().Hash, sp.Hash)
		require.Equal(t, string(first.Canonical()), string(sp.Body))
		require.Equal(t, "operator:ann", sp.Whodunnit)
		require.NotEmpty(t, sp.Host, "the store records its host")
		require.NotEmpty(t, sp.Build, "the store records its build")
		require.True(t, sp.CreatedAt.Equal(b.clock.Now()), "created_at %s, want the store clock %s", sp.CreatedAt, b.clock.Now())
		requireSamePolicy(t, sp, b.current(t))
		cur := b.current(t)
		p, err := cur.Policy()
		require.NoError(t, err)
		require.Equal(t, eligo.PolicyVersion{Seq: 1, Hash: first.Version().Hash}, p.Version())

		// The same rules again, by anyone, later: the current one.
		b.clock.Advance(time.Minute)
		again, created, err := b.store.PutPolicy(b.ctx, &eligo.PutPolicyParams{Policy: first, Who: eligo.WhoService})
		require.NoError(t, err)
		require.False(t, created)
		requireSamePolicy(t, sp, again)

		// Other rules, then the first ones back: each a new version.
		two, created, err := b.store.PutPolicy(b.ctx, &eligo.PutPolicyParams{Policy: second, Who: eligo.WhoService})
		require.NoError(t, err)
		require.True(t, created)
		require.EqualValues(t, 2, two.Seq)
		require.True(t, two.CreatedAt.Equal(b.clock.Now()))
		b.clock.Advance(time.Minute)
		three, created, err := b.store.PutPolicy(b.ctx, &eligo.PutPolicyParams{Policy: first, Who: eligo.WhoService})
		require.NoError(t, err)
		require.True(t, created, "rolling back is a new version")
		require.EqualValues(t, 3, three.Seq)
		require.Equal(t, sp.Hash, three.Hash)
		requireSamePolicy(t, three, b.current(t))

		all, err := b.store.ListPolicies(b.ctx, &eligo.ListPoliciesParams{Limit: 10})
		require.NoError(t, err)
		require.Len(t, all, 3)
		for i, want := range []eligo.StoredPolicy{three, two, sp} {
			requireSamePolicy(t, want, all[i])
		}
		page, err := b.store.ListPolicies(b.ctx, &eligo.ListPoliciesParams{Limit: 2})
		require.NoError(t, err)
		require.Equal(t, []int64{3, 2}, policySeqs(page))
		page, err = b.store.ListPolicies(b.ctx, &eligo.ListPoliciesParams{BeforeSeq: 2, Limit: 2})
		require.NoError(t, err)
		require.Equal(t, []int64{1}, policySeqs(page))
		page, err = b.store.ListPolicies(b.ctx, &eligo.ListPoliciesParams{BeforeSeq: 1, Limit: 2})
		require.NoError(t, err)
		require.Empty(t, page)
	})

	t.Run("InvalidParams", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		for _, p := range []*eligo.PutPolicyParams{nil, {Who: eligo.WhoService}, {Policy: testPolicy(t, 1)}} {
			_, _, err := b.store.PutPolicy(b.ctx, p)
			requireCode(t, eligo.EINVALID, err)
		}
		for _, p := range []*eligo.ListPoliciesParams{nil, {}, {Limit: -1}, {BeforeSeq: -1, Limit: 1}} {
			_, err := b.store.ListPolicies(b.ctx, p)
			requireCode(t, eligo.EINVALID, err)
		}
		_, err := b.store.CurrentPolicy(b.ctx)
		requireCode(t, eligo.ENOTFOUND, err)
	})

	t.Run("ConcurrentPutsGetOneSeqEach", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		RequireConcurrentPutPolicies(t, []eligo.PolicyStore{b.store}, 12)
	})
}

// RequireConcurrentPutPolicies puts n distinct policies from n goroutines
// at once, spread over stores (replicas on one database, or one store),
// and requires that every put stored its own version: sequence numbers 1
// to n, each once, the history holding them all.
func RequireConcurrentPutPolicies(t *testing.T, stores []eligo.PolicyStore, n int) {
	t.Helper()
	var wg sync.WaitGroup
	start := make(chan struct{})
	got := make([]eligo.StoredPolicy, n)
	errs := make([]error, n)
	policies := make([]*eligo.Policy, n)
	for i := range n {
		policies[i] = testPolicy(t, i+1)
	}
	for i := range n {
		wg.Go(func() {
			<-start
			var created bool
			got[i], created, errs[i] = stores[i%len(stores)].PutPolicy(t.Context(), &eligo.PutPolicyParams{Policy: policies[i], Who: eligo.WhoService})
			if errs[i] == nil && !created {
				errs[i] = fmt.Errorf("put %d was not created", i)
			}
		})
	}
	close(start)
	wg.Wait()
	seen := map[int64]int{}
	for i := range n {
		require.NoError(t, errs[i], "put %d", i)
		require.Equal(t, policies[i].Version().Hash, got[i].Hash, "put %d", i)
		seen[got[i].Seq]++
	}
	for seq := int64(1); seq <= int64(n); seq++ {
		require.Equal(t, 1, seen[seq], "seq %d; got %v", seq, seen)
	}
	all, err := stores[0].ListPolicies(t.Context(), &eligo.ListPoliciesParams{Limit: 2 * n})
	require.NoError(t, err)
	require.Len(t, all, n)
	require.EqualValues(t, n, all[0].Seq)
}

// testPolicy returns a valid policy whose rules, and so hash, differ for
// each i.
func testPolicy(t testing.TB, i int) *eligo.Policy {
	t.Helper()
	p, err := eligo.ParsePolicy(fmt.Appendf(nil, `{"actions": {"cancel": {"windows": [{"name": "after_promise", "from": "promised_at+%dm"}]}}}`, i))
	require.NoError(t, err)
	return p
}

// current returns the store's current policy.
func (b *bundle) current(t *testing.T) eligo.StoredPolicy {
	t.Helper()
	sp, err := b.store.CurrentPolicy(b.ctx)
	require.NoError(t, err)
	return sp
}

// requireSamePolicy requires that two stored policies are the same, times
// compared as instants.
func requireSamePolicy(t *testing.T, want, got eligo.StoredPolicy) {
	t.Helper()
	require.True(t, want.CreatedAt.Equal(got.CreatedAt), "created_at: want %s, got %s", want.CreatedAt, got.CreatedAt)
	want.CreatedAt, got.CreatedAt = time.Time{}, time.Time{}
	require.Equal(t, want, got)
}

func policySeqs(sps []eligo.StoredPolicy) []int64 {
	seqs := make([]int64, len(sps))
	for i, sp := range sps {
		seqs[i] = sp.Seq
	}
	return seqs
}
