#!/usr/bin/env bash
# readpath-ratio.sh: the read-path benchmark in one command.
#
# Starts `eligo serve` on a fresh data directory, then runs
# `eligo load --ratio`: 1,000 orders are created, and the same client reads
# GET /v1/orders/{id}/eligibility (with each order's customer token) and
# GET /healthz (with the same headers) in alternating phases of one run.
# It prints each round and the median ratio eligibility/healthz of
# requests per second; the target is at least 0.90. It also prints the
# server's CPU time per request of each (from /proc) and their ratio, which
# other work on a shared machine skews far less than requests per second.
#
# The client is wrk (apt-get install wrk) when it is on PATH, else this
# binary's Go client; RATIO_TOOL=go or RATIO_TOOL=wrk chooses. Extra
# arguments go to `eligo load` (e.g. --ratio-rounds 20 --json).
set -euo pipefail
cd "$(dirname "$0")/.."

tool="${RATIO_TOOL:-}"
if [ -z "$tool" ]; then
  if command -v wrk >/dev/null; then tool=wrk; else tool=go; fi
fi
port="${RATIO_PORT:-18480}"
dir="$(mktemp -d)"
bin="$dir/eligo"
go build -o "$bin" ./cmd/eligo

"$bin" serve --addr "127.0.0.1:$port" --data-dir "$dir/data" --log-level warn >"$dir/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 100); do
  if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then break; fi
  sleep 0.1
done

echo "server pid $server on 127.0.0.1:$port, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin" load --url "http://127.0.0.1:$port" --data-dir "$dir/data" --server-pid "$server" --ratio --ratio-tool "$tool" "$@"
