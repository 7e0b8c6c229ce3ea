package kafka

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Topic is a topic a command reads or writes, and what for ("fulfillment
// events, read").
type Topic struct {
	Name string
	Use  string
}

// CheckConfig configures Check.
type CheckConfig struct {
	Conn   ConnConfig
	Topics []Topic
	// Create creates the topics that are missing (with the brokers'
	// default partitions and replication) instead of failing.
	Create bool
	// Timeout bounds the check; default DefaultCheckTimeout.
	Timeout time.Duration
	Logger  *slog.Logger
}

// DefaultCheckTimeout bounds Check.
const DefaultCheckTimeout = 15 * time.Second

// ErrUnreachable is wrapped by Check's error when no broker answered: an
// outage, not a configuration error.
var ErrUnreachable = errors.New("no Kafka broker answered")

// Check connects once, within a bounded time, and checks that every topic
// exists, so that a configuration error stops a command at start instead
// of becoming a retry loop (franz-go retries authentication errors
// forever). It fails:
//
//   - on a SASL authentication failure (wrong user, password or mechanism),
//     a failed TLS handshake, or a broker that closes the connection
//     unanswered (TLS on one side only), naming the brokers and what failed;
//   - on a missing topic, naming it and the command that creates it,
//     unless Create is set, when it creates it;
//   - with an error wrapping ErrUnreachable when no broker could be
//     reached (refused, timed out, unknown host): the caller decides.
func Check(ctx context.Context, cfg CheckConfig) error {
	opts, err := cfg.Conn.Opts()
	if err != nil {
		return err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultCheckTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	watch := &saslWatch{}
	cl, err := kgo.NewClient(append(opts, kgo.WithLogger(slogLogger{cfg.Logger}), kgo.WithHooks(watch))...)
	if err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	defer cl.Close()
	brokers := strings.Join(cfg.Conn.Brokers, ",")
	if err := cl.Ping(ctx); err != nil {
		if watch.rejected.Load() {
			err = fmt.Errorf("%w (the broker closed the connection on the authentication)", kerr.SaslAuthenticationFailed)
		}
		return connError(cfg.Conn, brokers, err)
	}
	return checkTopics(ctx, kadm.NewClient(cl), cfg, brokers)
}

// saslWatch notes a SASLAuthenticate request whose answer never came: a
// broker that closes the connection on bad credentials instead of
// answering SASL_AUTHENTICATION_FAILED (as kfake does).
type saslWatch struct{ rejected atomic.Bool }

func (w *saslWatch) OnBrokerE2E(_ kgo.BrokerMetadata, key int16, e2e kgo.BrokerE2E) {
	if key == (&kmsg.SASLAuthenticateRequest{}).Key() && e2e.ReadErr != nil {
		w.rejected.Store(true)
	}
}

// connError says what a failed first request means.
func connError(c ConnConfig, brokers string, err error) error {
	var (
		verify *tls.CertificateVerificationError
		header tls.RecordHeaderError
		unkCA  x509.UnknownAuthorityError
		host   x509.HostnameError
		op     *net.OpError
	)
	switch {
	case errors.Is(err, kerr.SaslAuthenticationFailed):
		return fmt.Errorf("kafka: SASL %s authentication as %q failed at brokers %s: %v; check ELIGO_KAFKA_SASL_USER, ELIGO_KAFKA_SASL_PASSWORD and ELIGO_KAFKA_SASL_MECHANISM",
			c.SASLMechanism, c.SASLUser, brokers, err)
	case errors.Is(err, kerr.UnsupportedSaslMechanism), errors.Is(err, kerr.IllegalSaslState):
		return fmt.Errorf("kafka: brokers %s refused SASL %s: %v; set ELIGO_KAFKA_SASL_MECHANISM to one the brokers enable",
			brokers, c.SASLMechanism, err)
	case errors.As(err, &verify), errors.As(err, &unkCA), errors.As(err, &host),
		c.TLSOn() && errors.As(err, &op) && op.Op == "remote error": // a TLS alert: the broker refused our certificate
		return fmt.Errorf("kafka: the TLS handshake with brokers %s failed: %v; check ELIGO_KAFKA_CA_FILE, ELIGO_KAFKA_SERVER_NAME, ELIGO_KAFKA_CERT_FILE and ELIGO_KAFKA_KEY_FILE", brokers, err)
	case errors.As(err, &header):
		return fmt.Errorf("kafka: brokers %s do not speak TLS: %v; unset ELIGO_KAFKA_TLS or use the brokers' TLS port", brokers, err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		// The broker took the connection and closed it unanswered: it
		// speaks TLS and we do not, or the other way round.
		fix := "if they use TLS, set ELIGO_KAFKA_TLS=true"
		if c.TLSOn() {
			fix = "if this port of theirs is not TLS, unset ELIGO_KAFKA_TLS"
		}
		return fmt.Errorf("kafka: brokers %s closed the connection without answering (%s): %s", brokers, c.Describe(), fix)
	}
	hint := " (if the brokers use TLS, set ELIGO_KAFKA_TLS=true)"
	if c.TLSOn() {
		hint = " (if this port of the brokers does not use TLS, unset ELIGO_KAFKA_TLS)"
	}
	return fmt.Errorf("kafka: %w at %s (%s): %v%s", ErrUnreachable, brokers, c.Describe(), err, hint)
}

// checkTopics fails on a topic that is missing or that the user may not
// describe, or creates the missing ones when cfg.Create is set.
func checkTopics(ctx context.Context, adm *kadm.Client, cfg CheckConfig, brokers string) error {
	names := make([]string, len(cfg.Topics))
	for i, t := range cfg.Topics {
		names[i] = t.Name
	}
	details, err := adm.ListTopics(ctx, names...)
	if err != nil {
		return fmt.Errorf("kafka: listing topics at brokers %s: %w", brokers, err)
	}
	var missing []Topic
	for _, t := range cfg.Topics {
		d, ok := details[t.Name]
		switch {
		case !ok || errors.Is(d.Err, kerr.UnknownTopicOrPartition):
			missing = append(missing, t)
		case errors.Is(d.Err, kerr.TopicAuthorizationFailed):
			return fmt.Errorf("kafka: user %q may not describe topic %s (%s) at brokers %s: grant it DESCRIBE, READ and WRITE on the topic", cfg.Conn.SASLUser, t.Name, t.Use, brokers)
		case d.Err != nil:
			return fmt.Errorf("kafka: topic %s (%s) at brokers %s: %w", t.Name, t.Use, brokers, d.Err)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if !cfg.Create {
		return missingTopicsError(missing, brokers)
	}
	for _, t := range missing {
		resp, err := adm.CreateTopic(ctx, -1, -1, nil, t.Name)
		if err == nil && resp.Err != nil && !errors.Is(resp.Err, kerr.TopicAlreadyExists) {
			err = resp.Err
		}
		if err != nil {
			return fmt.Errorf("kafka: creating topic %s (%s) at brokers %s: %w", t.Name, t.Use, brokers, err)
		}
		cfg.Logger.Info("kafka: created topic (--kafka-create-topics)", "topic", t.Name, "use", t.Use, "partitions", resp.NumPartitions)
	}
	return nil
}

func missingTopicsError(missing []Topic, brokers string) error {
	var b strings.Builder
	for i, t := range missing {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "topic %s (%s) does not exist: create it with `kafka-topics.sh --bootstrap-server %s --create --topic %s --partitions 6`", t.Name, t.Use, brokers, t.Name)
	}
	b.WriteString(", or start with --kafka-create-topics (ELIGO_KAFKA_CREATE_TOPICS=true)")
	return fmt.Errorf("kafka: %s", b.String())
}
