package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/eligo/eligo/internal/jobs"
	"github.com/eligo/eligo/internal/kafka"
)

const devUsage = `eligo dev: tools for development on one machine. Never use them in production.

Usage:
  eligo dev kafka   run an in-memory Kafka (franz-go's kfake) for local runs and tests
`

// runDev runs a development tool.
func runDev(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, devUsage)
		return &usageError{err: errors.New("no dev tool given")}
	}
	switch args[0] {
	case "kafka":
		return runDevKafka(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, devUsage)
		return nil
	}
	fmt.Fprint(stderr, devUsage)
	return &usageError{err: fmt.Errorf("unknown dev tool %q", args[0])}
}

// runDevKafka runs a one-broker kfake cluster until ctx ends, with the
// three topics eligo uses created: the events topic, its dead-letter topic
// and the outbound topic. It keeps everything in
// memory: the records are gone when it stops.
func runDevKafka(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var dc devKafkaConfig
	f := newFlagSet("dev kafka")
	dc.flags(f)
	if err := f.parse(args, getenv, stdout, devKafkaAbout); err != nil {
		return err
	}
	addr, topic, partitions := &dc.Addr, &dc.Topic, &dc.Partitions
	host, portText, err := net.SplitHostPort(*addr)
	if err != nil {
		return fmt.Errorf("--addr %q: expected host:port", *addr)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 0 || port > 65535 {
		return fmt.Errorf("--addr %q: the port must be a number from 0 to 65535", *addr)
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(port),
		// kfake listens on 127.0.0.1; this puts it on the host asked for.
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			return net.Listen(network, net.JoinHostPort(host, portText))
		}),
		kfake.SeedTopics(int32(*partitions), *topic, *topic+kafka.DeadLetterSuffix, dc.OutboundTopic),
		kfake.AllowAutoTopicCreation(),
	}
	if (dc.SASLUser == "") != (dc.SASLPassword == "") {
		return &usageError{"dev kafka", errors.New("--sasl-user and --sasl-password go together")}
	}
	if dc.SASLUser != "" {
		opts = append(opts, kfake.EnableSASL())
		for _, m := range kafka.SASLMechanisms {
			opts = append(opts, kfake.Superuser(m, dc.SASLUser, dc.SASLPassword))
		}
	}
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		return fmt.Errorf("dev kafka: %w", err)
	}
	defer cluster.Close()
	brokers := cluster.ListenAddrs()[0]
	fmt.Fprintf(stdout, "DEVELOPMENT TOOL: in-memory Kafka (kfake) on %s; not for production, records vanish when it stops.\n", brokers)
	fmt.Fprintf(stdout, "Topics: %s, %s and %s (%d partitions each).\n", *topic, *topic+kafka.DeadLetterSuffix, dc.OutboundTopic, *partitions)
	if dc.SASLUser != "" {
		fmt.Fprintf(stdout, "SASL: PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512, user %q.\n", dc.SASLUser)
		fmt.Fprintf(stdout, "Point eligo at it: ELIGO_KAFKA_BROKERS=%s ELIGO_KAFKA_SASL_MECHANISM=SCRAM-SHA-512 ELIGO_KAFKA_SASL_USER=%s ELIGO_KAFKA_SASL_PASSWORD=... eligo serve\n", brokers, dc.SASLUser)
	} else {
		fmt.Fprintf(stdout, "Point eligo at it: ELIGO_KAFKA_BROKERS=%s eligo serve\n", brokers)
	}
	<-ctx.Done()
	fmt.Fprintln(stdout, "DEVELOPMENT TOOL: in-memory Kafka stopped.")
	return nil
}

// devKafkaAbout is the help of `eligo dev kafka`.
const devKafkaAbout = `DEVELOPMENT TOOL. An in-memory, single-broker Kafka (franz-go's kfake) for
local runs: no durability, no replication, no TLS (SASL only with
--sasl-user, to try eligo's settings). Never point production at it.`

// devKafkaConfig is the configuration of `eligo dev kafka`.
type devKafkaConfig struct {
	Addr          string
	Topic         string
	OutboundTopic string
	Partitions    int
	SASLUser      string
	SASLPassword  string
}

// flags declares the flags of `eligo dev kafka` into c.
func (c *devKafkaConfig) flags(f *flagSet) {
	d := f.scoped("ELIGO_DEV_KAFKA_")
	d.String(&c.Addr, "addr", "127.0.0.1:9092", "address to listen on (host:port)")
	f.String(&c.Topic, "topic", kafka.DefaultTopic, "events topic to create, with TOPIC"+kafka.DeadLetterSuffix)
	f.envName("topic", "ELIGO_KAFKA_TOPIC")
	f.String(&c.OutboundTopic, "kafka-outbound-topic", jobs.DefaultOutboundTopic, "outbound topic to create (serve's and worker's --kafka-outbound-topic)")
	d.Count(&c.Partitions, "partitions", 6, 1, "partitions of each topic")
	d.String(&c.SASLUser, "sasl-user", "", "require SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) as this user, to try eligo's --kafka-sasl-* settings; empty means no SASL")
	d.String(&c.SASLPassword, "sasl-password", "", "password of --sasl-user")
}
