#!/usr/bin/env bash
# Ingest rate of `mlt log stream` (kv lines, 3 keys per line) beside the floor: a C++ program that
# bulk-inserts the same number of rows into the same table with a prepared statement
# (bench/floor_bulk.cpp). Then the concurrent cases: 16 processes x POINTS/100 points into 16 runs,
# and 8 processes into one run with disjoint steps; counts and summaries are checked exactly.
# Usage: bench/stream.sh [POINTS]   (default 10,000,000; env MLT_BIN, FLOOR_BIN)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mlt=${MLT_BIN:-$here/../build/mlt}
floor=${FLOOR_BIN:-$here/../build/bench/bench_floor_bulk}
points=${1:-10000000}
[ "${BENCH_SMOKE:-0}" = 1 ] && points=30000
lines=$((points / 3))
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset MLT_DIR MLT_RUN_ID MLT_NOW_MS MLT_EXPERIMENT
fail() { echo "bench: $*" >&2; exit 1; }

awk -v n="$lines" 'BEGIN { for (i = 0; i < n; i++) printf "loss=%.6f acc=%.6f lr=0.001 step=%d\n", 1/(i+1), i/(n+1), i }' \
  >"$work/points.kv"

mkdir "$work/floor" "$work/mlt"
(cd "$work/floor" && "$mlt" -q init . && "$mlt" run start --no-git >/dev/null)
(cd "$work/mlt" && "$mlt" -q init . && "$mlt" run start --no-git >"$work/run")
read -r _ floor_s < <("$floor" "$work/floor/.mlt/mlt.db" $((lines * 3)))
start=$(date +%s%N)
/usr/bin/time -f "%M" -o "$work/rss" "$mlt" -q -C "$work/mlt" log stream --run "$(cat "$work/run")" <"$work/points.kv"
end=$(date +%s%N)
mlt_s=$(awk -v ns=$((end - start)) 'BEGIN { printf "%.3f", ns / 1e9 }')
rss_kb=$(cat "$work/rss")
count=$("$mlt" -C "$work/mlt" --json run show "$(cat "$work/run")" | jq '[.metrics[].count] | add')
[ "$count" = $((lines * 3)) ] || fail "expected $((lines * 3)) points, found $count"
awk -v p=$((lines * 3)) -v f="$floor_s" -v m="$mlt_s" -v rss="$rss_kb" 'BEGIN {
  printf "ingest of %d kv points (3 keys per line) from a file\n", p
  printf "  floor (prepared INSERTs, 10k per transaction): %8.0f points/s  (%.2f s)\n", p / f, f
  printf "  mlt log stream:                                %8.0f points/s  (%.2f s)\n", p / m, m
  printf "  ratio mlt/floor: %.0f%% (target >= 70%%); peak RSS %.1f MB (target < 50 MB)\n", 100 * f / m, rss / 1024
}'

# 16 writers into 16 runs at once
per=$((points / 100)); [ "$per" -lt 1000 ] && per=1000
mkdir "$work/many" && cd "$work/many" && "$mlt" -q init .
awk -v n="$per" 'BEGIN { for (i = 0; i < n; i++) printf "x=%d step=%d\n", i, i }' >"$work/one.kv"
runs=()
for i in $(seq 16); do runs+=("$("$mlt" run start --no-git)"); done
start=$(date +%s%N)
for r in "${runs[@]}"; do "$mlt" -q log stream --run "$r" <"$work/one.kv" & done
wait
end=$(date +%s%N)
for r in "${runs[@]}"; do
  c=$("$mlt" --json run show "$r" | jq '.metrics.x.count')
  [ "$c" = "$per" ] || fail "run $r has $c points, expected $per"
done
ok=$(sqlite3 .mlt/mlt.db 'PRAGMA integrity_check' 2>/dev/null || echo "ok (sqlite3 CLI absent)")
awk -v n=$((16 * per)) -v ns=$((end - start)) -v ok="$ok" 'BEGIN {
  printf "16 processes x %d points into 16 runs: %.0f points/s aggregate, counts exact, integrity_check %s\n", n / 16, n / (ns / 1e9), ok }'

# 8 writers into one run, disjoint steps
shared=$("$mlt" run start --no-git)
start=$(date +%s%N)
for w in $(seq 0 7); do
  awk -v n="$per" -v w="$w" 'BEGIN { for (i = 0; i < n; i++) printf "y=%d step=%d\n", w * n + i, w * n + i }' |
    "$mlt" -q log stream --run "$shared" &
done
wait
end=$(date +%s%N)
summary=$("$mlt" --json run show "$shared" | jq -c '.metrics.y | [.count, .min, .max, .last, .step]')
want="[$((8 * per)),0,$((8 * per - 1)),$((8 * per - 1)),$((8 * per - 1))]"
[ "$summary" = "$want" ] || fail "summary $summary, expected $want"
awk -v n=$((8 * per)) -v ns=$((end - start)) 'BEGIN {
  printf "8 processes into one run (disjoint steps): %d points, %.0f points/s, summary exact\n", n, n / (ns / 1e9) }'
