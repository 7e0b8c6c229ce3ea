package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eligo/eligo/internal/kafka"
	"github.com/eligo/eligo/internal/tracing"
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

// NewKafkaPublisher makes a producer on the connection conn (brokers, TLS,
// SASL), the one the consumer uses. opts are added to the client's options
// (test settings). It does not connect: kafka.Check does, at start.
//
// Records are placed by franz-go's default partitioner, murmur2 of the key
// (the order id) as in the Java client: docs/production.md says what other
// producers must set to match.
func NewKafkaPublisher(conn kafka.ConnConfig, topic string, opts ...kgo.Opt) (*KafkaPublisher, error) {
	if topic == "" {
		topic = DefaultOutboundTopic
	}
	connOpts, err := conn.Opts()
	if err != nil {
		return nil, err
	}
	all := append(connOpts,
		kgo.DefaultProduceTopic(topic),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(0))
	all = append(all, opts...)
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
	tracing.Inject(ctx, kafka.HeaderCarrier{Record: rec}) // the job's span: a traceparent when tracing is on
	if err := k.client.ProduceSync(ctx, rec).FirstErr(); err != nil {
		return fmt.Errorf("kafka publisher: topic %s: %w", k.topic, err)
	}
	return nil
}

// Close flushes and closes the producer.
func (k *KafkaPublisher) Close() { k.client.Close() }
