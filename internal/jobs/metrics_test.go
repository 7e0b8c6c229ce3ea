package jobs_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// requireMetric waits for a counter, gauge or histogram count of the
// bundle's registry to reach want: job events reach the metrics after the
// job row is finalized.
func requireMetric(t *testing.T, b *testBundle, name string, labels map[string]string, want float64) {
	t.Helper()
	var got float64
	waitFor(t, 5*time.Second, fmt.Sprintf("%s%v = %v", name, labels, want), func() bool {
		got = metricValue(t, b, name, labels)
		return got == want
	})
}

// metricValue returns a counter or gauge value or a histogram count, -1
// when there is none.
func metricValue(t *testing.T, b *testBundle, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := b.reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue metrics
				}
			}
			var got float64
			switch {
			case m.Counter != nil:
				got = m.GetCounter().GetValue()
			case m.Gauge != nil:
				got = m.GetGauge().GetValue()
			case m.Histogram != nil:
				got = float64(m.GetHistogram().GetSampleCount())
			}
			return got
		}
	}
	return -1
}
