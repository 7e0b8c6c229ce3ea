package jobs_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eligo/eligo/internal/jobs"
	"github.com/eligo/eligo/internal/kafka"
)

// TestKafkaPublisherPartitionsLikeJava pins the partition of an outbound
// record: murmur2 of its key (the order id), as Kafka's Java client places
// it, which docs/production.md tells other producers of one order's
// records to match (librdkafka's default, CRC32, places "k-2" elsewhere).
func TestKafkaPublisherPartitionsLikeJava(t *testing.T) {
	t.Parallel()
	// Vectors of Kafka's own UtilsTest.testMurmur2: the hash below is the
	// Java client's.
	for key, want := range map[string]int32{
		"21": -973932308, "foobar": -790332482, "a-little-bit-long-string": -985981536,
		"a-little-bit-longer-string": -1486304829, "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971, "abc": 479470107,
	} {
		require.Equal(t, want, int32(murmur2([]byte(key))), "murmur2(%q)", key)
	}

	const topic, partitions = "eligo.order-versions", 6
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topic))
	require.NoError(t, err)
	t.Cleanup(cluster.Close)
	kp, err := jobs.NewKafkaPublisher(kafka.ConnConfig{Brokers: cluster.ListenAddrs()}, topic)
	require.NoError(t, err)
	t.Cleanup(kp.Close)
	want := map[string]int32{}
	for i := range 20 {
		key := fmt.Sprintf("k-%d", i)
		require.NoError(t, kp.Publish(t.Context(), jobs.Payload{VersionID: int64(i + 1), OrderID: key, Event: "create", Version: 1}))
		want[key] = int32(murmur2([]byte(key))&0x7fffffff) % partitions
	}

	consumer, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	t.Cleanup(consumer.Close)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	got := map[string]int32{}
	for len(got) < len(want) {
		fs := consumer.PollFetches(ctx)
		require.NoError(t, ctx.Err())
		fs.EachRecord(func(r *kgo.Record) { got[string(r.Key)] = r.Partition })
	}
	require.Equal(t, want, got)
}

// murmur2 is Kafka's Utils.murmur2, written from its definition.
func murmur2(data []byte) uint32 {
	const seed, m, r = uint32(0x9747b28c), uint32(0x5bd1e995), 24
	h := seed ^ uint32(len(data))
	for len(data) >= 4 {
		k := binary.LittleEndian.Uint32(data)
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
		data = data[4:]
	}
	switch len(data) {
	case 3:
		h ^= uint32(data[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(data[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(data[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return h
}
