package loadgen

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
	"github.com/eligo/eligo/internal/engine"
	"github.com/eligo/eligo/internal/httpapi"
	"github.com/eligo/eligo/internal/live"
	"github.com/eligo/eligo/internal/readmodel"
	"github.com/eligo/eligo/internal/sqlite"
)

// newStack serves the real API over the SQLite store, with the live hub on
// /v1/orders/{id}/live, as `eligo serve` does once it wires the hub.
func newStack(t *testing.T, secret []byte) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	store, err := sqlite.Open(ctx, &sqlite.Config{Path: filepath.Join(t.TempDir(), "eligo.db")})
	require.NoError(t, err)
	rm, policy := readmodel.NewMemory(), eligo.DefaultPolicy()
	hub, err := live.New(live.Config{ReadModel: rm, Policy: policy})
	require.NoError(t, err)
	eng, err := engine.New(engine.Config{Store: store, ReadModel: rm, Policy: policy, Listeners: []engine.Listener{hub}})
	require.NoError(t, err)
	authn, err := auth.New(auth.Config{ServiceTokens: []string{"svc"}, CustomerSecret: secret})
	require.NoError(t, err)
	ran := make(chan error, 1)
	go func() { ran <- hub.Run(ctx) }()
	api, err := httpapi.NewServer(httpapi.Deps{Engine: eng, Auth: authn, Live: hub})
	require.NoError(t, err)
	srv := httptest.NewServer(api)
	t.Cleanup(func() {
		shutdown, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		_ = hub.Shutdown(shutdown)
		srv.Close()
		cancel()
		<-ran
		store.Close()
	})
	return srv.URL
}

// The chat pages watch the real hub over SSE: every pushed document is
// checked, and push latency is measured.
func TestRunAgainstLiveHub(t *testing.T) {
	t.Parallel()
	cfg := fakeConfig("")
	cfg.BaseURL = newStack(t, cfg.CustomerSecret)
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
