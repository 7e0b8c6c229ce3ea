package redis_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/rueidis"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/redis"
	"github.com/eligo/eligo/internal/testenv"
)

// commandLabels are the values of the command label, all there from the
// start.
var commandLabels = []string{"get", "pttl", "evalsha", "eval", "spublish", "other"}

func measuredClient(t *testing.T) (rueidis.Client, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	c, err := redis.Measured(newClient(t), reg)
	require.NoError(t, err)
	return c, reg
}

// commandCounts returns, by command, how many commands were timed and how
// many failed.
func commandCounts(t *testing.T, reg prometheus.Gatherer) (sent, failed map[string]float64) {
	t.Helper()
	sent, failed = map[string]float64{}, map[string]float64{}
	for _, cmd := range commandLabels {
		n, ok := testenv.Metric(t, reg, "eligo_redis_command_duration_seconds", "command", cmd)
		require.True(t, ok, "eligo_redis_command_duration_seconds{command=%q} exists", cmd)
		sent[cmd] = n
		e, ok := testenv.Metric(t, reg, "eligo_redis_command_errors_total", "command", cmd)
		require.True(t, ok, "eligo_redis_command_errors_total{command=%q} exists", cmd)
		failed[cmd] = e
	}
	return sent, failed
}

func TestMeasuredClientCountsCommandsAndErrors(t *testing.T) {
	t.Parallel()
	c, reg := measuredClient(t)
	sent, failed := commandCounts(t, reg)
	for _, cmd := range commandLabels {
		require.Zero(t, sent[cmd], "%s at zero from the start", cmd)
		require.Zero(t, failed[cmd], "%s errors at zero from the start", cmd)
	}

	ctx := context.Background()
	prefix := testPrefix()
	t.Cleanup(func() { deletePrefix(t, newClient(t), prefix) })
	key, list := prefix+":{m}:key", prefix+":{m}:list"
	// An absent key is a nil reply, not a failure.
	require.True(t, rueidis.IsRedisNil(c.Do(ctx, c.B().Get().Key(key).Build()).Error()))
	require.NoError(t, c.Do(ctx, c.B().Set().Key(key).Value("v").Build()).Error())
	require.NoError(t, c.Do(ctx, c.B().Rpush().Key(list).Element("x").Build()).Error())
	// The first cached read goes to Redis; the second is answered by the
	// client-side cache and is not a command sent.
	for range 2 {
		require.NoError(t, c.DoCache(ctx, c.B().Get().Key(key).Cache(), time.Minute).Error())
	}
	// GET on a list is a WRONGTYPE error reply; an unknown script is
	// NOSCRIPT; a pipeline's commands count one each.
	require.Error(t, c.Do(ctx, c.B().Get().Key(list).Build()).Error())
	rs := c.DoMulti(ctx,
		c.B().Evalsha().Sha1("0000000000000000000000000000000000000000").Numkeys(1).Key(key).Build(),
		c.B().Pttl().Key(key).Build())
	require.Error(t, rs[0].Error())
	require.NoError(t, rs[1].Error())
	require.Error(t, c.Do(ctx, c.B().Eval().Script("return redis.call('NOSUCHCOMMAND')").Numkeys(0).Build()).Error())

	sent, failed = commandCounts(t, reg)
	require.Equal(t, map[string]float64{"get": 3, "pttl": 1, "evalsha": 1, "eval": 1, "spublish": 0, "other": 2}, sent)
	require.Equal(t, map[string]float64{"get": 1, "pttl": 0, "evalsha": 1, "eval": 1, "spublish": 0, "other": 0}, failed)
}

// The commands eligo sends (the read model's reads and writes, the repair
// mark, the fan-out's publish) each have a label of their own: none is
// "other".
func TestMeasuredClientLabelsEveryCommandEligoSends(t *testing.T) {
	t.Parallel()
	c, reg := measuredClient(t)
	ctx := context.Background()
	prefix := testPrefix()
	t.Cleanup(func() { deletePrefix(t, newClient(t), prefix) })
	m := newReadModel(t, c, redis.ReadModelConfig{Prefix: prefix})
	o := eligo.Order{ID: "ord-1", CustomerID: "cust-1", Version: 1, PromisedAt: time.Now().UTC()}
	_, err := m.Put(ctx, o)
	require.NoError(t, err)
	_, _, err = m.Get(ctx, o.ID)
	require.NoError(t, err)
	mark := redis.NewRepairMark(c, prefix)
	require.NoError(t, mark.Save(ctx, 7))
	_, err = mark.Load(ctx)
	require.NoError(t, err)
	f := newFanout(t, c, redis.FanoutConfig{Prefix: prefix})
	f.Publish(o.ID, 1)

	require.Eventually(t, func() bool {
		sent, _ := commandCounts(t, reg)
		return sent["spublish"] >= 1
	}, 5*time.Second, 10*time.Millisecond, "the fan-out's publish is measured")
	sent, failed := commandCounts(t, reg)
	require.GreaterOrEqual(t, sent["get"], 2.0, "the read model's and the mark's reads")
	require.GreaterOrEqual(t, sent["evalsha"], 2.0, "the Put script and the mark's")
	require.GreaterOrEqual(t, sent["pttl"], 1.0, "the Put's fence")
	require.Zero(t, sent["other"], "every command eligo sends has its label")
	// EVALSHA fails with NOSCRIPT the first time a server sees a script
	// (EVAL follows); nothing else may fail.
	require.Equal(t, sent["eval"], failed["evalsha"], "an EVAL follows each NOSCRIPT")
	for _, cmd := range []string{"get", "pttl", "eval", "spublish", "other"} {
		require.Zero(t, failed[cmd], "%s failed", cmd)
	}
}

// BenchmarkMeasuredCacheHit is the cost of Measured on the read path: a
// read answered by the client-side cache, bare and measured (the cost is
// taking the command's series and the clock before the call):
//
//	go test -run '^$' -bench BenchmarkMeasuredCacheHit -benchtime 200000x ./internal/redis/
func BenchmarkMeasuredCacheHit(b *testing.B) {
	bare := newClient(b)
	measured, err := redis.Measured(bare, prometheus.NewRegistry())
	require.NoError(b, err)
	ctx := context.Background()
	prefix := testPrefix()
	b.Cleanup(func() { deletePrefix(b, bare, prefix) })
	key := prefix + ":{b}:key"
	require.NoError(b, bare.Do(ctx, bare.B().Set().Key(key).Value("v").Build()).Error())
	for _, bc := range []struct {
		name string
		c    rueidis.Client
	}{{"bare", bare}, {"measured", measured}} {
		b.Run(bc.name, func(b *testing.B) {
			require.NoError(b, bc.c.DoCache(ctx, bc.c.B().Get().Key(key).Cache(), time.Minute).Error())
			b.ReportAllocs()
			for b.Loop() {
				if r := bc.c.DoCache(ctx, bc.c.B().Get().Key(key).Cache(), time.Minute); !r.IsCacheHit() {
					b.Fatal("not a cache hit")
				}
			}
		})
	}
}
