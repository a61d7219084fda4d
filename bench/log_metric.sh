#!/usr/bin/env bash
# Wall time of one one-shot `mlt log metric` call, beside the floor: a minimal C program that
# opens the same database, inserts one row and exits (bench/floor_insert.c).
# Usage: bench/log_metric.sh [CALLS]   (env MLT_BIN, FLOOR_BIN; default build/ paths)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mlt=${MLT_BIN:-$here/../build/mlt}
floor=${FLOOR_BIN:-$here/../build/bench/bench_floor_insert}
calls=${1:-1000}
[ "${BENCH_SMOKE:-0}" = 1 ] && calls=5
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
unset MLT_DIR MLT_RUN_ID MLT_NOW_MS MLT_EXPERIMENT
"$mlt" -q init .
run=$("$mlt" run start --no-git -n bench)
"$mlt" log metric --run "$run" loss=1   # creates the metric key, so both insert into warm tables
rowid=1   # the first run of a fresh project

time_loop() {  # prints mean milliseconds per call of "$@"
  local start end
  start=$(date +%s%N)
  for ((i = 0; i < calls; i++)); do "$@" >/dev/null; done
  end=$(date +%s%N)
  awk -v ns=$((end - start)) -v n="$calls" 'BEGIN { printf "%.3f", ns / n / 1e6 }'
}
# warm the page cache for both programs
for _ in 1 2 3; do "$floor" .mlt/mlt.db "$rowid"; "$mlt" log metric --run "$run" --step 0 loss=0.5; done
floor_ms=$(time_loop "$floor" .mlt/mlt.db "$rowid")
mlt_ms=$(time_loop "$mlt" log metric --run "$run" --step 1 loss=0.5)
ratio=$(awk -v a="$mlt_ms" -v b="$floor_ms" 'BEGIN { printf "%.2f", a / b }')
echo "one-shot log metric, $calls calls each"
echo "  floor (open, insert one row, close): $floor_ms ms/call"
echo "  mlt log metric --run ID k=v:          $mlt_ms ms/call"
echo "  ratio mlt/floor:                      $ratio (target <= 2)"
n=$("$mlt" --json run show "$run" | jq '.metrics.loss.count')
want=$((calls + 4))   # mlt's own points (the floor's rows bypass the summary)
if [ "$n" != "$want" ]; then echo "bench: expected $want points, found $n" >&2; exit 1; fi
