package engine_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/engine"
	"github.com/eligo/eligo/internal/readmodel"
	"github.com/eligo/eligo/internal/sqlite"
)

// memoryPolicies is a store whose policies are kept in memory, a test
// double of PolicyStore for the engine's own tests; the stores' real
// policy tables are checked by internal/storetest. down fails every read.
type memoryPolicies struct {
	eligo.OrderStore
	mu       sync.Mutex
	policies []eligo.StoredPolicy // oldest first
	reads    atomic.Int64
	down     atomic.Bool
}

func (s *memoryPolicies) CurrentPolicy(context.Context) (eligo.StoredPolicy, error) {
	s.reads.Add(1)
	if s.down.Load() {
		return eligo.StoredPolicy{}, eligo.Errorf(eligo.EUNAVAILABLE, "connection refused")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.policies) == 0 {
		return eligo.StoredPolicy{}, eligo.Errorf(eligo.ENOTFOUND, "no policy applied")
	}
	return s.policies[len(s.policies)-1], nil
}

func (s *memoryPolicies) PutPolicy(_ context.Context, p *eligo.PutPolicyParams) (eligo.StoredPolicy, bool, error) {
	if err := p.Validate(); err != nil {
		return eligo.StoredPolicy{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.policies); n > 0 && s.policies[n-1].Hash == p.Policy.Version().Hash {
		return s.policies[n-1], false, nil
	}
	sp := eligo.StoredPolicy{Seq: int64(len(s.policies) + 1), Hash: p.Policy.Version().Hash, Body: p.Policy.Canonical(), Whodunnit: p.Who, CreatedAt: time.Now()}
	s.policies = append(s.policies, sp)
	return sp, true, nil
}

func (s *memoryPolicies) ListPolicies(context.Context, *eligo.ListPoliciesParams) ([]eligo.StoredPolicy, error) {
	return nil, eligo.Errorf(eligo.EINTERNAL, "not in this double")
}

// seenPolicies is a PolicyListener and PolicyPublisher that records.
type seenPolicies struct {
	mu        sync.Mutex
	changed   []string
	published []int64
}

func (s *seenPolicies) PolicyChanged(_ context.Context, p *eligo.Policy) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changed = append(s.changed, p.VersionString())
}

func (s *seenPolicies) PublishPolicy(_ context.Context, seq int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.published = append(s.published, seq)
}

func (s *seenPolicies) seen() (changed []string, published []int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.changed...), append([]int64(nil), s.published...)
}

func newPolicyEngine(t *testing.T, store eligo.OrderStore, seen *seenPolicies) *engine.Engine {
	t.Helper()
	e, err := engine.New(engine.Config{Store: store, ReadModel: readmodel.NewMemory(), Policy: eligo.DefaultPolicy(),
		PolicyListeners: []engine.PolicyListener{seen}, PolicyPublisher: seen})
	require.NoError(t, err)
	return e
}

func policyStore(t *testing.T) *memoryPolicies {
	t.Helper()
	st, err := sqlite.Open(t.Context(), &sqlite.Config{Path: filepath.Join(t.TempDir(), "eligo.db")})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, st.Close()) })
	return &memoryPolicies{OrderStore: st}
}

func testPolicy(t *testing.T, grace string) *eligo.Policy {
	t.Helper()
	p, err := eligo.ParsePolicy([]byte(`{"actions": {"cancel": {"windows": [{"name": "late", "from": "promised_at` + grace + `"}]}}}`))
	require.NoError(t, err)
	return p
}

// ApplyPolicy tells the other replicas through the publisher, and one
// replica that only follows the store (FollowPolicy) switches on the
// notice, long before its poll, and tells its listeners once.
func TestFollowPolicySwitchesOnTheNoticeAndThePoll(t *testing.T) {
	t.Parallel()
	store := policyStore(t)
	seenA, seenB := &seenPolicies{}, &seenPolicies{}
	a, b := newPolicyEngine(t, store, seenA), newPolicyEngine(t, store, seenB)

	notices := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- b.FollowPolicy(ctx, time.Hour, notices) }()

	sp, created, err := a.ApplyPolicy(t.Context(), testPolicy(t, "+1m"), "service")
	require.NoError(t, err)
	require.True(t, created)
	require.EqualValues(t, 1, sp.Seq)
	require.Equal(t, sp.Version().String(), a.Policy().VersionString())
	changed, published := seenA.seen()
	require.Equal(t, []string{sp.Version().String()}, changed)
	require.Equal(t, []int64{1}, published)

	require.Equal(t, eligo.DefaultPolicy().VersionString(), b.Policy().VersionString(), "the hour's poll has not come")
	notices <- struct{}{} // what the fan-out delivers
	require.Eventually(t, func() bool { return b.Policy().VersionString() == sp.Version().String() }, 5*time.Second, time.Millisecond)
	notices <- struct{}{} // again: nothing changes
	require.Eventually(t, func() bool { return len(notices) == 0 }, 5*time.Second, time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	changed, published = seenB.seen()
	require.Equal(t, []string{sp.Version().String()}, changed)
	require.Empty(t, published, "a follower publishes nothing")

	// Without notices, the poll alone.
	ctx, cancel = context.WithCancel(t.Context())
	go func() { done <- b.FollowPolicy(ctx, 5*time.Millisecond, nil) }()
	sp2, _, err := a.ApplyPolicy(t.Context(), testPolicy(t, "+2m"), "service")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return b.Policy().VersionString() == sp2.Version().String() }, 5*time.Second, time.Millisecond)
	cancel()
	require.NoError(t, <-done)
}

// A store that fails keeps the policy in force, and the follower reads
// again at its next tick.
func TestFollowPolicyKeepsThePolicyWhileTheStoreFails(t *testing.T) {
	t.Parallel()
	store := policyStore(t)
	a, b := newPolicyEngine(t, store, &seenPolicies{}), newPolicyEngine(t, store, &seenPolicies{})
	sp, _, err := a.ApplyPolicy(t.Context(), testPolicy(t, "+1m"), "service")
	require.NoError(t, err)
	store.down.Store(true)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- b.FollowPolicy(ctx, time.Millisecond, nil) }()
	reads := store.reads.Load()
	require.Eventually(t, func() bool { return store.reads.Load() > reads+3 }, 5*time.Second, time.Millisecond)
	require.Equal(t, eligo.DefaultPolicy().VersionString(), b.Policy().VersionString())
	store.down.Store(false)
	require.Eventually(t, func() bool { return b.Policy().VersionString() == sp.Version().String() }, 5*time.Second, time.Millisecond)
	cancel()
	require.NoError(t, <-done)
}
