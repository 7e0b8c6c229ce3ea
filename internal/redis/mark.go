package redis

import (
	"context"
	"fmt"
	"strconv"

	"github.com/redis/rueidis"
)

// RepairMark is an engine.RepairMark in Redis: the version id up to which
// every committed change has been checked against the read model, shared
// by the replicas on one prefix, under "<prefix>:{repair}:mark". The key
// has no expiry; with a maxmemory-policy of volatile-* (the order keys all
// expire) it is never evicted. Without it the repair starts at the first
// change, which costs time, not answers.
type RepairMark struct {
	client rueidis.Client
	key    string
}

// NewRepairMark returns the mark of the read models on prefix (empty
// means DefaultPrefix).
func NewRepairMark(client rueidis.Client, prefix string) *RepairMark {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &RepairMark{client: client, key: prefix + ":{repair}:mark"}
}

// Load returns the mark, or 0 when there is none.
func (m *RepairMark) Load(ctx context.Context) (int64, error) {
	v, err := m.client.Do(ctx, m.client.B().Get().Key(m.key).Build()).ToString()
	if rueidis.IsRedisNil(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("redis: reading the repair mark: %w", err)
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("redis: the repair mark %q is not a version id", v)
	}
	return id, nil
}

// markScript raises KEYS[1] to ARGV[1], never lowers it.
var markScript = rueidis.NewLuaScript(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tonumber(ARGV[1]) > cur then
  redis.call('SET', KEYS[1], ARGV[1])
end
return 1
`)

// Save raises the mark to id; a lower id leaves it.
func (m *RepairMark) Save(ctx context.Context, id int64) error {
	if err := markScript.Exec(ctx, m.client, []string{m.key}, []string{strconv.FormatInt(id, 10)}).Error(); err != nil {
		return fmt.Errorf("redis: saving the repair mark: %w", err)
	}
	return nil
}
