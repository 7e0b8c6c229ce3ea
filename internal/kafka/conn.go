package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// The SASL mechanisms of ConnConfig.SASLMechanism.
const (
	SASLPlain       = "PLAIN"
	SASLSCRAMSHA256 = "SCRAM-SHA-256"
	SASLSCRAMSHA512 = "SCRAM-SHA-512"
)

// SASLMechanisms are the values ConnConfig.SASLMechanism accepts; empty
// means no SASL.
var SASLMechanisms = []string{SASLPlain, SASLSCRAMSHA256, SASLSCRAMSHA512}

// ConnConfig is how eligo connects to a Kafka cluster: the seed brokers,
// TLS and SASL. Every client eligo opens (the consumer with its dead-letter
// producer, the outbound producer, the start-up check) takes its connection
// options from Opts, so they all connect the same way.
type ConnConfig struct {
	Brokers []string // seed brokers, host:port; required
	// TLS turns TLS on. CAFile, CertFile, KeyFile or ServerName imply it.
	TLS bool
	// CAFile is a PEM file of the CAs that sign the brokers' certificates;
	// empty means the system's roots.
	CAFile string
	// CertFile and KeyFile are a PEM client certificate and its key, for
	// mutual TLS; both or neither.
	CertFile, KeyFile string
	// ServerName is the name the brokers' certificates must carry; empty
	// means each broker's host name.
	ServerName string
	// SASLMechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; empty means
	// no SASL. SASLUser and SASLPassword are its credentials.
	SASLMechanism          string
	SASLUser, SASLPassword string
}

// TLSOn reports whether the connection uses TLS.
func (c ConnConfig) TLSOn() bool {
	return c.TLS || c.CAFile != "" || c.CertFile != "" || c.KeyFile != "" || c.ServerName != ""
}

// Describe says how the connection is made, for the start-up log and
// errors: "TLS, SASL SCRAM-SHA-512 as eligo", "plaintext".
func (c ConnConfig) Describe() string {
	var parts []string
	if c.TLSOn() {
		parts = append(parts, "TLS")
	} else {
		parts = append(parts, "plaintext")
	}
	if c.SASLMechanism != "" {
		parts = append(parts, fmt.Sprintf("SASL %s as %q", c.SASLMechanism, c.SASLUser))
	}
	return strings.Join(parts, ", ")
}

// Opts returns the franz-go options of the connection: the seed brokers,
// TLS and SASL. It reads the certificate files, and fails with a message
// naming the setting that is wrong.
func (c ConnConfig) Opts() ([]kgo.Opt, error) {
	if len(c.Brokers) == 0 {
		return nil, errors.New("kafka: at least one broker is required")
	}
	opts := []kgo.Opt{kgo.SeedBrokers(c.Brokers...)}
	if c.TLSOn() {
		tc, err := c.tlsConfig()
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	m, err := c.saslMechanism()
	if err != nil {
		return nil, err
	}
	if m != nil {
		opts = append(opts, kgo.SASL(m))
	}
	return opts, nil
}

// tlsConfig builds the TLS configuration. With ServerName empty franz-go
// checks each broker's certificate against the broker's host name.
func (c ConnConfig) tlsConfig() (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.ServerName}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("kafka: reading the CA file (--kafka-ca-file): %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("kafka: the CA file %s (--kafka-ca-file) holds no PEM certificate", c.CAFile)
		}
		tc.RootCAs = pool
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return nil, errors.New("kafka: a client certificate needs both --kafka-cert-file and --kafka-key-file")
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("kafka: loading the client certificate (--kafka-cert-file %s, --kafka-key-file %s): %w", c.CertFile, c.KeyFile, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// saslMechanism returns the SASL mechanism, or nil without SASL.
func (c ConnConfig) saslMechanism() (sasl.Mechanism, error) {
	if c.SASLMechanism == "" {
		if c.SASLUser != "" || c.SASLPassword != "" {
			return nil, fmt.Errorf("kafka: a SASL user or password is set but no mechanism: set --kafka-sasl-mechanism to one of %s", strings.Join(SASLMechanisms, ", "))
		}
		return nil, nil
	}
	if c.SASLUser == "" || c.SASLPassword == "" {
		return nil, fmt.Errorf("kafka: SASL %s needs --kafka-sasl-user and --kafka-sasl-password (ELIGO_KAFKA_SASL_USER, ELIGO_KAFKA_SASL_PASSWORD)", c.SASLMechanism)
	}
	switch strings.ToUpper(c.SASLMechanism) {
	case SASLPlain:
		return plain.Auth{User: c.SASLUser, Pass: c.SASLPassword}.AsMechanism(), nil
	case SASLSCRAMSHA256:
		return scram.Auth{User: c.SASLUser, Pass: c.SASLPassword}.AsSha256Mechanism(), nil
	case SASLSCRAMSHA512:
		return scram.Auth{User: c.SASLUser, Pass: c.SASLPassword}.AsSha512Mechanism(), nil
	}
	return nil, fmt.Errorf("kafka: unknown SASL mechanism %q: expected one of %s", c.SASLMechanism, strings.Join(SASLMechanisms, ", "))
}
