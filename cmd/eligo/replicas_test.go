package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/jobs"
	"github.com/eligo/eligo/internal/kafka"
	"github.com/eligo/eligo/internal/testenv"
)

// replicaArgsEnv carries the arguments of `eligo` to a replica process: the
// test binary runs itself with -test.run=^TestReplicaProcess$ and this
// variable set, and TestReplicaProcess runs them through run.
const replicaArgsEnv = "ELIGO_TEST_REPLICA_ARGS"

// TestReplicaProcess is not a test: it is the body of a replica process
// that TestReplicas starts. Without replicaArgsEnv it does nothing.
func TestReplicaProcess(t *testing.T) {
	raw := os.Getenv(replicaArgsEnv)
	if raw == "" {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "eligo: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// replica is an `eligo serve` in a process of its own.
type replica struct {
	name string
	url  string
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{}
}

// startReplica starts `eligo serve` in a new process on a free port with
// env added to this process's environment, and waits until it is healthy.
func startReplica(t *testing.T, name string, env map[string]string) *replica {
	t.Helper()
	return startEligo(t, name, env, "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--workers=false")
}

// startEligo starts `eligo ARGS...` (a serve) in a new process with env
// added to this process's environment, and waits until it is healthy.
func startEligo(t *testing.T, name string, env map[string]string, eligoArgs ...string) *replica {
	t.Helper()
	args, err := json.Marshal(append([]string{"eligo"}, eligoArgs...))
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^TestReplicaProcess$")
	cmd.Env = append(os.Environ(), replicaArgsEnv+"="+string(args))
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	r := &replica{name: name, cmd: cmd, log: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = r.log
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "eligo is serving on "); ok {
				urls <- u
			}
		}
		_ = cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		r.stop(t)
		if t.Failed() {
			t.Logf("replica %s log:\n%s", name, r.log.String())
		}
	})
	select {
	case r.url = <-urls:
	case <-r.done:
		t.Fatalf("replica %s exited before serving:\n%s", name, r.log.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("replica %s did not start:\n%s", name, r.log.String())
	}
	waitHealthy(t, r.url)
	return r
}

// kill ends the replica with SIGKILL, in the middle of whatever it does.
func (r *replica) kill(t *testing.T) {
	t.Helper()
	require.NoError(t, r.cmd.Process.Signal(syscall.SIGKILL))
	<-r.done
}

// stop asks the replica to shut down (SIGTERM) and waits for it.
func (r *replica) stop(t *testing.T) {
	select {
	case <-r.done:
		return
	default:
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(30 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.done
		t.Errorf("replica %s did not shut down on SIGTERM", r.name)
	}
}

// applied returns the replica's count of applied events, from /metrics.
func (r *replica) applied(t *testing.T) int {
	t.Helper()
	resp, err := http.Get(r.url + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	for line := range strings.Lines(string(body)) {
		if v, ok := strings.CutPrefix(line, `eligo_events_total{outcome="applied"} `); ok {
			n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			require.NoError(t, err)
			return int(n)
		}
	}
	return 0
}

// watch opens a WebSocket on the order's live stream and returns its
// documents as they arrive, each with the instant it was read.
func (r *replica) watch(t *testing.T, orderID string) <-chan timedDoc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	url := "ws" + strings.TrimPrefix(r.url, "http") + "/v1/orders/" + orderID + "/live?access_token=" + replicaServiceToken
	c, _, err := websocket.Dial(ctx, url, nil)
	require.NoError(t, err)
	docs := make(chan timedDoc, 64)
	go func() {
		defer close(docs)
		for {
			_, data, err := c.Read(ctx)
			if err != nil {
				return
			}
			at := time.Now()
			var d eligibilityDoc
			if json.Unmarshal(data, &d) == nil {
				docs <- timedDoc{d, at}
			}
		}
	}()
	t.Cleanup(func() { cancel(); _ = c.CloseNow() })
	return docs
}

type timedDoc struct {
	doc eligibilityDoc
	at  time.Time
}

// nextVersion waits for a document of version v on docs and returns when
// it was read.
func nextVersion(t *testing.T, docs <-chan timedDoc, v int64) time.Time {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case d, ok := <-docs:
			require.True(t, ok, "the stream ended before version %d", v)
			if d.doc.Version >= v {
				require.Equal(t, v, d.doc.Version)
				return d.at
			}
		case <-deadline:
			t.Fatalf("no document of version %d within 30s", v)
		}
	}
}

const replicaServiceToken = "svc-replicas-token-0123456789abc"

