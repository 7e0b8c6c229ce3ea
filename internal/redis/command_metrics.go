package redis

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/rueidis"
)

// measuredCommands are the commands eligo sends through its client, the
// values of the command label: the read model's GET, its Put pipeline
// (EVALSHA and PTTL, EVAL when the server lost the script), the repair
// mark's GET and EVALSHA/EVAL and the fan-out's SPUBLISH. Any other
// command is "other", so that the label set stays this small.
var measuredCommands = map[string]string{
	"GET": "get", "PTTL": "pttl", "EVALSHA": "evalsha", "EVAL": "eval", "SPUBLISH": "spublish",
}

// otherCommand is the label of a command outside measuredCommands.
const otherCommand = "other"

// Measured wraps c so that every command that leaves the process (Do,
// DoMulti, and DoCache or DoMultiCache when the client-side cache did not
// answer; eligo_redis_read_model_gets_total counts the cache's hits) is
// timed in eligo_redis_command_duration_seconds{command} and, when it
// fails, counted in eligo_redis_command_errors_total{command}; a nil
// reply (an absent key) is no failure. Each command of a pipeline is
// observed with the pipeline's duration, the time its answer took to come.
// Both families are registered with reg, every command at zero. Commands
// sent otherwise (the fan-out's subscription on a dedicated connection)
// are not measured.
func Measured(c rueidis.Client, reg prometheus.Registerer) (rueidis.Client, error) {
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "eligo_redis_command_duration_seconds",
		Help:    "Redis commands sent by this process, by command (get, pttl, evalsha, eval, spublish, other): from the call to the answer, a pipeline's commands each with the pipeline's duration; client-side cache hits are not sent.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"command"})
	errs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "eligo_redis_command_errors_total",
		Help: "Redis commands sent by this process that failed (an error reply, a timeout, a lost connection; not a nil reply), by command.",
	}, []string{"command"})
	if err := register(reg, duration, errs); err != nil {
		return nil, err
	}
	m := measuredClient{Client: c, series: make(map[string]commandSeries, len(measuredCommands))}
	for name, label := range measuredCommands {
		m.series[name] = commandSeries{duration.WithLabelValues(label), errs.WithLabelValues(label)}
	}
	m.other = commandSeries{duration.WithLabelValues(otherCommand), errs.WithLabelValues(otherCommand)}
	return m, nil
}

type measuredClient struct {
	rueidis.Client
	series map[string]commandSeries // by the command's name as sent
	other  commandSeries
}

// commandSeries are one command's series.
type commandSeries struct {
	duration prometheus.Observer
	errors   prometheus.Counter
}

// of returns the series of the command of args.
func (c measuredClient) of(args []string) commandSeries {
	if len(args) > 0 {
		if s, ok := c.series[args[0]]; ok {
			return s
		}
	}
	return c.other
}

// observe records one command's answer after took.
func (s commandSeries) observe(took time.Duration, err error) {
	s.duration.Observe(took.Seconds())
	if err != nil && !rueidis.IsRedisNil(err) {
		s.errors.Inc()
	}
}

func (c measuredClient) Do(ctx context.Context, cmd rueidis.Completed) rueidis.RedisResult {
	s, start := c.of(cmd.Commands()), time.Now() // before: the command is recycled once sent
	r := c.Client.Do(ctx, cmd)
	s.observe(time.Since(start), r.Error())
	return r
}

func (c measuredClient) DoMulti(ctx context.Context, cmds ...rueidis.Completed) []rueidis.RedisResult {
	series := make([]commandSeries, len(cmds))
	for i, cmd := range cmds {
		series[i] = c.of(cmd.Commands())
	}
	start := time.Now()
	rs := c.Client.DoMulti(ctx, cmds...)
	took := time.Since(start)
	for i, r := range rs {
		series[i].observe(took, r.Error())
	}
	return rs
}

func (c measuredClient) DoCache(ctx context.Context, cmd rueidis.Cacheable, ttl time.Duration) rueidis.RedisResult {
	s, start := c.of(cmd.Commands()), time.Now()
	r := c.Client.DoCache(ctx, cmd, ttl)
	if !r.IsCacheHit() {
		s.observe(time.Since(start), r.Error())
	}
	return r
}

func (c measuredClient) DoMultiCache(ctx context.Context, cmds ...rueidis.CacheableTTL) []rueidis.RedisResult {
	series := make([]commandSeries, len(cmds))
	for i, cmd := range cmds {
		series[i] = c.of(cmd.Cmd.Commands())
	}
	start := time.Now()
	rs := c.Client.DoMultiCache(ctx, cmds...)
	took := time.Since(start)
	for i, r := range rs {
		if !r.IsCacheHit() {
			series[i].observe(took, r.Error())
		}
	}
	return rs
}
