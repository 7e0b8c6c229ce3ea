package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/jobs"
	"github.com/eligo/eligo/internal/kafka"
	"github.com/eligo/eligo/internal/testenv"
)

// TestServeOnPostgresAndKafka runs `eligo serve` on PostgreSQL with Kafka
// ingest from kfake: an event produced to the topic changes the answer, a
// bad one goes to the dead-letter topic, and a restart keeps everything.
func TestServeOnPostgresAndKafka(t *testing.T) {
	t.Parallel()
	connURL := testenv.PostgresSchemaURL(t)
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, kafka.DefaultTopic, kafka.DefaultTopic+kafka.DeadLetterSuffix))
	require.NoError(t, err)
	t.Cleanup(cluster.Close)
	brokers := strings.Join(cluster.ListenAddrs(), ",")
	env := testEnv(map[string]string{"ELIGO_POSTGRES_URL": connURL, "ELIGO_KAFKA_BROKERS": brokers})

	srv := startServe(t, t.TempDir(), env, "--workers=false")
	require.Contains(t, srv.output.String(), `"store":"postgres `)
	require.Contains(t, srv.output.String(), `"ingest":"http and kafka`)
	const svc = "svc-test-token-for-the-cmd-tests"
	require.Equal(t, http.StatusCreated, call(t, "POST", srv.url+"/v1/orders", svc,
		map[string]any{"id": "ord-1", "customer_id": "cust-9", "promised_at": time.Now().Add(time.Hour)}, nil))

	producer, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...))
	require.NoError(t, err)
	defer producer.Close()
	ev := &eligo.Event{EventID: "e-1", OrderID: "ord-1", Type: eligo.EventDriverStatus, Status: "ARRIVED_AT_DOORSTEP"}
	require.NoError(t, producer.ProduceSync(t.Context(),
		&kgo.Record{Topic: kafka.DefaultTopic, Key: []byte("ord-1"), Value: []byte("{not an event")},
		kafka.EventRecord(kafka.DefaultTopic, ev),
	).FirstErr())

	var doc eligibilityDoc
	require.Eventually(t, func() bool {
		return call(t, "GET", srv.url+"/v1/orders/ord-1/eligibility", svc, nil, &doc) == 200 && doc.Version == 2
	}, 20*time.Second, 20*time.Millisecond, "the event consumed from Kafka reached the answer")
	require.Equal(t, "driver_at_doorstep", doc.Actions["cancel"].Reason)

	// The restarted server reads the same PostgreSQL.
	srv.shutdown(t)
	srv = startServe(t, t.TempDir(), env, "--workers=false", "--migrate=false")
	require.Equal(t, 200, call(t, "GET", srv.url+"/v1/orders/ord-1/eligibility", svc, nil, &doc))
	require.Equal(t, int64(2), doc.Version)
}

func TestMigrateCommand(t *testing.T) {
	t.Parallel()
	connURL := testenv.PostgresSchemaURL(t)
	env := testEnv(map[string]string{"ELIGO_POSTGRES_URL": connURL})
	migrate := func(args ...string) string {
		t.Helper()
		var out strings.Builder
		require.NoError(t, run(context.Background(), append([]string{"eligo", "migrate"}, args...), env, &out, io.Discard))
		return out.String()
	}

	// A server that may not migrate refuses a schema that is behind.
	err := run(context.Background(), []string{"eligo", "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--migrate=false"}, env, io.Discard, io.Discard)
	require.ErrorContains(t, err, "the PostgreSQL schema is behind this build")
	require.ErrorContains(t, err, "eligo migrate")

	pending := migrate("--pending")
	require.Contains(t, pending, "0001_orders")
	require.Contains(t, pending, "river")
	applied := migrate()
	require.Contains(t, applied, "applied 0001_orders")
	require.Contains(t, applied, "applied river_")
	require.Contains(t, migrate(), "schema up to date (0 applied)")
	require.Contains(t, migrate("--pending"), ": 0 pending")
}

