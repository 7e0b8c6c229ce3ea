package testenv

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// Metric returns the sum, over the samples of the metric family name in g
// whose labels include every pair of labels (name, value, name, value...),
// of a counter's or gauge's value or a histogram's or summary's sample
// count. ok is false when no sample matches (a family not registered, or
// no series with those labels yet), so that a test can tell "absent" from 0.
func Metric(t testing.TB, g prometheus.Gatherer, name string, labels ...string) (sum float64, ok bool) {
	t.Helper()
	if len(labels)%2 != 0 {
		t.Fatalf("testenv.Metric(%s): labels come in name, value pairs: %q", name, labels)
	}
	mfs, err := g.Gather()
	if err != nil {
		t.Fatalf("gather the metrics: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	samples:
		for _, m := range mf.GetMetric() {
			for i := 0; i < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
						found = true
						break
					}
				}
				if !found {
					continue samples
				}
			}
			ok = true
			switch {
			case m.Counter != nil:
				sum += m.GetCounter().GetValue()
			case m.Gauge != nil:
				sum += m.GetGauge().GetValue()
			case m.Histogram != nil:
				sum += float64(m.GetHistogram().GetSampleCount())
			case m.Summary != nil:
				sum += float64(m.GetSummary().GetSampleCount())
			case m.Untyped != nil:
				sum += m.GetUntyped().GetValue()
			}
		}
	}
	return sum, ok
}

// MetricValue is Metric without ok: 0 when no sample matches.
func MetricValue(t testing.TB, g prometheus.Gatherer, name string, labels ...string) float64 {
	t.Helper()
	v, _ := Metric(t, g, name, labels...)
	return v
}
