package redis

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/rueidis"

	"github.com/eligo/eligo"
)

// Defaults of the zero ReadModelConfig fields.
const (
	DefaultPrefix   = "eligo"
	DefaultCacheTTL = 10 * time.Minute
)

// ReadModelConfig configures a ReadModel.
type ReadModelConfig struct {
	// Prefix starts every key; replicas that share a read model share it.
	// Empty means DefaultPrefix.
	Prefix string
	// CacheTTL bounds how long a snapshot stays in the client-side cache
	// without being read from Redis again. Invalidation, not this TTL,
	// keeps the cache right; the TTL only bounds what a lost invalidation
	// could cost. Zero means DefaultCacheTTL.
	CacheTTL time.Duration
	// Grace is how long a terminal order stays in Redis after it ended
	// (eligo.Order.HotUntil): its key expires then, and a later read is
	// answered by the store. The key of an order that is not terminal
	// never expires. Zero means eligo.DefaultHotGrace.
	Grace time.Duration
	// Now is the clock that the expiry of a terminal order's key is
	// counted from; nil means time.Now.
	Now func() time.Time
	// Registerer gets the read model's metrics; nil keeps them unregistered.
	Registerer prometheus.Registerer
	// Logger gets the start and the end of each Redis outage (see
	// Degraded); nil discards.
	Logger *slog.Logger
}

// ReadModel is an eligo.ReadModel in Redis: one key per order holding its
// snapshot and version, written only forward by a Lua script and read
// through rueidis's server-assisted client-side cache, so that a hot order
// is answered from this process's memory without a round trip. A miss
// means "ask the store", never "no such order". It holds the hot set: the
// key of a live order never expires, that of a terminal one at the end of
// its grace period. It is safe for concurrent use.
type ReadModel struct {
	client   rueidis.Client
	prefix   string
	cacheTTL time.Duration
	grace    time.Duration
	now      func() time.Time
	metrics  *readMetrics
	retries  *retries
	health   *health
}

// NewReadModel returns a read model on client, which NewClient made, and
// starts the goroutine that retries failed Puts, which Close stops. It
// fails when its metrics cannot be registered with cfg.Registerer.
func NewReadModel(client rueidis.Client, cfg *ReadModelConfig) (*ReadModel, error) {
	m := &ReadModel{client: client, prefix: cfg.Prefix, cacheTTL: cfg.CacheTTL, grace: cfg.Grace, now: cfg.Now}
	if m.prefix == "" {
		m.prefix = DefaultPrefix
	}
	if m.cacheTTL <= 0 {
		m.cacheTTL = DefaultCacheTTL
	}
	if m.grace <= 0 {
		m.grace = eligo.DefaultHotGrace
	}
	if m.now == nil {
		m.now = time.Now
	}
	var err error
	if m.metrics, err = newReadMetrics(cfg.Registerer); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if m.health, err = newHealth(log, cfg.Registerer); err != nil {
		return nil, err
	}
	if lc, ok := client.(*lazyClient); ok && !lc.connected() {
		m.health.failed(opConnect, fmt.Errorf("redis: not connected yet"))
		lc.notify(func() { m.health.ok(m.health.begin()) }) // connected
	}
	m.retries = newRetries(m)
	return m, nil
}

// Degraded returns "" while Redis answers, and otherwise says since when it
// does not: reads then go to the store, and the replica stays ready.
func (m *ReadModel) Degraded() string { return m.health.degraded() }

// Close stops retrying failed Puts. The client stays open.
func (m *ReadModel) Close() error {
	m.retries.close()
	return nil
}

// OrderKey returns the key of an order's snapshot. The order id is the
// key's hash tag, so that every key of one order lives in the same slot of
// a Redis Cluster.
func OrderKey(prefix, orderID string) string {
	return prefix + ":{" + orderID + "}:order"
}

func (m *ReadModel) key(id string) string { return OrderKey(m.prefix, id) }

