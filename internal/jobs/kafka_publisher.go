package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kgo"
)

// KafkaPublisher publishes payloads to a Kafka topic with franz-go's
// idempotent producer (acks from all in-sync replicas), keyed by order id so
// that one order's versions land in one partition, in the order published.
type KafkaPublisher struct {
	client *kgo.Client
	topic  string
}

// DefaultOutboundTopic is the topic of outbound events by default.
const DefaultOutboundTopic = "eligo.order-versions"

// NewKafkaPublisher connects a producer to the seed brokers. opts are added
// to the client's options (TLS, SASL, test settings).
func NewKafkaPublisher(brokers []string, topic string, opts ...kgo.Opt) (*KafkaPublisher, error) {
	if topic == "" {
		topic = DefaultOutboundTopic
	}
	all := append([]kgo.Opt{
		kgo.SeedBrokers(brokers...),
		kgo.DefaultProduceTopic(topic),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(0),
	}, opts...)
	c, err := kgo.NewClient(all...)
	if err != nil {
		return nil, fmt.Errorf("kafka publisher: %w", err)
	}
	return &KafkaPublisher{client: c, topic: topic}, nil
}

// Publish implements Publisher: it returns once the brokers acknowledged
// the record.
func (k *KafkaPublisher) Publish(ctx context.Context, p Payload) error {
	value, err := json.Marshal(p)
	if err != nil {
		return err
	}
	rec := &kgo.Record{
		Key:   []byte(p.OrderID),
		Value: value,
		Headers: []kgo.RecordHeader{
			{Key: "eligo-version-id", Value: []byte(strconv.FormatInt(p.VersionID, 10))},
			{Key: "eligo-event", Value: []byte(p.Event)},
		},
	}
	if err := k.client.ProduceSync(ctx, rec).FirstErr(); err != nil {
		return fmt.Errorf("kafka publisher: topic %s: %w", k.topic, err)
	}
	return nil
}

// Close flushes and closes the producer.
func (k *KafkaPublisher) Close() { k.client.Close() }
