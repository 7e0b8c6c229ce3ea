package httpapi_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo/internal/auth"
	"github.com/eligo/eligo/internal/httpapi"
)

// NewServer refuses what it cannot serve with by returning an error, never
// by panicking; a second server on one Registerer shares the metrics.
func TestNewServerReturnsErrors(t *testing.T) {
	t.Parallel()
	_, err := httpapi.NewServer(httpapi.Deps{})
	require.ErrorContains(t, err, "Deps.Engine")

	b := setup(t)
	deps := httpapi.Deps{Engine: b.engine, Auth: nil}
	_, err = httpapi.NewServer(deps)
	require.Error(t, err)

	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "eligo_http_requests_total", Help: "not the API's"}))
	_, err = httpapi.NewServer(httpapi.Deps{Engine: b.engine, Auth: authFor(t), Registerer: reg})
	require.ErrorContains(t, err, "registering metrics")

	shared := prometheus.NewRegistry()
	_, err = httpapi.NewServer(httpapi.Deps{Engine: b.engine, Auth: authFor(t), Registerer: shared})
	require.NoError(t, err)
	_, err = httpapi.NewServer(httpapi.Deps{Engine: b.engine, Auth: authFor(t), Registerer: shared})
	require.NoError(t, err)
}

func authFor(t *testing.T) *auth.Authenticator {
	t.Helper()
	a, err := auth.New(auth.Config{ServiceTokens: []string{serviceToken}, CustomerSecret: customerSecret})
	require.NoError(t, err)
	return a
}
