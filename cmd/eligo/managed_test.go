package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/kafka"
	"github.com/eligo/eligo/internal/kafka/kafkatest"
	"github.com/eligo/eligo/internal/testenv"
	"github.com/eligo/eligo/internal/testenv/redisserver"
)

// idp is an identity provider as eligo meets it: a JWKS document at a URL,
// and RS256 tokens signed by the key it lists.
type idp struct {
	key         *rsa.PrivateKey
	issuer, aud string
	jwks        *httptest.Server
	kid         string
}

func newIDP(t *testing.T) *idp {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	p := &idp{key: key, issuer: "https://idp.example.com/", aud: "eligo-api", kid: "key-1"}
	b64 := base64.RawURLEncoding.EncodeToString
	doc, err := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": p.kid,
		"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes()),
	}}})
	require.NoError(t, err)
	p.jwks = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	}))
	t.Cleanup(p.jwks.Close)
	return p
}

// token returns an RS256 token for customer with the given audience.
func (p *idp) token(t *testing.T, customer, aud string) string {
	t.Helper()
	b64 := func(v any) string {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	now := time.Now().Unix()
	signing := b64(map[string]string{"alg": "RS256", "typ": "JWT", "kid": p.kid}) + "." +
		b64(map[string]any{"sub": customer, "iss": p.issuer, "aud": aud, "iat": now, "exp": now + 600})
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, p.key, crypto.SHA256, sum[:])
	require.NoError(t, err)
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// TestManagedReplicas is TestReplicas on managed infrastructure: two
// replicas on PostgreSQL with sslmode=verify-full, Redis over TLS with a
// password, Kafka with SASL/SCRAM over TLS, and customer tokens verified
// against an identity provider's JWKS. An event consumed by either replica
// reaches the customer's WebSocket on both.
func TestManagedReplicas(t *testing.T) {
	t.Parallel()
	pg := testenv.PostgresTLSServer(t)
	redisTLS := redisserver.NewCA(t)
	redisSrv := redisserver.Start(t, redisserver.Options{TLS: redisTLS, Password: "redis-s3cret"})
	certs := kafkatest.NewCerts(t, false)
	_, brokers := kafkatest.Cluster(t, kfake.TLS(certs.Server), kfake.EnableSASL(),
		kfake.Superuser(kafka.SASLSCRAMSHA256, "eligo", "kafka-s3cret"), kfake.SeedTopics(4, allKafkaTopics...),
		kfake.GroupMinSessionTimeout(500*time.Millisecond))
	provider := newIDP(t)

	env := map[string]string{
		"ELIGO_POSTGRES_URL":            pg.URL(pg.Host, "verify-full", pg.CAFile),
		"ELIGO_REDIS_URL":               "rediss://:redis-s3cret@" + redisSrv.Addr,
		"ELIGO_REDIS_CA_FILE":           redisTLS.CA,
		"ELIGO_KAFKA_BROKERS":           strings.Join(brokers, ","),
		"ELIGO_KAFKA_TLS":               "true",
		"ELIGO_KAFKA_CA_FILE":           certs.CAFile,
		"ELIGO_KAFKA_SERVER_NAME":       "localhost",
		"ELIGO_KAFKA_SASL_MECHANISM":    "SCRAM-SHA-256",
		"ELIGO_KAFKA_SASL_USER":         "eligo",
		"ELIGO_KAFKA_SASL_PASSWORD":     "kafka-s3cret",
		"ELIGO_KAFKA_SESSION_TIMEOUT":   "2s",
		"ELIGO_CUSTOMER_JWKS_URL":       provider.jwks.URL,
		"ELIGO_CUSTOMER_TOKEN_ISSUER":   provider.issuer,
		"ELIGO_CUSTOMER_TOKEN_AUDIENCE": provider.aud,
		"ELIGO_SERVICE_TOKENS":          replicaServiceToken,
		"ELIGO_LOG_LEVEL":               "warn",
	}
	a := startReplica(t, "a", env)
	b := startReplica(t, "b", env)

	const order, customer = "managed-1", "cust-managed"
	require.Equal(t, http.StatusCreated, call(t, "POST", a.url+"/v1/orders", replicaServiceToken,
		map[string]any{"id": order, "customer_id": customer, "promised_at": time.Now().Add(time.Hour)}, nil))
	tok := provider.token(t, customer, provider.aud)
	for _, r := range []*replica{a, b} {
		require.Eventually(t, func() bool {
			return call(t, "GET", r.url+"/v1/orders/"+order+"/eligibility", tok, nil, nil) == http.StatusOK
		}, 10*time.Second, 20*time.Millisecond, "replica %s serves the order to its customer's JWKS-verified token", r.name)
		require.Equal(t, http.StatusUnauthorized, call(t, "GET", r.url+"/v1/orders/"+order+"/eligibility",
			provider.token(t, customer, "another-api"), nil, nil), "a token for another audience is refused")
	}

	watch := func(r *replica) <-chan eligibilityDoc {
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		url := "ws" + strings.TrimPrefix(r.url, "http") + "/v1/orders/" + order + "/live"
		c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"eligo.v1", "eligo.token." + tok}})
		require.NoError(t, err, "replica %s", r.name)
		c.SetReadLimit(1 << 20)
		docs := make(chan eligibilityDoc, 16)
		go func() {
			defer close(docs)
			for {
				_, data, err := c.Read(ctx)
				if err != nil {
					return
				}
				var d eligibilityDoc
				if json.Unmarshal(data, &d) == nil {
					docs <- d
				}
			}
		}()
		return docs
	}
	streams := []<-chan eligibilityDoc{watch(a), watch(b)}
	for _, s := range streams {
		d := <-s
		require.EqualValues(t, 1, d.Version)
	}

	producer := kafkaClient(t, kafka.ConnConfig{Brokers: brokers, CAFile: certs.CAFile, ServerName: "localhost",
		SASLMechanism: kafka.SASLSCRAMSHA256, SASLUser: "eligo", SASLPassword: "kafka-s3cret"})
	ev := &eligo.Event{EventID: "ev-managed-1", OrderID: order, Type: eligo.EventDriverStatus, Status: "ARRIVED_AT_DOORSTEP", OccurredAt: time.Now()}
	require.NoError(t, producer.ProduceSync(t.Context(), kafka.EventRecord(kafka.DefaultTopic, ev)).FirstErr())
	for i, s := range streams {
		select {
		case d, ok := <-s:
			require.True(t, ok, "the stream on replica %d ended", i)
			require.EqualValues(t, 2, d.Version, "the doorstep event reached the customer on replica %d", i)
		case <-time.After(30 * time.Second):
			t.Fatalf("no push on replica %d within 30 s", i)
		}
	}
}
