package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/jobs"
	"github.com/eligo/eligo/internal/kafka"
	"github.com/eligo/eligo/internal/kafka/kafkatest"
)

var allKafkaTopics = []string{kafka.DefaultTopic, kafka.DefaultTopic + kafka.DeadLetterSuffix, jobs.DefaultOutboundTopic}

// TestServeKafkaOverTLSWithSASL runs `eligo serve` against brokers that
// take TLS (a CA made here, a client certificate) and SASL SCRAM-SHA-512,
// set only through variables: an event is consumed, a bad record is
// dead-lettered and the versions are published to the outbound topic with
// their headers.
func TestServeKafkaOverTLSWithSASL(t *testing.T) {
	t.Parallel()
	certs := kafkatest.NewCerts(t, true)
	_, brokers := kafkatest.Cluster(t, kfake.TLS(certs.Server), kfake.EnableSASL(),
		kfake.Superuser(kafka.SASLSCRAMSHA512, "eligo", "s3cret"), kfake.SeedTopics(2, allKafkaTopics...))
	env := testEnv(map[string]string{
		"ELIGO_KAFKA_BROKERS":        strings.Join(brokers, ","),
		"ELIGO_KAFKA_TLS":            "true",
		"ELIGO_KAFKA_CA_FILE":        certs.CAFile,
		"ELIGO_KAFKA_CERT_FILE":      certs.CertFile,
		"ELIGO_KAFKA_KEY_FILE":       certs.KeyFile,
		"ELIGO_KAFKA_SERVER_NAME":    "localhost",
		"ELIGO_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
		"ELIGO_KAFKA_SASL_USER":      "eligo",
		"ELIGO_KAFKA_SASL_PASSWORD":  "s3cret",
	})
	srv := startServe(t, t.TempDir(), env)
	require.Contains(t, srv.output.String(), `"msg":"kafka: connected","connection":"TLS, SASL SCRAM-SHA-512 as \"eligo\""`)
	const svc = "svc-test-token-for-the-cmd-tests"
	require.Equal(t, http.StatusCreated, call(t, "POST", srv.url+"/v1/orders", svc,
		map[string]any{"id": "ord-1", "customer_id": "cust-9", "promised_at": time.Now().Add(time.Hour)}, nil))

	conn := kafka.ConnConfig{Brokers: brokers, CAFile: certs.CAFile, CertFile: certs.CertFile, KeyFile: certs.KeyFile,
		SASLMechanism: kafka.SASLSCRAMSHA512, SASLUser: "eligo", SASLPassword: "s3cret"}
	producer := kafkaClient(t, conn)
	ev := &eligo.Event{EventID: "e-1", OrderID: "ord-1", Type: eligo.EventDriverStatus, Status: "ARRIVED_AT_DOORSTEP"}
	require.NoError(t, producer.ProduceSync(t.Context(),
		&kgo.Record{Topic: kafka.DefaultTopic, Key: []byte("ord-1"), Value: []byte("{not an event")},
		kafka.EventRecord(kafka.DefaultTopic, ev),
	).FirstErr())
	var doc eligibilityDoc
	require.Eventually(t, func() bool {
		return call(t, "GET", srv.url+"/v1/orders/ord-1/eligibility", svc, nil, &doc) == 200 && doc.Version == 2
	}, 20*time.Second, 20*time.Millisecond, "the event consumed over TLS and SASL reached the answer")

	dead := readRecords(t, conn, kafka.DefaultTopic+kafka.DeadLetterSuffix, 1)
	require.Equal(t, "{not an event", string(dead[0].Value))
	out := readRecords(t, conn, jobs.DefaultOutboundTopic, 2)
	for i, r := range out {
		require.Equal(t, "ord-1", string(r.Key))
		headers := map[string]string{}
		for _, h := range r.Headers {
			headers[h.Key] = string(h.Value)
		}
		require.NotEmpty(t, headers["eligo-version-id"], "record %d", i)
		require.Equal(t, []string{"create", "update"}[i], headers["eligo-event"], "record %d", i)
	}
}

