package redis

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"

	"github.com/eligo/eligo"
	"github.com/eligo/eligo/internal/auth"
	"github.com/eligo/eligo/internal/readmodel"
	"github.com/eligo/eligo/internal/testenv"
	"github.com/eligo/eligo/internal/testenv/stack"
)

// BenchmarkReadPath measures GET /v1/orders/{id}/eligibility over loopback
// HTTP/1.1 with the same load generator against three servers that differ
// only in the read model behind the engine:
//
//   - embedded: the in-process map (eligo serve without Redis);
//   - redis: this package's ReadModel, answered from rueidis's client-side
//     cache (ELIGO_REDIS_ADDR);
//   - goredis-get: the article's design, one Redis GET per request with
//     go-redis, the same key and value, decoded the same way.
//
// Each request reads the next of 1,000 orders with its customer's token
// (a map page polling), so every order is hot. The modes take turns in
// short phases (readPathRounds rounds of readPathPhase each); the benchmark
// reports each mode's median req/s and the median of the per-round ratios
// redis/embedded (target >= 0.85) and redis/goredis-get (target >= 2). It
// runs once, whatever -benchtime says:
//
//	go test -run '^$' -bench BenchmarkReadPath ./internal/redis/
func BenchmarkReadPath(b *testing.B) {
	addr := testenv.RedisAddr(b)
	ctx := context.Background()
	store := stack.OpenStore(b, stack.SQLite)
	secret := stack.DefaultCustomerSecret

	client, err := NewClient(ctx, ClientConfig{Addr: addr, Name: "eligo-bench"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(client.Close)
	var p [6]byte
	_, _ = rand.Read(p[:])
	prefix := "eligo-bench-" + hex.EncodeToString(p[:])
	rm, err := NewReadModel(client, &ReadModelConfig{Prefix: prefix})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rm.Close() })
	rdb := goredis.NewClient(&goredis.Options{Addr: addr})
	b.Cleanup(func() { rdb.Close() })

	models := []struct {
		name  string
		model eligo.ReadModel
	}{
		{"embedded", readmodel.NewMemory()},
		{"redis", rm},
		{"goredis-get", &getPerRequest{rdb: rdb, prefix: prefix}},
	}
	targets := seedReadPath(b, store, secret, rm, 1000)
	hostPorts := make([]string, len(models))
	for i, m := range models {
		srv := stack.New(b, stack.Config{Store: store, ReadModel: m.model, NoLive: true})
		if _, err := srv.Engine.Rebuild(ctx); err != nil {
			b.Fatal(err)
		}
		hostPorts[i] = strings.TrimPrefix(srv.URL, "http://")
	}
	// Short phases of the three modes in turn, each round starting with
	// the next mode, so that the machine's noise weighs on each alike; the
	// figures are medians over rounds, ratios taken within each round.
	redisPID := localRedisPID(b, client)
	rps := make([][]float64, len(models))
	cpu := make([][]float64, len(models))      // this process and redis-server
	redisCPU := make([][]float64, len(models)) // redis-server alone
	for r := range readPathRounds {
		for k := range models {
			i := (r + k) % len(models)
			self0, redis0 := selfCPU(), processCPU(redisPID)
			n, reqs, err := loadReadPath(hostPorts[i], targets, readPathPhase)
			if err != nil {
				b.Fatalf("%s: %v", models[i].name, err)
			}
			self, srv := selfCPU()-self0, processCPU(redisPID)-redis0
			rps[i] = append(rps[i], n)
			cpu[i] = append(cpu[i], float64((self+srv).Microseconds())/float64(reqs))
			redisCPU[i] = append(redisCPU[i], float64(srv.Microseconds())/float64(reqs))
		}
	}
	ratio := func(x, y int) float64 {
		v := make([]float64, readPathRounds)
		for r := range v {
			v[r] = rps[x][r] / rps[y][r]
		}
		return median(v)
	}
	for i, m := range models {
		b.ReportMetric(median(rps[i]), m.name+"-req/s")
		b.ReportMetric(median(cpu[i]), m.name+"-cpu-µs/req")
		b.Logf("%-12s req/s by round: %.0f", m.name, rps[i])
		b.Logf("%-12s CPU µs/req by round: %.1f (redis-server: %.1f)", m.name, cpu[i], redisCPU[i])
	}
	b.ReportMetric(ratio(1, 0), "redis/embedded")
	b.ReportMetric(ratio(1, 2), "redis/goredis-get")
	// CPU per request: this process (servers and load generator) and, when
	// it runs here, redis-server. On a shared machine it moves less than
	// req/s; its inverse ratio is what the same cores could serve.
	b.ReportMetric(median(redisCPU[2]), "goredis-get-redis-server-cpu-µs/req")
	b.ReportMetric(median(cpu[0])/median(cpu[1]), "redis/embedded-by-cpu")
	b.ReportMetric(median(cpu[2])/median(cpu[1]), "redis/goredis-get-by-cpu")
	if redisPID == 0 {
		b.Logf("redis-server is not a local process: its CPU is not counted, which flatters goredis-get")
	}
	b.ReportMetric(0, "ns/op")
}