// TestReplicas runs two eligo processes on one PostgreSQL, one Redis and one
// (kfake) Kafka: an event consumed by one replica reaches a WebSocket
// subscriber of the other, and a replica SIGKILLed in the middle of a
// stream of 10,000 events loses none of them and applies none twice.
func TestReplicas(t *testing.T) {
	t.Parallel()
	pgURL := testenv.PostgresSchemaURL(t)
	redisAddr := testenv.RedisAddr(t)
	const partitions = 4
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.GroupMinSessionTimeout(500*time.Millisecond),
		kfake.SeedTopics(partitions, kafka.DefaultTopic, kafka.DefaultTopic+kafka.DeadLetterSuffix, jobs.DefaultOutboundTopic))
	require.NoError(t, err)
	t.Cleanup(cluster.Close)
	var b [6]byte
	_, _ = rand.Read(b[:])
	env := map[string]string{
		"ELIGO_POSTGRES_URL":          pgURL,
		"ELIGO_REDIS_ADDR":            redisAddr,
		"ELIGO_REDIS_PREFIX":          "eligo-test-" + hex.EncodeToString(b[:]),
		"ELIGO_KAFKA_BROKERS":         strings.Join(cluster.ListenAddrs(), ","),
		"ELIGO_KAFKA_SESSION_TIMEOUT": "2s",
		"ELIGO_SERVICE_TOKENS":        replicaServiceToken,
		"ELIGO_CUSTOMER_TOKEN_SECRET": "0123456789abcdef0123456789abcdef",
		"ELIGO_LOG_LEVEL":             "warn",
	}
	a := startReplica(t, "a", env)
	bb := startReplica(t, "b", env)
	replicas := []*replica{a, bb}
	producer, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...))
	require.NoError(t, err)
	t.Cleanup(producer.Close)
	produce := func(evs ...*eligo.Event) {
		t.Helper()
		recs := make([]*kgo.Record, len(evs))
		for i, ev := range evs {
			recs[i] = kafka.EventRecord(kafka.DefaultTopic, ev)
		}
		require.NoError(t, producer.ProduceSync(context.Background(), recs...).FirstErr())
	}
	promised := time.Now().Add(time.Hour)
	create := func(r *replica, id string) {
		t.Helper()
		require.Equal(t, http.StatusCreated, call(t, "POST", r.url+"/v1/orders", replicaServiceToken,
			map[string]any{"id": id, "customer_id": "cust-" + id, "promised_at": promised}, nil))
	}

	t.Run("PushAcrossReplicas", func(t *testing.T) {
		// One event at a time: each is consumed by one of the two (the
		// partition of its order says which), and both subscribers get the
		// push; the one on the other replica got it through Redis.
		var remote []time.Duration
		for i := range 16 {
			id := fmt.Sprintf("push-%d", i)
			create(a, id)
			docs := [2]<-chan timedDoc{a.watch(t, id), bb.watch(t, id)}
			for _, d := range docs {
				nextVersion(t, d, 1)
			}
			before := [2]int{a.applied(t), bb.applied(t)}
			start := time.Now()
			produce(&eligo.Event{EventID: "ev-" + id, OrderID: id, Type: eligo.EventDriverStatus, Status: "ARRIVED_AT_DOORSTEP", OccurredAt: start})
			var at [2]time.Time
			for j, d := range docs {
				at[j] = nextVersion(t, d, 2)
			}
			consumer := -1
			for j, r := range replicas {
				if r.applied(t) == before[j]+1 {
					consumer = j
				}
			}
			require.NotEqual(t, -1, consumer, "neither replica counts the event as applied")
			other := 1 - consumer
			remote = append(remote, at[other].Sub(start))
			t.Logf("event %d: consumed by %s; pushed by %s after %v, by %s after %v", i,
				replicas[consumer].name, replicas[consumer].name, at[consumer].Sub(start).Round(10*time.Microsecond),
				replicas[other].name, at[other].Sub(start).Round(10*time.Microsecond))
		}
		slices.Sort(remote)
		t.Logf("Kafka produce -> push on the other replica over %d events: min %v, median %v, max %v",
			len(remote), remote[0].Round(10*time.Microsecond), remote[len(remote)/2].Round(10*time.Microsecond), remote[len(remote)-1].Round(10*time.Microsecond))
	})

	t.Run("SIGKILLMidStream", func(t *testing.T) {
		const orders = 2000
		steps := []string{"ASSIGNED", "AT_STORE", "PICKED_UP", "ARRIVED_AT_DOORSTEP", "DELIVERED"}
		ids := make([]string, orders)
		var next atomic.Int64
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for i := int(next.Add(1)) - 1; i < orders; i = int(next.Add(1)) - 1 {
					ids[i] = fmt.Sprintf("kill-%04d", i)
					if code := call(t, "POST", bb.url+"/v1/orders", replicaServiceToken,
						map[string]any{"id": ids[i], "customer_id": "c", "promised_at": promised}, nil); code != http.StatusCreated {
						t.Errorf("create %s: status %d", ids[i], code)
						return
					}
				}
			})
		}
		wg.Wait()
		require.False(t, t.Failed())
		watched := []<-chan timedDoc{bb.watch(t, ids[0]), bb.watch(t, ids[orders/2]), bb.watch(t, ids[orders-1])}

		ctx := context.Background()
		db, err := pgx.Connect(ctx, pgURL)
		require.NoError(t, err)
		t.Cleanup(func() { db.Close(context.Background()) })
		count := func(sql string) int {
			t.Helper()
			var n int
			require.NoError(t, db.QueryRow(ctx, sql).Scan(&n))
			return n
		}
		processed := func() int { return count(`SELECT count(*) FROM processed_events WHERE order_id LIKE 'kill-%'`) }
		aBefore := a.applied(t)

		// The whole stream goes to Kafka first, step by step, so that every
		// partition carries all five steps of its orders, in order.
		var evs []*eligo.Event
		for s, status := range steps {
			for _, id := range ids {
				evs = append(evs, &eligo.Event{EventID: fmt.Sprintf("%s-%d", id, s), OrderID: id, Type: eligo.EventDriverStatus, Status: status, OccurredAt: time.Now()})
			}
		}
		require.Len(t, evs, 10000)
		produce(evs...)

		// Kill a while both replicas apply, once a has applied some.
		deadline := time.Now().Add(60 * time.Second)
		byA := 0
		for byA < 200 || processed() < 1500 {
			require.True(t, time.Now().Before(deadline), "replica a never applied its share of the stream")
			time.Sleep(5 * time.Millisecond)
			byA = a.applied(t) - aBefore
		}
		a.kill(t)
		atKill := processed()
		t.Logf("a SIGKILLed once %d of 10000 events were applied (a had applied at least %d)", atKill, byA)
		require.Less(t, atKill, 10000, "the stream was over before the kill; nothing was tested")

		start := time.Now()
		require.Eventually(t, func() bool {
			var n int
			return db.QueryRow(ctx, `SELECT count(*) FROM processed_events WHERE order_id LIKE 'kill-%'`).Scan(&n) == nil && n == 10000
		}, 90*time.Second, 50*time.Millisecond, "b did not take over a's partitions and finish the stream")
		t.Logf("b finished the stream %v after the kill", time.Since(start).Round(time.Millisecond))

		// Exactly once in effect: five versions per order on top of the
		// create, each written once, every order at its last step.
		require.Equal(t, orders*6, count(`SELECT count(*) FROM versions WHERE item_id LIKE 'kill-%'`))
		require.Equal(t, orders, count(`SELECT count(*) FROM orders WHERE id LIKE 'kill-%' AND version = 6 AND status = 'DELIVERED'`))
		require.Zero(t, count(`SELECT count(*) FROM (SELECT item_id FROM versions WHERE item_id LIKE 'kill-%'
			GROUP BY item_id HAVING count(*) <> 6 OR count(DISTINCT order_version) <> 6 OR max(order_version) <> 6) AS wrong`))

		// The survivor's answers, from Redis, are the store's. The kill
		// usually lands while a writes to Redis the results of a batch it
		// has committed (a counts an event applied just before it publishes
		// it): b gets that batch again, its events are duplicates, and the
		// engine's repair puts the stored orders in Redis. Without it, some
		// twenty orders answered an old version for good. The last changes
		// reach Redis just after their commit, so an answer may lag for a
		// moment, no more.
		version := func(id string) int64 {
			var doc eligibilityDoc
			require.Equal(t, http.StatusOK, call(t, "GET", bb.url+"/v1/orders/"+id+"/eligibility", replicaServiceToken, nil, &doc))
			return doc.Version
		}
		var lagging []string
		for _, id := range ids {
			if version(id) != 6 {
				lagging = append(lagging, id)
			}
		}
		var stale []string
		time.Sleep(2 * time.Second)
		for _, id := range lagging {
			if v := version(id); v != 6 {
				stale = append(stale, fmt.Sprintf("%s@%d", id, v))
			}
		}
		t.Logf("%d answers lagged the store when it reached 10000 events; %d still did 2s later", len(lagging), len(stale))
		require.Empty(t, stale, "answers older than the store")
		for _, d := range watched {
			nextVersion(t, d, 6)
		}
	})
}
