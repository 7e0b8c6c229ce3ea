package kafka_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eligo/eligo/internal/kafka"
	"github.com/eligo/eligo/internal/kafka/kafkatest"
)

var checkTopics = []kafka.Topic{{Name: topic, Use: "events, read"}, {Name: topic + kafka.DeadLetterSuffix, Use: "dead letters, written"}}

// TestCheckSASL connects with each SASL mechanism, and pins that a wrong
// password is an error saying so at once, not a retry loop.
func TestCheckSASL(t *testing.T) {
	t.Parallel()
	for _, mech := range kafka.SASLMechanisms {
		t.Run(mech, func(t *testing.T) {
			t.Parallel()
			_, brokers := kafkatest.Cluster(t, kfake.EnableSASL(), kfake.Superuser(mech, "eligo", "s3cret"),
				kfake.SeedTopics(2, topic, topic+kafka.DeadLetterSuffix))
			conn := kafka.ConnConfig{Brokers: brokers, SASLMechanism: mech, SASLUser: "eligo", SASLPassword: "s3cret"}
			require.NoError(t, kafka.Check(t.Context(), kafka.CheckConfig{Conn: conn, Topics: checkTopics}))

			conn.SASLPassword = "wrong"
			start := time.Now()
			err := kafka.Check(t.Context(), kafka.CheckConfig{Conn: conn, Topics: checkTopics})
			require.ErrorContains(t, err, "SASL "+mech+" authentication as \"eligo\" failed at brokers "+brokers[0])
			require.ErrorContains(t, err, "ELIGO_KAFKA_SASL_PASSWORD")
			require.NotErrorIs(t, err, kafka.ErrUnreachable, "a wrong password is a configuration error, not an outage")
			require.Less(t, time.Since(start), 5*time.Second, "no retry loop")
		})
	}
}

// TestCheckTLS connects over TLS with a CA made in the test, with and
// without a client certificate, and pins the message of each handshake
// failure.
func TestCheckTLS(t *testing.T) {
	t.Parallel()
	certs := kafkatest.NewCerts(t, true)
	_, brokers := kafkatest.Cluster(t, kfake.TLS(certs.Server), kfake.SeedTopics(2, topic, topic+kafka.DeadLetterSuffix))
	good := kafka.ConnConfig{Brokers: brokers, CAFile: certs.CAFile, CertFile: certs.CertFile, KeyFile: certs.KeyFile}
	require.NoError(t, kafka.Check(t.Context(), kafka.CheckConfig{Conn: good, Topics: checkTopics}))

	untrusted := good
	untrusted.CAFile = certs.OtherCAFile
	err := kafka.Check(t.Context(), kafka.CheckConfig{Conn: untrusted, Topics: checkTopics})
	require.ErrorContains(t, err, "the TLS handshake with brokers "+brokers[0]+" failed")
	require.ErrorContains(t, err, "certificate signed by unknown authority")

	wrongName := good
	wrongName.ServerName = "kafka.example.com"
	err = kafka.Check(t.Context(), kafka.CheckConfig{Conn: wrongName, Topics: checkTopics})
	require.ErrorContains(t, err, "the TLS handshake with brokers "+brokers[0]+" failed")
	require.ErrorContains(t, err, "kafka.example.com")

	noClientCert := good
	noClientCert.CertFile, noClientCert.KeyFile = "", ""
	err = kafka.Check(t.Context(), kafka.CheckConfig{Conn: noClientCert, Topics: checkTopics})
	require.ErrorContains(t, err, "the TLS handshake with brokers "+brokers[0]+" failed")
	require.ErrorContains(t, err, "certificate required")

	plaintext := kafka.ConnConfig{Brokers: brokers}
	err = kafka.Check(t.Context(), kafka.CheckConfig{Conn: plaintext, Topics: checkTopics})
	require.ErrorContains(t, err, "brokers "+brokers[0]+" closed the connection without answering (plaintext): if they use TLS, set ELIGO_KAFKA_TLS=true")
	require.NotErrorIs(t, err, kafka.ErrUnreachable, "a plaintext client on a TLS port is a configuration error")

	// A TLS client on a plaintext broker.
	_, plainBrokers := kafkatest.Cluster(t, kfake.SeedTopics(2, topic))
	err = kafka.Check(t.Context(), kafka.CheckConfig{Conn: kafka.ConnConfig{Brokers: plainBrokers, TLS: true}, Topics: checkTopics[:1], Timeout: 2 * time.Second})
	require.ErrorIs(t, err, kafka.ErrUnreachable)
	require.ErrorContains(t, err, "does not use TLS, unset ELIGO_KAFKA_TLS")
}

