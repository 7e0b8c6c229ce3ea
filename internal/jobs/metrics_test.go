package jobs_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/eligo/eligo/internal/testenv"
)

// requireMetric waits for a counter, gauge or histogram count of the
// bundle's registry to reach want: job events reach the metrics after the
// job row is finalized.
func requireMetric(t *testing.T, b *testBundle, name string, labels []string, want float64) {
	t.Helper()
	waitFor(t, 5*time.Second, fmt.Sprintf("%s%q = %v", name, labels, want), func() bool {
		got, ok := testenv.Metric(t, b.reg, name, labels...)
		return ok && got == want
	})
}
