package kafka_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/kafka"
	"github.com/eligo/eligo/internal/kafka/kafkatest"
	"github.com/eligo/eligo/internal/testenv/stack"
)

// TestConsumeOverTLSAndSASL consumes and dead-letters on brokers that
// take SASL (each mechanism), TLS with a CA made here, and both with a
// client certificate: the consumer and its dead-letter producer connect
// the way ConnConfig says.
func TestConsumeOverTLSAndSASL(t *testing.T) {
	t.Parallel()
	certs := kafkatest.NewCerts(t, true)
	for _, tt := range []struct {
		name    string
		cluster []kfake.Opt
		conn    func(brokers []string) kafka.ConnConfig
	}{
		{"SASL-PLAIN", []kfake.Opt{kfake.EnableSASL(), kfake.Superuser(kafka.SASLPlain, "eligo", "pw")},
			func(b []string) kafka.ConnConfig {
				return kafka.ConnConfig{Brokers: b, SASLMechanism: kafka.SASLPlain, SASLUser: "eligo", SASLPassword: "pw"}
			}},
		{"SASL-SCRAM-SHA-256", []kfake.Opt{kfake.EnableSASL(), kfake.Superuser(kafka.SASLSCRAMSHA256, "eligo", "pw")},
			func(b []string) kafka.ConnConfig {
				return kafka.ConnConfig{Brokers: b, SASLMechanism: kafka.SASLSCRAMSHA256, SASLUser: "eligo", SASLPassword: "pw"}
			}},
		{"MutualTLS", []kfake.Opt{kfake.TLS(certs.Server)},
			func(b []string) kafka.ConnConfig {
				return kafka.ConnConfig{Brokers: b, CAFile: certs.CAFile, CertFile: certs.CertFile, KeyFile: certs.KeyFile}
			}},
		{"MutualTLS-SCRAM-SHA-512", []kfake.Opt{kfake.TLS(certs.Server), kfake.EnableSASL(), kfake.Superuser(kafka.SASLSCRAMSHA512, "eligo", "pw")},
			func(b []string) kafka.ConnConfig {
				return kafka.ConnConfig{Brokers: b, TLS: true, CAFile: certs.CAFile, CertFile: certs.CertFile, KeyFile: certs.KeyFile,
					ServerName: "localhost", SASLMechanism: kafka.SASLSCRAMSHA512, SASLUser: "eligo", SASLPassword: "pw"}
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupSecure(t, stack.SQLite, 2, tt.conn, tt.cluster...)
			b.createOrders(t, 1)
			b.produce(t,
				driverRecord("e-1", orderID(0), eligo.DriverArrivedAtDoorstep),
				&kgo.Record{Topic: topic, Key: []byte(orderID(0)), Value: []byte("{not an event")})
			c := b.consumer(t, nil, 0)
			run(t, c)
			waitLagZero(t, c)
			require.Equal(t, 2, b.versionCount(t, orderID(0)), "the event was applied")
			dead := consumeAllOn(t, b.conn, topic+kafka.DeadLetterSuffix, 1)
			require.Len(t, dead, 1)
			require.Equal(t, "{not an event", string(dead[0].Value))
		})
	}
}
