package loadgen

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo/internal/testenv/stack"
)

// The chat pages watch the real hub over SSE: every pushed document is
// checked, and push latency is measured.
func TestRunAgainstLiveHub(t *testing.T) {
	t.Parallel()
	cfg := fakeConfig("")
	// The real API over the SQLite store, with the live hub on
	// /v1/orders/{id}/live, as `eligo serve` wires it.
	cfg.BaseURL = stack.New(t, stack.Config{ServiceTokens: []string{cfg.ServiceToken}, CustomerSecret: cfg.CustomerSecret}).URL
	cfg.ClockTolerance = 20 * time.Millisecond
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	rep, err := Run(ctx, cfg)
	require.NoError(t, err)
	require.Zero(t, rep.Wrong, "%v\n%s", rep.WrongSamples, rep.Text())
	require.Zero(t, rep.Errors, rep.Text())
	require.True(t, rep.Push.Used, rep.Text())
	require.Positive(t, rep.Push.Samples, rep.Text())
	require.True(t, strings.Contains(rep.Text(), "live push: "), rep.Text())
}
