package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
)

// The demo runs its own policy from a file in its data directory, with
// the page's buttons; a --policy of the user's own gets no buttons.
func TestDemoPolicyFile(t *testing.T) {
	t.Parallel()
	cfg := serverConfig{DataDir: filepath.Join(t.TempDir(), "data")}
	require.NoError(t, useDemoPolicy(&cfg))
	require.True(t, cfg.DemoPolicyChanges)
	require.Equal(t, filepath.Join(cfg.DataDir, demoPolicyFile), cfg.PolicyPath)
	p, err := loadPolicy(cfg.PolicyPath)
	require.NoError(t, err)
	require.Len(t, p.Segments, 1)
	require.Equal(t, "amsterdam", p.Segments[0].Name)
	var out strings.Builder
	printDemoPolicy(&out, &cfg)
	require.Contains(t, out.String(), "Widen the Amsterdam window")

	own := serverConfig{DataDir: t.TempDir(), PolicyPath: "../../docs/reschedule.policy.json"}
	require.NoError(t, useDemoPolicy(&own))
	require.False(t, own.DemoPolicyChanges, "the user's policy is not replaced by the page's buttons")
	require.Equal(t, "../../docs/reschedule.policy.json", own.PolicyPath)
	out.Reset()
	printDemoPolicy(&out, &own)
	require.Empty(t, out.String())
	_, err = os.Stat(filepath.Join(own.DataDir, demoPolicyFile))
	require.ErrorIs(t, err, os.ErrNotExist)
}

// The demo keeps three live Amsterdam orders: one that ended is replaced,
// and a number an earlier demo used on the same data directory is skipped.
func TestDemoPolicyAmsterdamOrders(t *testing.T) {
	t.Parallel()
	created := map[string]*eligo.NewOrderParams{"ams-2": nil} // placed by an earlier run
	ended := map[string]bool{}
	a := &amsterdamOrders{
		create: func(_ context.Context, p *eligo.NewOrderParams) error {
			if _, ok := created[p.ID]; ok {
				return eligo.Errorf(eligo.ECONFLICT, "order %s exists with another body", p.ID)
			}
			created[p.ID] = p
			return nil
		},
		isLive:  func(_ context.Context, id string) (bool, error) { return !ended[id], nil },
		promise: 20 * time.Second,
		log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	ctx := context.Background()
	require.NoError(t, a.fill(ctx))
	require.Equal(t, []string{"ams-1", "ams-3", "ams-4"}, a.live)
	p := created["ams-3"]
	require.Equal(t, map[string]string{"city": "AMS"}, p.Attributes)
	require.Equal(t, 20*time.Second, p.PromisedAt.Sub(p.PlacedAt))
	require.Equal(t, "cust-ams-3", p.CustomerID)

	require.NoError(t, a.fill(ctx))
	require.Len(t, created, 4, "nothing placed while three are live")
	ended["ams-3"] = true
	require.NoError(t, a.fill(ctx))
	require.Equal(t, []string{"ams-1", "ams-4", "ams-5"}, a.live)
}
