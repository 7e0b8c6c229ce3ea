package redisserver

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// StartCluster starts masters cluster-mode servers (three at least, as
// redis-cli requires), joins them into one Redis Cluster without
// replicas, and waits until every node says the cluster is ok. It
// returns the nodes; any of their addresses is a seed.
func StartCluster(t testing.TB, masters int) []*Server {
	t.Helper()
	nodes := make([]*Server, masters)
	args := []string{"--cluster", "create"}
	for i := range nodes {
		nodes[i] = Start(t, Options{Cluster: true})
		args = append(args, nodes[i].Addr)
	}
	Cli(t, nil, append(args, "--cluster-replicas", "0", "--cluster-yes")...)
	deadline := time.Now().Add(10 * time.Second)
	for _, n := range nodes {
		for !strings.Contains(Cli(t, []string{"-p", strconv.Itoa(n.Port)}, "cluster", "info"), "cluster_state:ok") {
			if time.Now().After(deadline) {
				t.Fatalf("the cluster node %s never said cluster_state:ok", n.Addr)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nodes
}

// Seeds returns the nodes' addresses, comma-separated.
func Seeds(nodes []*Server) string {
	addrs := make([]string, len(nodes))
	for i, n := range nodes {
		addrs[i] = n.Addr
	}
	return strings.Join(addrs, ",")
}

// StartSentinel starts a Sentinel that watches master under the name
// masterName, and waits until it answers with the master's address.
func StartSentinel(t testing.TB, master *Server, masterName string) *Server {
	t.Helper()
	Require(t)
	port := freePort(t, false)
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	text := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor %s 127.0.0.1 %d 1\n", port, dir, masterName, master.Port)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: "127.0.0.1:" + strconv.Itoa(port), Port: port, log: filepath.Join(dir, "sentinel.log")}
	s.args = []string{conf, "--sentinel", "--logfile", s.log}
	s.Restart(t)
	t.Cleanup(s.Kill)
	out := Cli(t, []string{"-p", strconv.Itoa(port)}, "sentinel", "get-master-addr-by-name", masterName)
	if !strings.Contains(out, strconv.Itoa(master.Port)) {
		t.Fatalf("the sentinel on %s does not name the master %s: %s", s.Addr, master.Addr, out)
	}
	return s
}