// Get returns the snapshot of an order, from the client-side cache when it
// holds the key (a local read) and from Redis otherwise, which then tracks
// the key for this connection: any later change of the key, a FLUSHALL or
// a lost connection invalidates the cached copy. ok is false when Redis
// does not hold the order, which says nothing about whether it exists; a
// miss is always Redis's own answer, never a cached one.
func (m *ReadModel) Get(ctx context.Context, id string) (eligo.Order, bool, error) {
	began := m.health.begin()
	r := m.client.DoCache(ctx, m.client.B().Get().Key(m.key(id)).Cache(), m.cacheTTL)
	v, err := r.ToString()
	if rueidis.IsRedisNil(err) && r.IsCacheHit() {
		// A cached miss can be older than an order another replica just
		// created (its invalidation may still be on its way): ask Redis
		// itself, so that a created order is found everywhere at once. An
		// unknown id costs a Redis round trip, and with the engine's
		// negative cache no store read.
		r = m.client.Do(ctx, m.client.B().Get().Key(m.key(id)).Build())
		v, err = r.ToString()
	}
	if rueidis.IsRedisNil(err) {
		m.health.ok(began)
		m.metrics.absent.Inc()
		return eligo.Order{}, false, nil
	}
	if err != nil {
		m.health.failed(opRead, err)
		m.metrics.getErrors.Inc()
		return eligo.Order{}, false, fmt.Errorf("redis: reading order %q: %w", id, err)
	}
	if r.IsCacheHit() {
		// Answered from this process's memory: it says nothing about
		// whether Redis answers (a copy can outlive a killed server for a
		// moment), so it neither starts nor ends an outage.
		m.metrics.cacheHits.Inc()
	} else {
		m.health.ok(began)
		m.metrics.fetched.Inc()
	}
	return m.decode(id, v)
}

func (m *ReadModel) decode(id, v string) (eligo.Order, bool, error) {
	o, err := decodeSnapshot(v)
	if err == nil && o.ID != id {
		err = fmt.Errorf("redis: the key of order %q holds order %q", id, o.ID)
	}
	if err != nil {
		m.metrics.getErrors.Inc()
		return eligo.Order{}, false, err
	}
	return o, true, nil
}

// putScript stores ARGV[2] (the encoded snapshot, version first) under
// KEYS[1], unless the key holds the same or a later version than ARGV[1].
// ARGV[3] is the key's expiry in milliseconds (see keyTTL): 0 for none, and
// below 0 for an order out of the hot set, which is not stored and whose
// older snapshot is deleted. It returns 1 when it stored, 2 when the order
// was out of the hot set, 0 when the key held the same or a later version. The
// comparison and the write are one atomic step in Redis, so concurrent
// Puts from any number of replicas keep the newest version.
const putScript = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local v = tonumber(string.match(cur, '^(%d+):'))
  if v and v >= tonumber(ARGV[1]) then
    return 0
  end
end
local ttl = tonumber(ARGV[3])
if ttl < 0 then
  redis.call('DEL', KEYS[1])
  return 2