// TestCheckTopics pins that a missing topic is named with the command that
// creates it, and that Create creates it instead.
func TestCheckTopics(t *testing.T) {
	t.Parallel()
	_, brokers := kafkatest.Cluster(t, kfake.SeedTopics(2, topic), kfake.AllowAutoTopicCreation())
	conn := kafka.ConnConfig{Brokers: brokers}
	err := kafka.Check(t.Context(), kafka.CheckConfig{Conn: conn, Topics: checkTopics})
	require.ErrorContains(t, err, "topic "+topic+kafka.DeadLetterSuffix+" (dead letters, written) does not exist")
	require.ErrorContains(t, err, "kafka-topics.sh --bootstrap-server "+brokers[0]+" --create --topic "+topic+kafka.DeadLetterSuffix)
	require.ErrorContains(t, err, "--kafka-create-topics")
	require.NotContains(t, err.Error(), "topic "+topic+" (", "the existing topic is not named")

	require.NoError(t, kafka.Check(t.Context(), kafka.CheckConfig{Conn: conn, Topics: checkTopics, Create: true}))
	require.NoError(t, kafka.Check(t.Context(), kafka.CheckConfig{Conn: conn, Topics: checkTopics}), "the topic was created")
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	require.NoError(t, err)
	defer cl.Close()
	details, err := kadm.NewClient(cl).ListTopics(t.Context(), topic+kafka.DeadLetterSuffix)
	require.NoError(t, err)
	require.NoError(t, details[topic+kafka.DeadLetterSuffix].Err)
}

// TestCheckUnreachable pins that brokers that do not answer are an outage
// (ErrUnreachable), within the timeout.
func TestCheckUnreachable(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	err := kafka.Check(ctx, kafka.CheckConfig{Conn: kafka.ConnConfig{Brokers: []string{"127.0.0.1:1"}}, Topics: checkTopics, Timeout: 2 * time.Second})
	require.ErrorIs(t, err, kafka.ErrUnreachable)
	require.ErrorContains(t, err, "127.0.0.1:1 (plaintext)")
}

// TestConnConfigRefusesIncompleteSettings pins the message of each
// setting that cannot work.
func TestConnConfigRefusesIncompleteSettings(t *testing.T) {
	t.Parallel()
	b := []string{"127.0.0.1:9092"}
	for _, tt := range []struct {
		name string
		conn kafka.ConnConfig
		want string
	}{
		{"NoBrokers", kafka.ConnConfig{}, "at least one broker"},
		{"UserWithoutMechanism", kafka.ConnConfig{Brokers: b, SASLUser: "u", SASLPassword: "p"}, "no mechanism"},
		{"MechanismWithoutPassword", kafka.ConnConfig{Brokers: b, SASLMechanism: kafka.SASLSCRAMSHA256, SASLUser: "u"}, "needs --kafka-sasl-user and --kafka-sasl-password"},
		{"UnknownMechanism", kafka.ConnConfig{Brokers: b, SASLMechanism: "GSSAPI", SASLUser: "u", SASLPassword: "p"}, `unknown SASL mechanism "GSSAPI"`},
		{"CertWithoutKey", kafka.ConnConfig{Brokers: b, CertFile: "c.pem"}, "needs both --kafka-cert-file and --kafka-key-file"},
		{"MissingCAFile", kafka.ConnConfig{Brokers: b, CAFile: "/nonexistent/ca.pem"}, "reading the CA file (--kafka-ca-file)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.conn.Opts()
			require.ErrorContains(t, err, tt.want)
		})
	}
}
