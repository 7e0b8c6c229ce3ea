#!/usr/bin/env bash
# device-bench.sh: eligo's three benchmarks in one run on one Linux machine,
# sized from its CPU count, in at most 8 minutes, with one summary.
#
#   1. read path: `eligo serve` and `eligo load --ratio` (as
#      scripts/readpath-ratio.sh): eligibility against /healthz with
#      customer tokens, and the server's CPU time per request; the client is
#      wrk when it is on PATH, else eligo's own Go client (the summary says
#      which, and why).
#   2. live: `eligo serve` and cmd/eligo-livebench: one WebSocket per
#      order, memory per connection, arrival and storm push latency, lost
#      documents. The script raises its open-file limit for the subscribers
#      where it can (and says what it got; fewer subscribers when it got
#      less), and spreads them over local addresses 127.0.0.1..N when one
#      address has too few ephemeral ports.
#   3. the seed's traffic: `eligo load --orders N --duration D` against
#      `eligo serve`, every answer checked.
#
# Each part has its own server on a fresh data directory, its own time
# budget and a timeout; the three parts stop at DEVICE_BENCH_BUDGET seconds
# (480) after the build, which is timed apart (DEVICE_BENCH_BUILD_BUDGET,
# 600 s). It writes summary.txt and summary.json (and each part's raw
# report and logs) to DEVICE_BENCH_OUT, else $OUT, else a new temporary
# directory, and exits non-zero when a part failed, an answer was wrong or
# the summary lacks a figure. Speed is reported, never judged.
#
# Sizes: from nproc (16 CPUs or more: 100,000 subscribers, 60,000 orders
# in 60 s; fewer CPUs: 7,500 subscribers and 3,750 orders per CPU, 30 s),
# or DEVICE_BENCH_SIZE=tiny for CI (200 subscribers, 500 orders, 5 s).
# Each can be set: DEVICE_BENCH_SUBSCRIBERS, DEVICE_BENCH_ORDERS,
# DEVICE_BENCH_DURATION, DEVICE_BENCH_RATIO_ROUNDS, DEVICE_BENCH_RATIO_PHASE,
# DEVICE_BENCH_RATIO_CONNS, DEVICE_BENCH_RATIO_TOOL (wrk or go),
# DEVICE_BENCH_STORM_RATE, DEVICE_BENCH_STORM_DURATION,
# DEVICE_BENCH_LIVE_BUDGET (seconds), DEVICE_BENCH_BUDGET (seconds).
# DEVICE_BENCH_BIN_DIR: use eligo, eligo-livebench and devicebench from
# this directory instead of building them (a machine without Go or its
# modules; build them with
#   CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o DIR/ ./cmd/eligo ./cmd/eligo-livebench ./scripts/devicebench).
#
# Usage: scripts/device-bench.sh            (needs bash, coreutils; go unless DEVICE_BENCH_BIN_DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
fail() { echo "device-bench: FAIL: $*" >&2; exit 1; }
step() { echo "== device-bench: $*"; }

# --- the machine
cpus=$(nproc)
mem_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
kernel="$(uname -sr)"
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
gover="$(go version 2>/dev/null | cut -d' ' -f3 || true)"
echo "device-bench: $cpus CPUs, $((mem_kb / 1024)) MiB memory, $kernel, load average $load_start, ${gover:-no go}, open files $(ulimit -Sn) (hard $(ulimit -Hn))"

# --- sizes
size="${DEVICE_BENCH_SIZE:-machine}"
case "$size" in
  tiny) subs=200 orders=500 duration=5s rounds=1 phase=1s conns=8 storm_rate=500 storm_duration=2s settle=1s live_budget=60 ;;
  machine)
    if ((cpus >= 16)); then subs=100000 orders=60000 duration=60s
    else subs=$((cpus * 7500)) orders=$((cpus * 3750)) duration=30s
    fi
    rounds=5 phase=2s conns=$((cpus * 8 < 32 ? 32 : (cpus * 8 > 256 ? 256 : cpus * 8)))
    storm_rate=10000 storm_duration=10s settle=5s live_budget=210 ;;
  *) fail "DEVICE_BENCH_SIZE must be tiny or machine, not $size" ;;