// localRedisPID returns the process id of the Redis server when it runs on
// this machine, else 0.
func localRedisPID(b *testing.B, c rueidis.Client) int {
	info, err := c.Do(context.Background(), c.B().Info().Section("server").Build()).ToString()
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "process_id:"); ok {
			pid, _ := strconv.Atoi(v)
			if _, err := os.Stat(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
				return pid
			}
		}
	}
	return 0
}

// selfCPU returns the CPU time (user and system) this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// processCPU returns the CPU time process pid has used, or 0 when pid is 0
// or its /proc entry cannot be read.
func processCPU(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// utime and stime, fields 14 and 15, in clock ticks (100 a second on
	// Linux); the command name before them is parenthesized.
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// The rounds and the length of each mode's phase in a round.
const (
	readPathRounds = 15
	readPathPhase  = time.Second
)

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// getPerRequest is the baseline read model: a go-redis GET on every read.
type getPerRequest struct {
	rdb    *goredis.Client
	prefix string
}

func (g *getPerRequest) Get(ctx context.Context, id string) (eligo.Order, bool, error) {
	v, err := g.rdb.Get(ctx, OrderKey(g.prefix, id)).Result()
	if err == goredis.Nil {
		return eligo.Order{}, false, nil
	} else if err != nil {
		return eligo.Order{}, false, err
	}
	o, err := decodeSnapshot(v)
	return o, err == nil, err
}

func (g *getPerRequest) Put(context.Context, eligo.Order) (bool, error) { return false, nil }

// seedReadPath creates n orders promised an hour out, puts them in Redis
// and returns one prepared request for each, with its customer's token.
func seedReadPath(b *testing.B, store eligo.OrderStore, secret []byte, rm *ReadModel, n int) [][]byte {
	b.Helper()
	ctx := context.Background()
	promised := time.Now().Add(time.Hour)
	reqs := make([][]byte, n)
	for i := range n {
		id, cust := fmt.Sprintf("ord-%d", i), fmt.Sprintf("cust-%d", i)
		o, _, err := store.CreateOrder(ctx, &eligo.CreateOrderParams{Order: eligo.NewOrderParams{ID: id, CustomerID: cust, PromisedAt: promised}, Who: eligo.WhoService})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := rm.Put(ctx, o); err != nil {
			b.Fatal(err)
		}
		tok, err := auth.MintCustomerToken(secret, cust, 24*time.Hour, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		reqs[i] = []byte("GET /v1/orders/" + id + "/eligibility HTTP/1.1\r\nHost: eligo\r\nAuthorization: Bearer " + tok + "\r\n\r\n")
	}
	return reqs
}

// loadReadPath is the load generator: for d, 8 keep-alive connections
// (4 per CPU here), each writing one prepared request at a time and
// skimming the response, so that on a small machine the server's cost
// dominates the client's. It returns the requests answered per second and
// in all.
func loadReadPath(hostPort string, reqs [][]byte, d time.Duration) (rps float64, n int64, err error) {
	const conns = 8
	var done atomic.Int64
	errs := make(chan error, conns)
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for c := range conns {
		wg.Go(func() {
			conn, err := net.Dial("tcp", hostPort)
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close()
			br := bufio.NewReaderSize(conn, 4096)
			n := 0
			for i := c * len(reqs) / conns; time.Now().Before(deadline); i++ {
				if _, err := conn.Write(reqs[i%len(reqs)]); err != nil {
					errs <- err
					return
				}
				if err := skimOK(br); err != nil {
					errs <- err
					return
				}
				n++
			}
			done.Add(int64(n))
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, 0, err
	}
	return float64(done.Load()) / time.Since(start).Seconds(), done.Load(), nil
}

// skimOK reads one 200 response with a Content-Length body.
func skimOK(br *bufio.Reader) error {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(line, []byte("HTTP/1.1 200 ")) {
		return fmt.Errorf("status line %q", line)
	}
	n := -1
	for {
		if line, err = br.ReadSlice('\n'); err != nil {
			return err
		}
		if len(line) <= 2 {
			break
		}
		if v, ok := bytes.CutPrefix(line, []byte("Content-Length: ")); ok {
			n, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
		}
	}
	if n < 0 {
		return fmt.Errorf("no Content-Length")
	}
	_, err = io.CopyN(io.Discard, br, int64(n))
	return err
}
