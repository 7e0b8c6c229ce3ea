package main

import (
	"context"
	"errors"

	"github.com/eligo/eligo/internal/jobs"
	"github.com/eligo/eligo/internal/kafka"
)

// kafkaConnConfig is how serve and worker connect to Kafka, beyond the
// brokers: TLS, SASL, and whether missing topics are created at start.
type kafkaConnConfig struct {
	TLS           bool
	CAFile        string
	CertFile      string
	KeyFile       string
	ServerName    string
	SASLMechanism string
	SASLUser      string
	SASLPassword  string
	CreateTopics  bool
}

// flags declares the Kafka connection flags into c.
func (c *kafkaConnConfig) flags(f *flagSet) {
	f.Bool(&c.TLS, "kafka-tls", false, "connect to the Kafka brokers over TLS (MSK, Confluent Cloud, Aiven); --kafka-ca-file, --kafka-cert-file, --kafka-key-file and --kafka-server-name imply it")
	f.String(&c.CAFile, "kafka-ca-file", "", "PEM file of the CAs that sign the brokers' certificates; empty means the system's roots")
	f.String(&c.CertFile, "kafka-cert-file", "", "PEM client certificate for mutual TLS, with --kafka-key-file")
	f.String(&c.KeyFile, "kafka-key-file", "", "PEM key of --kafka-cert-file")
	f.String(&c.ServerName, "kafka-server-name", "", "name the brokers' certificates must carry; empty means each broker's host name")
	f.Enum(&c.SASLMechanism, "kafka-sasl-mechanism", "", kafka.SASLMechanisms, "SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; empty means no SASL")
	f.String(&c.SASLUser, "kafka-sasl-user", "", "SASL user name (with --kafka-sasl-mechanism)")
	f.String(&c.SASLPassword, "kafka-sasl-password", "", "SASL password; prefer the variable, a command line is visible to every user of the machine")
	f.Bool(&c.CreateTopics, "kafka-create-topics", false, "create the Kafka topics this command reads or writes when they are missing (brokers' default partitions and replication), instead of refusing to start")
}

// conn returns the connection to brokers.
func (c *kafkaConnConfig) conn(brokers []string) kafka.ConnConfig {
	return kafka.ConnConfig{
		Brokers: brokers, TLS: c.TLS, CAFile: c.CAFile, CertFile: c.CertFile, KeyFile: c.KeyFile, ServerName: c.ServerName,
		SASLMechanism: c.SASLMechanism, SASLUser: c.SASLUser, SASLPassword: c.SASLPassword,
	}
}

// kafkaTopics are the topics a command reads or writes: serve (withIngest)
// reads the events topic and writes its dead letters; a process that works
// jobs writes the outbound topic.
func kafkaTopics(cfg serverConfig, withIngest bool) []kafka.Topic {
	var ts []kafka.Topic
	if withIngest {
		topic := cfg.Backends.KafkaTopic
		if topic == "" {
			topic = kafka.DefaultTopic
		}
		ts = append(ts,
			kafka.Topic{Name: topic, Use: "fulfillment events, read by serve"},
			kafka.Topic{Name: topic + kafka.DeadLetterSuffix, Use: "dead letters, written by serve"})
	}
	if cfg.Jobs.Workers {
		topic := cfg.Jobs.OutboundTopic
		if topic == "" {
			topic = jobs.DefaultOutboundTopic
		}
		ts = append(ts, kafka.Topic{Name: topic, Use: "outbound version events, written by the job workers"})
	}
	return ts
}

// checkKafka connects to the brokers once at start, when some are
// configured: a wrong password, a failed TLS handshake or a missing topic
// stops the command here with a message saying what to fix. Brokers that
// do not answer are an outage, not a mistake: the command starts, logs it,
// and its clients retry.
func checkKafka(ctx context.Context, cfg serverConfig, withIngest bool) error {
	bs := cfg.Backends.brokers()
	if len(bs) == 0 {
		return nil
	}
	conn := cfg.Backends.Kafka.conn(bs)
	topics := kafkaTopics(cfg, withIngest)
	err := kafka.Check(ctx, kafka.CheckConfig{Conn: conn, Topics: topics, Create: cfg.Backends.Kafka.CreateTopics, Logger: cfg.Logger})
	if errors.Is(err, kafka.ErrUnreachable) {
		cfg.Logger.Warn("kafka: the brokers did not answer at start; the topics are not checked, and the clients keep retrying", "err", err)
		return nil
	}
	if err != nil {
		return err
	}
	names := make([]string, len(topics))
	for i, t := range topics {
		names[i] = t.Name
	}
	cfg.Logger.Info("kafka: connected", "connection", conn.Describe(), "topics", names)
	return nil
}
