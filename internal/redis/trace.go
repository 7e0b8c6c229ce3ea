package redis

import (
	"context"
	"time"

	"github.com/redis/rueidis"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/eligo/eligo/internal/tracing"
)

// Traced wraps c so that every command that leaves the process (Do,
// DoMulti, and DoCache or DoMultiCache when client-side caching did not
// answer) is a span "redis <COMMAND>" under the caller's. Wrap only when
// tracing is on: off, the client is used as it is and pays nothing.
// Commands sent otherwise (pub/sub receive, dedicated connections) are not
// traced.
func Traced(c rueidis.Client) rueidis.Client { return tracedClient{c} }

type tracedClient struct{ rueidis.Client }

func (c tracedClient) Do(ctx context.Context, cmd rueidis.Completed) rueidis.RedisResult {
	name := commandName(cmd.Commands()) // before: the command is recycled once sent
	ctx, span := startRedis(ctx, name, 1, time.Time{})
	r := c.Client.Do(ctx, cmd)
	endRedis(span, r.Error())
	return r
}

func (c tracedClient) DoMulti(ctx context.Context, cmds ...rueidis.Completed) []rueidis.RedisResult {
	name := "pipeline"
	if len(cmds) > 0 {
		name = commandName(cmds[0].Commands())
	}
	ctx, span := startRedis(ctx, name, len(cmds), time.Time{})
	rs := c.Client.DoMulti(ctx, cmds...)
	endRedis(span, firstError(rs))
	return rs
}

func (c tracedClient) DoCache(ctx context.Context, cmd rueidis.Cacheable, ttl time.Duration) rueidis.RedisResult {
	name, start := commandName(cmd.Commands()), time.Now() // the command is recycled once sent
	r := c.Client.DoCache(ctx, cmd, ttl)
	if !r.IsCacheHit() { // it went to the server: a span from start
		_, span := startRedis(ctx, name, 1, start)
		endRedis(span, r.Error())
	}
	return r
}

func (c tracedClient) DoMultiCache(ctx context.Context, cmds ...rueidis.CacheableTTL) []rueidis.RedisResult {
	name, start := "pipeline", time.Now()
	if len(cmds) > 0 {
		name = commandName(cmds[0].Cmd.Commands()) // the commands are recycled once sent
	}
	rs := c.Client.DoMultiCache(ctx, cmds...)
	sent := 0
	for _, r := range rs {
		if !r.IsCacheHit() {
			sent++
		}
	}
	if sent > 0 {
		_, span := startRedis(ctx, name, sent, start)
		endRedis(span, firstError(rs))
	}
	return rs
}

func startRedis(ctx context.Context, command string, n int, start time.Time) (context.Context, trace.Span) {
	opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system.name", "redis"), attribute.String("db.operation.name", command), attribute.Int("db.operation.batch.size", n))}
	if !start.IsZero() {
		opts = append(opts, trace.WithTimestamp(start))
	}
	return tracing.Tracer().Start(ctx, "redis "+command, opts...)
}

func endRedis(span trace.Span, err error) {
	if err != nil && !rueidis.IsRedisNil(err) {
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

func firstError(rs []rueidis.RedisResult) error {
	for _, r := range rs {
		if err := r.Error(); err != nil && !rueidis.IsRedisNil(err) {
			return err
		}
	}
	return nil
}

// commandName is the command of args, without its keys and values.
func commandName(args []string) string {
	if len(args) == 0 {
		return "command"
	}
	return args[0]
}
