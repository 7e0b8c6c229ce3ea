#!/usr/bin/env bash
# kill-repair.sh: kill -9 a replica during a write stream on PostgreSQL +
# Redis, and measure how long until every order in Redis is at the store's
# version (issue 11, item 8: the read-model repair).
#
# Starts its own redis-server (port $REDIS_PORT, default 16391) and two
# replicas (A on 18081, B on 18082) on a fresh schema of $PGURL, creates 600
# orders, posts 8 batches of 300 events to A at once, kills A with SIGKILL
# after $KILL_AFTER seconds (default 0.2; the batches' commits and Puts are
# then under way), and checks Redis against the store every 0.2 s. With
# SOLO=1 only A runs, and a fresh replica is started after the kill: the
# repair at start. It prints how many orders Redis held at an older version
# and when the last one was repaired. Needs psql, redis-server, redis-cli,
# curl, bc. In CI, cmd/eligo's TestReplicasKillRepair checks the same bound
# with the kill made to land between commit and Put every time.
set -u
cd "$(dirname "$0")/.."
PGURL="${PGURL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
RP="${REDIS_PORT:-16391}"
SCHEMA=eligo_kill_repair
D=$(mktemp -d)
BIN=$D/eligo
go build -o "$BIN" ./cmd/eligo || exit 1
psql "$PGURL" -qc "DROP SCHEMA IF EXISTS $SCHEMA CASCADE; CREATE SCHEMA $SCHEMA" >/dev/null 2>&1
redis-server --port "$RP" --bind 127.0.0.1 --save "" --appendonly no --dir "$D" >"$D/redis.log" 2>&1 &
RPID=$!
sleep 0.5
export ELIGO_SERVICE_TOKENS=svc-token-kill-repair-0123456789 ELIGO_CUSTOMER_TOKEN_SECRET=0123456789abcdef0123456789abcdef
start() {
	"$BIN" serve -addr "127.0.0.1:$2" -data-dir "$D/data$1" -workers=false \
		-postgres-url "$PGURL&search_path=$SCHEMA" -redis-addr "127.0.0.1:$RP" >"$D/replica$1.log" 2>&1 &
	echo $!
}
A=$(start a 18081)
B=$(start b 18082)
[ -n "${SOLO:-}" ] && { kill "$B"; wait "$B" 2>/dev/null; }
for p in 18081 18082; do for _ in $(seq 100); do curl -sf "localhost:$p/readyz" >/dev/null && break; sleep 0.1; done; done
H="Authorization: Bearer $ELIGO_SERVICE_TOKENS"
N=600
for i in $(seq 0 $((N - 1))); do echo "{\"id\":\"ord-$i\",\"customer_id\":\"c\",\"promised_at\":\"2030-01-01T00:00:00Z\"}"; done |
	xargs -d '\n' -P 8 -I{} curl -sf -o /dev/null -H "$H" -H 'Content-Type: application/json' -d {} localhost:18081/v1/orders
batch() {
	local out="["
	for i in $(seq $(($2 * 300)) $(($2 * 300 + 299))); do
		out+="{\"event_id\":\"ev-$1-$i\",\"order_id\":\"ord-$i\",\"type\":\"driver_status\",\"status\":\"$1\"},"
	done
	echo "${out%,}]"
}
for s in ASSIGNED AT_STORE PICKED_UP ARRIVED_AT_DOORSTEP; do for b in 0 1; do batch $s $b >"$D/batch-$s-$b.json"; done; done
(
	for s in ASSIGNED AT_STORE PICKED_UP ARRIVED_AT_DOORSTEP; do for b in 0 1; do
		curl -s -o /dev/null -H "$H" -H 'Content-Type: application/json' --data-binary "@$D/batch-$s-$b.json" localhost:18081/v1/events &
	done; done
	wait
) &
W=$!
sleep "${KILL_AFTER:-0.2}"
kill -9 "$A"
T0=$(date +%s.%N)
echo "killed A with SIGKILL"
wait "$W" 2>/dev/null
[ -n "${SOLO:-}" ] && { B=$(start b 18082); echo "started a fresh replica after the kill"; }
stale() {
	psql "$PGURL" -Atc "SELECT id||' '||version FROM $SCHEMA.orders ORDER BY id" >"$D/store.txt"
	# shellcheck disable=SC2046
	redis-cli -p "$RP" EVAL "local out={} for i,k in ipairs(KEYS) do local v=redis.call('GET',k) if v then out[#out+1]=string.match(k,'{(.*)}')..' '..string.match(v,'^(%d+):') end end return out" \
		"$(wc -l <"$D/store.txt")" $(awk '{printf "eligo:{%s}:order ", $1}' "$D/store.txt") >"$D/redis.txt"
	awk 'NR==FNR{r[$1]=$2; next} ($1 in r) && r[$1] < $2 {print $1, "redis=" r[$1], "store=" $2}' "$D/redis.txt" "$D/store.txt"
}
first=""
while :; do
	s=$(stale)
	n=$(echo -n "$s" | grep -c .)
	t=$(echo "$(date +%s.%N) - $T0" | bc)
	[ -z "$first" ] && { first=$n; echo "orders Redis held at an older version at the first check (${t}s after the kill): $n"; }
	[ "$n" = 0 ] && { echo "every order in Redis at the store's version ${t}s after the kill"; break; }
	(($(echo "$t > 60" | bc))) && { echo "still stale after 60s: $n"; break; }
	sleep 0.2
done
echo "repairs logged by the surviving replica: $(grep -c 'read model repair: the model held' "$D/replicab.log")"
kill "$B" "$RPID" 2>/dev/null
wait "$B" "$RPID" 2>/dev/null
psql "$PGURL" -qc "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1
rm -rf "$D"