esac
subs="${DEVICE_BENCH_SUBSCRIBERS:-$subs}"
orders="${DEVICE_BENCH_ORDERS:-$orders}"
duration="${DEVICE_BENCH_DURATION:-$duration}"
rounds="${DEVICE_BENCH_RATIO_ROUNDS:-$rounds}"
phase="${DEVICE_BENCH_RATIO_PHASE:-$phase}"
conns="${DEVICE_BENCH_RATIO_CONNS:-$conns}"
storm_rate="${DEVICE_BENCH_STORM_RATE:-$storm_rate}"
storm_duration="${DEVICE_BENCH_STORM_DURATION:-$storm_duration}"
live_budget="${DEVICE_BENCH_LIVE_BUDGET:-$live_budget}"
budget="${DEVICE_BENCH_BUDGET:-480}"
for v in subs orders rounds conns storm_rate live_budget budget; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || fail "$v must be a positive whole number, not '${!v}'"
done
secs() { # 30s, 2m or 1500ms -> whole seconds, rounded up
  case "$1" in
    *ms) echo $(((${1%ms} + 999) / 1000)) ;; *s) echo "${1%s}" ;; *m) echo $((${1%m} * 60)) ;;
    *) fail "durations are written like 30s, 2m or 500ms, not '$1'" ;;
  esac
}
duration_s=$(secs "$duration") phase_s=$(secs "$phase") storm_s=$(secs "$storm_duration")

