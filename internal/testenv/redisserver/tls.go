package redisserver

import (
	"testing"

	"github.com/eligo/eligo/internal/testenv/testca"
)

// TLSFiles are PEM files made by NewCA: a CA, a server certificate for
// 127.0.0.1 and localhost, and a client certificate, each signed by the CA.
type TLSFiles struct {
	CA                    string
	ServerCert, ServerKey string
	ClientCert, ClientKey string
}

// NewCA makes a CA and the server and client certificates it signs (for
// localhost and 127.0.0.1), in a directory removed when the test ends.
func NewCA(t testing.TB) *TLSFiles {
	t.Helper()
	ca := testca.New(t, "eligo test CA")
	server, client := ca.Server(t), ca.Client(t, "client")
	return &TLSFiles{CA: ca.File, ServerCert: server.CertFile, ServerKey: server.KeyFile,
		ClientCert: client.CertFile, ClientKey: client.KeyFile}
}