func TestDevKafka(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"eligo", "dev", "kafka", "--addr", "127.0.0.1:0", "--partitions", "2"}, testEnv(nil), pw, io.Discard)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	require.True(t, sc.Scan())
	first := sc.Text()
	require.Contains(t, first, "DEVELOPMENT TOOL", "the first line says what it is")
	addr := strings.Fields(strings.TrimPrefix(first, "DEVELOPMENT TOOL: in-memory Kafka (kfake) on "))[0]
	addr = strings.TrimSuffix(addr, ";")
	require.True(t, sc.Scan())
	require.Equal(t, "Topics: eligo.events, eligo.events.dlq and eligo.order-versions (2 partitions each).", sc.Text())
	go func() {
		for sc.Scan() {
		}
	}()
	// The three topics serve and worker check at start exist.
	require.NoError(t, kafka.Check(t.Context(), kafka.CheckConfig{Conn: kafka.ConnConfig{Brokers: []string{addr}}, Topics: []kafka.Topic{
		{Name: kafka.DefaultTopic}, {Name: kafka.DefaultTopic + kafka.DeadLetterSuffix}, {Name: jobs.DefaultOutboundTopic}}}))

	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	require.NoError(t, err)
	defer cl.Close()
	ev := &eligo.Event{EventID: "e-1", OrderID: "ord-1", Type: eligo.EventPayment, Status: "PAID"}
	require.NoError(t, cl.ProduceSync(t.Context(), kafka.EventRecord(kafka.DefaultTopic, ev)).FirstErr())

	cancel()
	require.NoError(t, <-done)

	var help strings.Builder
	require.NoError(t, run(context.Background(), []string{"eligo", "dev", "kafka", "-h"}, testEnv(nil), &help, io.Discard))
	require.Contains(t, help.String(), "ELIGO_DEV_KAFKA_SASL_USER")
	require.Contains(t, help.String(), "DEVELOPMENT TOOL")
}

// TestDevKafkaWithSASL runs `eligo dev kafka` requiring SASL: eligo's
// settings connect with each mechanism, a wrong password is refused.
func TestDevKafkaWithSASL(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	env := testEnv(map[string]string{"ELIGO_DEV_KAFKA_SASL_USER": "dev", "ELIGO_DEV_KAFKA_SASL_PASSWORD": "devpw"})
	go func() {
		done <- run(ctx, []string{"eligo", "dev", "kafka", "--addr", "127.0.0.1:0"}, env, pw, io.Discard)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	require.True(t, sc.Scan())
	addr := strings.TrimSuffix(strings.Fields(strings.TrimPrefix(sc.Text(), "DEVELOPMENT TOOL: in-memory Kafka (kfake) on "))[0], ";")
	require.True(t, sc.Scan()) // the topics
	require.True(t, sc.Scan())
	require.Equal(t, `SASL: PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512, user "dev".`, sc.Text())
	go func() {
		for sc.Scan() {
		}
	}()
	for _, m := range kafka.SASLMechanisms {
		conn := kafka.ConnConfig{Brokers: []string{addr}, SASLMechanism: m, SASLUser: "dev", SASLPassword: "devpw"}
		require.NoError(t, kafka.Check(t.Context(), kafka.CheckConfig{Conn: conn, Topics: []kafka.Topic{{Name: jobs.DefaultOutboundTopic}}}), m)
		conn.SASLPassword = "wrong"
		require.ErrorContains(t, kafka.Check(t.Context(), kafka.CheckConfig{Conn: conn}), "authentication as \"dev\" failed", m)
	}
	cancel()
	require.NoError(t, <-done)

	err := run(context.Background(), []string{"eligo", "dev", "kafka", "--sasl-user", "dev"}, testEnv(nil), io.Discard, io.Discard)
	require.ErrorContains(t, err, "--sasl-user and --sasl-password go together")
}
