// Package kafkatest starts kfake clusters with TLS and SASL turned on, for
// the tests of every package that connects to Kafka.
package kafkatest

import (
	"crypto/tls"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/eligo/eligo/internal/testenv/testca"
)

// Certs are a CA made for one test, a server certificate it signs for
// 127.0.0.1 and localhost, and a client certificate it signs, written as
// PEM files in the test's temporary directory.
type Certs struct {
	CAFile            string
	CertFile, KeyFile string // the client's
	OtherCAFile       string // a CA that signed nothing here
	Server            *tls.Config
}

// NewCerts makes the certificates of one test. With requireClient the
// server's configuration asks for a client certificate signed by the CA.
func NewCerts(t testing.TB, requireClient bool) *Certs {
	t.Helper()
	ca := testca.New(t, "eligo test CA")
	client := ca.Client(t, "eligo")
	c := &Certs{CAFile: ca.File, OtherCAFile: testca.New(t, "unrelated CA").File, CertFile: client.CertFile, KeyFile: client.KeyFile,
		Server: &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{ca.Server(t).TLS}}}
	if requireClient {
		c.Server.ClientAuth, c.Server.ClientCAs = tls.RequireAndVerifyClientCert, ca.Pool
	}
	return c
}

// Cluster starts a one-broker kfake cluster with opts, closed when the test
// ends, and returns its broker addresses.
func Cluster(t testing.TB, opts ...kfake.Opt) (*kfake.Cluster, []string) {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c, c.ListenAddrs()
}