// TestServeRefusesAWrongKafkaPassword pins that a wrong SASL password stops
// serve at start with a message saying so, rather than a retry loop.
func TestServeRefusesAWrongKafkaPassword(t *testing.T) {
	t.Parallel()
	_, brokers := kafkatest.Cluster(t, kfake.EnableSASL(), kfake.Superuser(kafka.SASLSCRAMSHA256, "eligo", "s3cret"),
		kfake.SeedTopics(2, allKafkaTopics...))
	env := testEnv(map[string]string{
		"ELIGO_KAFKA_BROKERS": brokers[0], "ELIGO_KAFKA_SASL_MECHANISM": "scram-sha-256",
		"ELIGO_KAFKA_SASL_USER": "eligo", "ELIGO_KAFKA_SASL_PASSWORD": "wrong",
	})
	start := time.Now()
	err := run(t.Context(), []string{"eligo", "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, env, io.Discard, io.Discard)
	require.ErrorContains(t, err, `kafka: SASL SCRAM-SHA-256 authentication as "eligo" failed at brokers `+brokers[0])
	require.Less(t, time.Since(start), 10*time.Second)
}

// TestServeAndWorkerRefuseAMissingTopic pins that a topic the command
// would write to and that does not exist stops it at start, naming the
// topic and the command that creates it, and that --kafka-create-topics
// creates it instead. The outbound topic was the one nothing created:
// every outbound job failed, unlogged.
func TestServeAndWorkerRefuseAMissingTopic(t *testing.T) {
	t.Parallel()
	_, brokers := kafkatest.Cluster(t, kfake.SeedTopics(2, kafka.DefaultTopic, kafka.DefaultTopic+kafka.DeadLetterSuffix))
	env := testEnv(map[string]string{"ELIGO_KAFKA_BROKERS": brokers[0]})
	for _, cmd := range []string{"serve", "worker"} {
		err := run(t.Context(), []string{"eligo", cmd, "--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, env, io.Discard, io.Discard)
		require.ErrorContains(t, err, "topic "+jobs.DefaultOutboundTopic+" (outbound version events, written by the job workers) does not exist", cmd)
		require.ErrorContains(t, err, "kafka-topics.sh --bootstrap-server "+brokers[0]+" --create --topic "+jobs.DefaultOutboundTopic, cmd)
		require.ErrorContains(t, err, "--kafka-create-topics", cmd)
	}
	// serve without workers writes no outbound events.
	srv := startServe(t, t.TempDir(), env, "--workers=false")
	srv.shutdown(t)

	srv = startServe(t, t.TempDir(), env, "--kafka-create-topics")
	require.Contains(t, srv.output.String(), `"msg":"kafka: created topic (--kafka-create-topics)","topic":"`+jobs.DefaultOutboundTopic+`"`)
	const svc = "svc-test-token-for-the-cmd-tests"
	require.Equal(t, http.StatusCreated, call(t, "POST", srv.url+"/v1/orders", svc,
		map[string]any{"id": "ord-1", "customer_id": "cust-9", "promised_at": time.Now().Add(time.Hour)}, nil))
	require.Len(t, readRecords(t, kafka.ConnConfig{Brokers: brokers}, jobs.DefaultOutboundTopic, 1), 1)

	// A topic deleted under a running serve: the outbound job fails, and
	// says so at WARN with its kind, attempt and error.
	resp, err := kadm.NewClient(kafkaClient(t, kafka.ConnConfig{Brokers: brokers})).DeleteTopic(t.Context(), jobs.DefaultOutboundTopic)
	require.NoError(t, err)
	require.NoError(t, resp.Err)
	require.Equal(t, http.StatusCreated, call(t, "POST", srv.url+"/v1/orders", svc,
		map[string]any{"id": "ord-2", "customer_id": "cust-9", "promised_at": time.Now().Add(time.Hour)}, nil))
	require.Eventually(t, func() bool {
		out := srv.output.String()
		return strings.Contains(out, `"level":"WARN","msg":"job attempt failed; it will be retried","kind":"outbound_event"`) &&
			strings.Contains(out, `"attempt":1`) && strings.Contains(out, "UNKNOWN_TOPIC_OR_PARTITION")
	}, 40*time.Second, 50*time.Millisecond, "the failed outbound job was logged\n%s", srv.output.String())
}

// TestServeShutdownWithABlockedBroker pins that SIGTERM never waits on a
// publish that cannot succeed: with the broker taking the outbound
// records and never answering, serve still ends within --shutdown-timeout.
// It took 10 s and more (River's own stop timeout) before.
func TestServeShutdownWithABlockedBroker(t *testing.T) {
	t.Parallel()
	cluster, brokers := kafkatest.Cluster(t, kfake.SeedTopics(2, allKafkaTopics...))
	blocked, release := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(release) })
	var once sync.Once
	// Only the outbound producer produces here (no record is
	// dead-lettered): every produce request is taken and never answered.
	cluster.ControlKey(kmsg.Produce.Int16(), func(kmsg.Request) (kmsg.Response, error, bool) {
		cluster.KeepControl()
		once.Do(func() { close(blocked) })
		cluster.SleepControl(func() { <-release })
		return nil, nil, false
	})
	const timeout = time.Second
	srv := startServe(t, t.TempDir(), testEnv(map[string]string{"ELIGO_KAFKA_BROKERS": brokers[0]}), "--shutdown-timeout", timeout.String())
	const svc = "svc-test-token-for-the-cmd-tests"
	require.Equal(t, http.StatusCreated, call(t, "POST", srv.url+"/v1/orders", svc,
		map[string]any{"id": "ord-1", "customer_id": "cust-9", "promised_at": time.Now().Add(time.Hour)}, nil))
	select {
	case <-blocked:
	case <-time.After(20 * time.Second):
		t.Fatalf("the outbound job never published\n%s", srv.output.String())
	}

	stopped := time.Now()
	srv.stop()
	srv.stop = nil
	select {
	case <-srv.done: // an error or not: the job was cut short
	case <-time.After(timeout + 10*time.Second):
		t.Fatalf("serve did not end\n%s", srv.output.String())
	}
	took := time.Since(stopped)
	t.Logf("serve ended %s after SIGTERM", took)
	require.Less(t, took, timeout+2*time.Second, "serve ended %s after SIGTERM with --shutdown-timeout %s\n%s", took, timeout, srv.output.String())
}

// kafkaClient is a client on conn, closed when the test ends.
func kafkaClient(t *testing.T, conn kafka.ConnConfig, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	connOpts, err := conn.Opts()
	require.NoError(t, err)
	cl, err := kgo.NewClient(append(connOpts, opts...)...)
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	return cl
}

// readRecords reads the first n records of topic.
func readRecords(t *testing.T, conn kafka.ConnConfig, topic string, n int) []*kgo.Record {
	t.Helper()
	cl := kafkaClient(t, conn, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	var recs []*kgo.Record
	for len(recs) < n {
		fs := cl.PollFetches(ctx)
		require.NoError(t, ctx.Err(), "%d of %d records of %s read", len(recs), n, topic)
		recs = append(recs, fs.Records()...)
	}
	return recs
}
