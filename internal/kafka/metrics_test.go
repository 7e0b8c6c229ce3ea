package kafka

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo/internal/testenv"
)

// Every dead-letter reason is a series at zero before the first dead
// letter, so that an alert on its increase (deploy/monitoring) sees the
// first one after a restart.
func TestDeadLetterReasonsAtZero(t *testing.T) {
	reg := prometheus.NewRegistry()
	_, err := newMetrics(reg)
	require.NoError(t, err)
	for _, reason := range []string{reasonUndecodable, reasonRejected} {
		v, ok := testenv.Metric(t, reg, "eligo_kafka_dead_letters_total", "reason", reason)
		require.True(t, ok, "no series for reason %q", reason)
		require.Zero(t, v)
	}
}