# --- output and work directories, and the processes to stop on exit
out="${DEVICE_BENCH_OUT:-${OUT:-}}"
[ -n "$out" ] || out=$(mktemp -d /tmp/eligo-device-bench.XXXXXX)
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d /tmp/eligo-device-bench-work.XXXXXX)
pids=()
stop_pid() { # TERM, up to 15 s, then KILL
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local pid
  for pid in "${pids[@]}"; do stop_pid "$pid"; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
info() { printf '%s=%s\n' "$1" "$2" >>"$out/info.txt"; }
: >"$out/info.txt"
info started "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
info budget_s "$budget"
info machine.cpus "$cpus"
info machine.memory_kb "$mem_kb"
info machine.kernel "$kernel"
info machine.load_start "$load_start"
info machine.go "${gover:-none}"
left() { echo $((budget - (SECONDS - start))); }

# --- binaries: the build is timed apart from the budget (seconds with a
# warm cache; the first build of a fresh machine can take minutes)
build_budget="${DEVICE_BENCH_BUILD_BUDGET:-600}"
if [ -n "${DEVICE_BENCH_BIN_DIR:-}" ]; then
  bin=$(cd "$DEVICE_BENCH_BIN_DIR" && pwd)
  info binaries "prebuilt in $bin"
  info build_s 0
else
  command -v go >/dev/null || fail "go is not installed: install it, or set DEVICE_BENCH_BIN_DIR to prebuilt binaries"
  step "build eligo, eligo-livebench and the summary (up to $build_budget s)"
  bin="$work/bin"
  # The Dockerfile's flags, so that CI reuses what scripts/ci-container.sh compiled.
  CGO_ENABLED=0 timeout -k 5 "$build_budget" go build -trimpath -buildvcs=false -ldflags='-s -w' \
    -o "$bin/" ./cmd/eligo ./cmd/eligo-livebench ./scripts/devicebench \
    || fail "the build failed or took over $build_budget s"
  info binaries "built from $(git describe --tags --always --dirty 2>/dev/null || echo 'this tree')"
  info build_s $((SECONDS - start))
  echo "device-bench: built in $((SECONDS - start)) s; the ${budget} s budget starts now"
fi
start=$SECONDS
for b in eligo eligo-livebench devicebench; do [ -x "$bin/$b" ] || fail "$bin/$b is missing"; done

# --- open files and local addresses for the live part
# The live server and client each hold a socket per subscriber, the load
# part's up to 10,000 streams: raise the soft limit, else the hard one
# (root), else take the hard one and run fewer subscribers.
want=$(((subs > 10000 ? subs : 10000) + 2048))
hard_before=$(ulimit -Hn) soft_before=$(ulimit -Sn)
note="had $soft_before (hard $hard_before), asked $want"
if [ "$soft_before" != unlimited ] && ((soft_before < want)); then
  ulimit -Sn "$want" 2>/dev/null || ulimit -n "$want" 2>/dev/null || ulimit -Sn "$hard_before" 2>/dev/null || true
  note="raised: $note"
fi
nofile=$(ulimit -Sn)
[ "$nofile" = unlimited ] && nofile=$((want * 4))
subs_run=$subs
if ((nofile < subs + 2048)); then
  subs_run=$((nofile > 2148 ? nofile - 2048 : 100))
  note="$note; the limit could not be raised so far: subscribers capped to $subs_run"
fi
read -r port_lo port_hi </proc/sys/net/ipv4/ip_local_port_range
per_addr=$(((port_hi - port_lo + 1) * 9 / 10))
local_addrs=$(((subs_run + per_addr - 1) / per_addr))
arrivals=$((subs_run / 10 < 200 ? subs_run / 10 : 200))
((arrivals >= 1)) || arrivals=1
((subs_run > arrivals)) || fail "too few subscribers ($subs_run) for the arrival samples"
# Each storm order takes 7 changes (eligo-livebench): fewer subscribers
# than the storm needs lower its rate.
max_rate=$((7 * (subs_run - arrivals) / storm_s))
if ((storm_rate > max_rate)); then
  echo "device-bench: the storm's rate lowered from $storm_rate to $max_rate changes/s: $((subs_run - arrivals)) storm orders of 7 changes in $storm_s s"
  storm_rate=$max_rate
fi
echo "device-bench: open files $nofile ($note); $subs_run subscribers from $local_addrs local address(es)"
info live.open_files "$nofile"
info live.open_files_note "$note"
info live.subscribers_requested "$subs"
info live.subscribers "$subs_run"
info live.local_addrs "$local_addrs"
info live.storm_rate "$storm_rate"
info load.orders "$orders"
info load.duration "$duration"
max_conns=$((nofile > 12048 ? nofile - 1024 : 10000))

# serve NAME [FLAGS]: starts eligo serve on a fresh data directory and a free
# port; sets server (its pid), url and data.
serve() {
  local name=$1; shift
  data="$work/$name-data"
  "$bin/eligo" serve --addr 127.0.0.1:0 --data-dir "$data" --log-level warn --log-format text "$@" \
    >"$out/$name-serve.out" 2>"$out/$name-serve.log" &
  server=$!
  pids+=("$server")
  url=""
  for _ in $(seq 300); do
    url=$(sed -n 's/^eligo is serving on \(http:[^ ]*\)$/\1/p' "$out/$name-serve.out")
    [ -n "$url" ] && return 0
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
  done
  echo "device-bench: the $name server did not start; its log:" >&2
  tail -n 20 "$out/$name-serve.log" >&2
  return 1
}

# part NAME BUDGET COMMAND...: runs the client with a timeout of the smaller
# of BUDGET and what is left of the run (the part's server is already up),
# then stops the server; records the part's status in info.txt.
part() {
  local name=$1 part_budget=$2; shift 2
  local t0=$SECONDS limit rc=0 status
  limit=$(left)
  ((limit < part_budget)) || limit=$part_budget
  if ((limit < 5)); then
    status="skipped: the ${budget} s budget was spent"
  else
    step "$name: up to $limit s: ${1##*/}"
    timeout -k 5 "$limit" "$@" >"$out/$name.stdout" 2>"$out/$name.log" &
    pids+=("$!")
    wait "$!" || rc=$?
    if ((rc == 0)) && ! kill -0 "$server" 2>/dev/null; then
      status="the server ended during the part; see $name-serve.log"
    elif ((rc == 0)); then status=ok
    elif ((rc == 124 || rc == 137)); then status="timed out after $limit s; see $name.log"
    else status="failed (exit $rc); see $name.log: $(tail -n 1 "$out/$name.log")"
    fi
  fi
  stop_pid "$server"
  info "$name.status" "$status"
  info "$name.seconds" $((SECONDS - t0))
  info "$name.budget_s" "$part_budget"
  echo "device-bench: $name: $status ($((SECONDS - t0)) s)"
}

# --- 1. the read path
tool="${DEVICE_BENCH_RATIO_TOOL:-}"
if [ -z "$tool" ]; then
  if command -v wrk >/dev/null; then tool=wrk
  else tool=go; info readpath.tool_note "wrk is not on PATH: eligo's Go client"
  fi
fi
info readpath.tool "$tool"
t_read=$((30 + 2 * rounds * phase_s))
if serve readpath; then
  part readpath "$t_read" "$bin/eligo" load --url "$url" --data-dir "$data" --server-pid "$server" --ratio --ratio-tool "$tool" \
    --ratio-rounds "$rounds" --ratio-phase "$phase" --ratio-conns "$conns" --json
  [ -s "$out/readpath.stdout" ] && mv "$out/readpath.stdout" "$out/readpath.json"
else info readpath.status "the server did not start; see readpath-serve.log"
fi

# --- 2. the live bench
if serve live --live-max-conns "$((subs_run + 100))" --max-conns "$((subs_run + 1000))"; then
  part live "$live_budget" "$bin/eligo-livebench" -url "$url" -token "$("$bin/eligo" token service --data-dir "$data")" -pid "$server" \
    -n "$subs_run" -arrivals "$arrivals" -rate "$storm_rate" -duration "$storm_duration" -settle "$settle" -local-addrs "$local_addrs"
  mv "$out/live.stdout" "$out/livebench.txt"
else info live.status "the server did not start; see live-serve.log"
fi

# --- 3. the seed's traffic
if serve load --max-conns "$max_conns"; then
  part load "$((duration_s + 60))" "$bin/eligo" load --url "$url" --data-dir "$data" --server-pid "$server" \
    --orders "$orders" --duration "$duration" --json
  [ -s "$out/load.stdout" ] && mv "$out/load.stdout" "$out/load.json"
else info load.status "the server did not start; see load-serve.log"
fi

# --- the summary
info machine.load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
info total_s $((SECONDS - start))
echo
rc=0
"$bin/devicebench" "$out" || rc=$?
echo
echo "device-bench: summary.txt, summary.json and each part's report and logs in $out"
exit "$rc"
