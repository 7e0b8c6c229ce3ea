package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/rueidis"
	"github.com/stretchr/testify/require"

	"github.com/eligo/eligo/internal/redis"
	"github.com/eligo/eligo/internal/testenv"
)

// TestReplicasKillRepair: a replica SIGKILLed between the commits of its
// writes and their Puts to Redis leaves Redis at older versions of those
// orders; the surviving replica's read-model repair (engine.Repair) brings
// every order in Redis to the store's version (the documented bound:
// within 5 s), while it takes writes of its own.
//
// The kill lands in that window every time, not by luck: replica a reaches
// Redis through a proxy that the test pauses before a's writes, so each of
// a's commits is followed by a Put that hangs, and a is killed once the
// store holds all its commits. The proxy never forwards again, so none of
// a's Puts can land late and pass for a repair. The store is read directly
// (PostgreSQL), Redis directly too (GET, no client-side cache), and at the
// end through the surviving replica's API. The test logs how many orders
// were stale at the kill and when the last was repaired; the assertion is
// correctness within 30 s.
// scripts/kill-repair.sh measures the same on real processes without the
// proxy.
func TestReplicasKillRepair(t *testing.T) {
	t.Parallel()
	pgURL := testenv.PostgresSchemaURL(t)
	redisAddr := testenv.RedisAddr(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "eligo-test-" + hex.EncodeToString(b[:])
	env := map[string]string{
		"ELIGO_POSTGRES_URL":          pgURL,
		"ELIGO_REDIS_ADDR":            redisAddr,
		"ELIGO_REDIS_PREFIX":          prefix,
		"ELIGO_SERVICE_TOKENS":        replicaServiceToken,
		"ELIGO_CUSTOMER_TOKEN_SECRET": "0123456789abcdef0123456789abcdef",
		"ELIGO_LOG_LEVEL":             "warn",
	}
	survivor := startReplica(t, "b", env)
	proxy := testenv.NewProxy(t, redisAddr)
	envA := make(map[string]string, len(env))
	for k, v := range env {
		envA[k] = v
	}
	envA["ELIGO_REDIS_ADDR"] = proxy.Addr()
	victim := startReplica(t, "a", envA)

	ctx := t.Context()
	db, err := pgx.Connect(ctx, pgURL)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close(context.Background()) })
	rc, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{redisAddr}, DisableCache: true})
	require.NoError(t, err)
	t.Cleanup(rc.Close)
	t.Cleanup(func() { // the test's keys only; the Redis is shared
		keys, err := rc.Do(context.Background(), rc.B().Keys().Pattern(prefix+":*").Build()).AsStrSlice()
		if err == nil && len(keys) > 0 {
			_ = rc.Do(context.Background(), rc.B().Del().Key(keys...).Build()).Error()
		}
	})

	// Orders a writes (the stale ones) and orders b writes meanwhile.
	const perReplica = 400
	var aIDs, bIDs, all []string
	for i := range perReplica {
		aIDs = append(aIDs, fmt.Sprintf("kr-a-%03d", i))
		bIDs = append(bIDs, fmt.Sprintf("kr-b-%03d", i))
	}
	all = append(append(all, aIDs...), bIDs...)
	promised := time.Now().Add(time.Hour)
	// Created through b: Redis holds version 1 of every order.
	work := make(chan string)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for id := range work {
				if code := call(t, "POST", survivor.url+"/v1/orders", replicaServiceToken,
					map[string]any{"id": id, "customer_id": "c", "promised_at": promised}, nil); code != http.StatusCreated {
					t.Errorf("create %s: status %d", id, code)
				}
			}
		})
	}
	for _, id := range all {
		work <- id
	}
	close(work)
	wg.Wait()
	require.False(t, t.Failed())

	storeVersions := func() map[string]int64 {
		t.Helper()
		rows, err := db.Query(ctx, `SELECT id, version FROM orders WHERE id LIKE 'kr-%'`)
		require.NoError(t, err)
		defer rows.Close()
		out := map[string]int64{}
		for rows.Next() {
			var id string
			var v int64
			require.NoError(t, rows.Scan(&id, &v))
			out[id] = v
		}
		require.NoError(t, rows.Err())
		return out
	}
	// redisVersions reads the versions Redis holds, 0 for a missing key.
	redisVersions := func(ids []string) map[string]int64 {
		t.Helper()
		keys := make([]string, len(ids))
		for i, id := range ids {
			keys[i] = redis.OrderKey(prefix, id)
		}
		vals, err := rc.Do(ctx, rc.B().Mget().Key(keys...).Build()).ToArray()
		require.NoError(t, err)
		out := make(map[string]int64, len(ids))
		for i, v := range vals {
			s, err := v.ToString()
			if rueidis.IsRedisNil(err) {
				continue
			}
			require.NoError(t, err)
			head, _, ok := strings.Cut(s, ":")
			require.True(t, ok, "key %s: %q is not version:snapshot", keys[i], s)
			out[ids[i]], err = strconv.ParseInt(head, 10, 64)
			require.NoError(t, err)
		}
		return out
	}
	stale := func(ids []string) []string {
		t.Helper()
		st, rd := storeVersions(), redisVersions(ids)
		var out []string
		for _, id := range ids {
			if rd[id] < st[id] {
				out = append(out, fmt.Sprintf("%s redis=%d store=%d", id, rd[id], st[id]))
			}
		}
		return out
	}
	// waitFresh waits until Redis holds every order of ids at the store's
	// version, 30 s at most. It returns how many lagged at the first check
	// and when the last one was first seen at the store's version.
	waitFresh := func(ids []string) (first int, fresh time.Time) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for first = -1; ; time.Sleep(25 * time.Millisecond) {
			s := stale(ids)
			if first < 0 {
				first = len(s)
			}
			if len(s) == 0 {
				return first, time.Now()
			}
			if time.Now().After(deadline) {
				t.Fatalf("Redis still lags the store for %d orders after 30s, e.g. %v", len(s), s[:min(len(s), 10)])
			}
		}
	}
	require.Empty(t, stale(all), "Redis lags the store before anything was killed")
	for _, v := range redisVersions(all) {
		require.Equal(t, int64(1), v, "Redis misses a created order; a miss would need no repair")
	}

	// b takes a stream of writes from now until the end of the repair.
	stopStream := make(chan struct{})
	streamDone := make(chan struct{})
	api := newAPIClient(survivor.url)
	go func() {
		defer close(streamDone)
		for s, status := range []string{"ASSIGNED", "AT_STORE", "PICKED_UP", "ARRIVED_AT_DOORSTEP"} {
			for i := 0; i < len(bIDs); i += 20 {
				select {
				case <-stopStream:
					return
				case <-time.After(25 * time.Millisecond):
				}
				code, err := api.do(ctx, "POST", "/v1/events", replicaServiceToken, events(bIDs[i:i+20], s+1, status), nil)
				if err != nil || code != http.StatusOK {
					t.Errorf("events to b: status %d, %v", code, err)
					return
				}
			}
		}
	}()
	endStream := sync.OnceFunc(func() { close(stopStream); <-streamDone })
	t.Cleanup(endStream)

	// a's Redis stops answering; four batches of events go to a at once.
	proxy.Pause()
	reqCtx, cancelReqs := context.WithCancel(ctx)
	t.Cleanup(cancelReqs)
	for i := 0; i < perReplica; i += perReplica / 4 {
		body, err := json.Marshal(events(aIDs[i:i+perReplica/4], 1, "ASSIGNED"))
		require.NoError(t, err)
		req, err := http.NewRequestWithContext(reqCtx, "POST", victim.url+"/v1/events", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+replicaServiceToken)
		req.Header.Set("Content-Type", "application/json")
		go func() { // no answer comes: a hangs on its Puts, then dies
			if resp, err := http.DefaultClient.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	var committed int
	require.Eventually(t, func() bool {
		return db.QueryRow(ctx, `SELECT count(*) FROM processed_events WHERE order_id LIKE 'kr-a-%'`).Scan(&committed) == nil &&
			committed == perReplica
	}, 30*time.Second, 5*time.Millisecond, "a did not commit its writes behind the paused Redis (%d of %d)", committed, perReplica)
	victim.kill(t)
	killed := time.Now()
	t.Logf("a SIGKILLed with its %d commits in the store and their Puts to Redis held", committed)

	// Every order in Redis reaches the store's version, by b's repair.
	first, repaired := waitFresh(aIDs)
	t.Logf("%d of a's %d orders stale in Redis at the first check after the kill", first, perReplica)
	t.Logf("read-model repair lag: the last of %d stale orders repaired %v after the kill (documented bound: within 5 s)",
		first, repaired.Sub(killed).Round(time.Millisecond))
	if from, to, n := repairSpan(survivor.log.String()); n > 0 {
		t.Logf("b logged %d repairs, the first %v and the last %v after the kill", n, from.Sub(killed).Round(time.Millisecond), to.Sub(killed).Round(time.Millisecond))
	}
	// None of a's Puts could land: every one of its orders was repaired.
	require.GreaterOrEqual(t, metric(t, survivor, "eligo_read_model_repairs_total"), float64(perReplica),
		"b's repair count; Redis cannot have reached the store otherwise")

	// b's own stream ends, and everything in Redis is at the store's
	// version, and so are b's answers.
	endStream()
	require.False(t, t.Failed())
	waitFresh(all)
	st := storeVersions()
	for _, id := range aIDs {
		require.Equal(t, int64(2), st[id], id)
	}
	for _, id := range all {
		var doc eligibilityDoc
		require.Equal(t, http.StatusOK, call(t, "GET", survivor.url+"/v1/orders/"+id+"/eligibility", replicaServiceToken, nil, &doc))
		require.Equal(t, st[id], doc.Version, "b answers an older version of %s than the store's", id)
	}
}

// events are driver-status events for ids, of step s.
func events(ids []string, s int, status string) []map[string]any {
	out := make([]map[string]any, len(ids))
	for i, id := range ids {
		out[i] = map[string]any{"event_id": fmt.Sprintf("%s-%d", id, s), "order_id": id, "type": "driver_status", "status": status}
	}
	return out
}

// metric returns the value of an unlabelled metric of the replica's
// /metrics, 0 when absent.
func metric(t *testing.T, r *replica, name string) float64 {
	t.Helper()
	resp, err := http.Get(r.url + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	for line := range strings.Lines(string(body)) {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			require.NoError(t, err)
			return n
		}
	}
	return 0
}

// repairSpan returns the times of the first and last repair in a
// replica's log (slog text lines), and how many there are.
func repairSpan(log string) (first, last time.Time, n int) {
	for line := range strings.Lines(log) {
		if !strings.Contains(line, "read model repair: the model held") {
			continue
		}
		v, ok := strings.CutPrefix(line, "time=")
		if !ok {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, strings.Fields(v)[0])
		if err != nil {
			continue
		}
		if n == 0 {
			first = at
		}
		last, n = at, n+1
	}
	return first, last, n
}
