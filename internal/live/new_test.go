package live_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/live"
	"github.com/eligo/eligo/internal/readmodel"
)

// New refuses what it cannot run with by returning an error, never by
// panicking.
func TestNewReturnsErrors(t *testing.T) {
	t.Parallel()
	_, err := live.New(live.Config{Policy: eligo.DefaultPolicy()})
	require.ErrorContains(t, err, "ReadModel")
	_, err = live.New(live.Config{ReadModel: readmodel.NewMemory(), Policy: eligo.DefaultPolicy(), MaxConns: -1})
	require.Error(t, err)

	reg := prometheus.NewRegistry()
	cfg := live.Config{ReadModel: readmodel.NewMemory(), Policy: eligo.DefaultPolicy(), Registerer: reg}
	h, err := live.New(cfg)
	require.NoError(t, err)
	require.NotNil(t, h)
	_, err = live.New(cfg)
	require.ErrorContains(t, err, "registering metrics", "a second hub on one registry")
}
