package postgres

import (
	"github.com/prometheus/client_golang/prometheus"
)

// PoolCollector reports the connection pool of s (pgxpool's statistics),
// read at every scrape:
//
//   - eligo_postgres_pool_connections{state}: acquired (in use), idle,
//     constructing;
//   - eligo_postgres_pool_max_connections: the pool's bound;
//   - eligo_postgres_pool_acquires_total and
//     eligo_postgres_pool_acquire_wait_seconds_total: connections taken
//     and the time spent waiting for them (wait/acquires is the mean wait;
//     a rising wait means the pool is too small for the load);
//   - eligo_postgres_pool_empty_acquires_total: acquires that had to wait
//     because every connection was in use.
func PoolCollector(s *Store) prometheus.Collector { return poolCollector{s} }

type poolCollector struct{ s *Store }

var (
	poolConns = prometheus.NewDesc("eligo_postgres_pool_connections",
		"Connections of the PostgreSQL pool, by state (acquired, idle, constructing).", []string{"state"}, nil)
	poolMax = prometheus.NewDesc("eligo_postgres_pool_max_connections",
		"Most connections the PostgreSQL pool opens (pool_max_conns).", nil, nil)
	poolAcquires = prometheus.NewDesc("eligo_postgres_pool_acquires_total",
		"Connections taken from the PostgreSQL pool.", nil, nil)
	poolWait = prometheus.NewDesc("eligo_postgres_pool_acquire_wait_seconds_total",
		"Time spent waiting for a PostgreSQL pool connection.", nil, nil)
	poolEmpty = prometheus.NewDesc("eligo_postgres_pool_empty_acquires_total",
		"Acquires that waited because every PostgreSQL pool connection was in use.", nil, nil)
)

func (poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolConns, poolMax, poolAcquires, poolWait, poolEmpty} {
		ch <- d
	}
}

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.s.pool.Stat()
	ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(st.AcquiredConns()), "acquired")
	ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(st.IdleConns()), "idle")
	ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(st.ConstructingConns()), "constructing")
	ch <- prometheus.MustNewConstMetric(poolMax, prometheus.GaugeValue, float64(st.MaxConns()))
	ch <- prometheus.MustNewConstMetric(poolAcquires, prometheus.CounterValue, float64(st.AcquireCount()))
	ch <- prometheus.MustNewConstMetric(poolWait, prometheus.CounterValue, st.AcquireDuration().Seconds())
	ch <- prometheus.MustNewConstMetric(poolEmpty, prometheus.CounterValue, float64(st.EmptyAcquireCount()))
}
