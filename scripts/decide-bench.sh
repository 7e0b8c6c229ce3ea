#!/usr/bin/env bash
# Decide's cost, before and after a change, side by side in one run:
# BenchmarkDecide of BASE (default: main before issue 17's policies), and
# BenchmarkDecide and BenchmarkDecideSegment (an order of a policy's second
# segment, an action bounded by a named deadline) of this tree, in N paired
# rounds (default 25). It prints each median and the median of the
# per-round ratios, which a noisy machine moves far less than the times.
#
#   scripts/decide-bench.sh [BASE] [N]        (needs GNU awk, for asort)
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-8a25de0}
rounds=${2:-25}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add -q --detach "$work/base" "$base"
(cd "$work/base" && go test -c -o "$work/before.test" .)
go test -c -o "$work/after.test" .

bench() { "$1" -test.run '^$' -test.bench "^$2\$" -test.benchtime 1000000x -test.cpu 1 | awk '/^Benchmark/ {print $3}'; }
for _ in $(seq 1 "$rounds"); do
  echo "$(bench "$work/before.test" BenchmarkDecide) $(bench "$work/after.test" BenchmarkDecide) $(bench "$work/after.test" BenchmarkDecideSegment)"
done | awk -v base="$base" '
  { b[NR] = $1; a[NR] = $2; s[NR] = $3; ab[NR] = $2 / $1; sa[NR] = $3 / $2; sb[NR] = $3 / $1 }
  END {
    n = NR; m = int((n + 1) / 2)
    asort(b); asort(a); asort(s); asort(ab); asort(sa); asort(sb)
    printf "%d rounds; medians: BenchmarkDecide %s %.1f ns, this tree %.1f ns; BenchmarkDecideSegment %.1f ns\n", n, base, b[m], a[m], s[m]
    printf "paired ratios (median): Decide this/%s %.2f; Segment/Decide (this tree) %.2f; Segment/Decide %s %.2f\n", base, ab[m], sa[m], base, sb[m]
  }'