elseif ttl == 0 then
  redis.call('SET', KEYS[1], ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 1
`

var (
	putLua  = rueidis.NewLuaScript(putScript)
	putSHA1 = func() string { s := sha1.Sum([]byte(putScript)); return hex.EncodeToString(s[:]) }()
)

// putBuffers pools the encoding buffers of Put.
var putBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 128); return &b }}

// Put stores o unless Redis holds the same or a later version of it, and
// reports whether it stored.
//
// It also makes this process read its own write: a Get that follows Put
// never returns the older snapshot from the client-side cache. Redis sends
// the invalidation of a key to the connection that changed it after the
// command's reply, so Put pipelines a PTTL of the same key behind the
// script, on the same connection, and returns once that is answered: by
// then the invalidation has been read and the cached copy dropped. Other
// replicas learn of the change when their invalidation arrives, in about a
// network round trip.
//
// A Put that fails (Redis away, a connection cut) is retried in the
// background until it succeeds, or is overtaken by a newer version, so that
// Redis does not go on answering the older version it holds.
func (m *ReadModel) Put(ctx context.Context, o eligo.Order) (bool, error) {
	if err := checkEncodable(&o); err != nil {
		return false, err
	}
	stored, err := m.put(ctx, &o)
	if err != nil {
		m.retries.add(o)
	}
	return stored, err
}

func (m *ReadModel) put(ctx context.Context, o *eligo.Order) (bool, error) {
	key := m.key(o.ID)
	bp := putBuffers.Get().(*[]byte)
	*bp = appendSnapshot((*bp)[:0], o)
	val := string(*bp)
	putBuffers.Put(bp)
	version := strconv.FormatInt(o.Version, 10)
	ttl := m.keyTTL(o)

	began := m.health.begin()
	rs := m.client.DoMulti(ctx,
		m.client.B().Evalsha().Sha1(putSHA1).Numkeys(1).Key(key).Arg(version, val, ttl).Build(),
		m.client.B().Pttl().Key(key).Build())
	stored, err := rs[0].AsInt64()
	if rerr, ok := rueidis.IsRedisErr(err); ok && rerr.IsNoScript() {
		// The script cache is empty: a new or restarted server, or SCRIPT
		// FLUSH. Exec sends the script itself, then the fence follows.
		stored, err = putLua.Exec(ctx, m.client, []string{key}, []string{version, val, ttl}).AsInt64()
		if err == nil {
			err = m.client.Do(ctx, m.client.B().Pttl().Key(key).Build()).Error()
		}
	}
	if err != nil {
		m.health.failed(opWrite, err)
		m.metrics.putErrors.Inc()
		return false, fmt.Errorf("redis: storing order %q version %d: %w", o.ID, o.Version, err)
	}
	m.health.ok(began)
	switch stored {
	case 1:
		m.metrics.stored.Inc()
		return true, nil
	case 2:
		m.metrics.cold.Inc()
		return false, nil
	}
	m.metrics.stale.Inc()
	return false, nil
}

// keyTTL returns the expiry of o's key in milliseconds, as the Put script
// takes it: "0" (none) while o is live, the rest of its grace period once
// it is terminal, and "-1" once that is over (o is out of the hot set).
func (m *ReadModel) keyTTL(o *eligo.Order) string {
	until, ends := o.HotUntil(m.grace)
	if !ends {
		return "0"
	}
	ms := until.Sub(m.now()).Milliseconds()
	if ms < 1 {
		return "-1"
	}
	return strconv.FormatInt(ms, 10)
}

// Fresh returns a view of the model for the live hub. Its Get reads Redis
// itself, never the client-side cache, and on a miss reads the store and
// puts what it found; its Put is the model's.
//
// The hub reads a snapshot when a notice from another replica says an order
// moved on. The notice and the invalidation of the cached copy come over
// different connections, so the notice can win the race, and after a
// FLUSHALL the order is only in the store: a cached read could then miss a
// push that nothing would repeat.
func (m *ReadModel) Fresh(store eligo.OrderStore) eligo.ReadModel {
	return &freshModel{m: m, store: store}
}

type freshModel struct {
	m     *ReadModel
	store eligo.OrderStore
}

func (f *freshModel) Get(ctx context.Context, id string) (eligo.Order, bool, error) {
	v, err := f.m.client.Do(ctx, f.m.client.B().Get().Key(f.m.key(id)).Build()).ToString()
	if err == nil {
		return f.m.decode(id, v)
	}
	if !rueidis.IsRedisNil(err) {
		return eligo.Order{}, false, fmt.Errorf("redis: reading order %q: %w", id, err)
	}
	o, err := f.store.FindOrder(ctx, id)
	if eligo.ErrorCode(err) == eligo.ENOTFOUND {
		return eligo.Order{}, false, nil
	} else if err != nil {
		return eligo.Order{}, false, err
	}
	// A failed Put leaves Redis to the next reader; the answer is right.
	_, _ = f.m.Put(ctx, o)
	return o, true, nil
}

func (f *freshModel) Put(ctx context.Context, o eligo.Order) (bool, error) { return f.m.Put(ctx, o) }
