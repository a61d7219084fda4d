#!/usr/bin/env bash
# Runs per second of `mlt run -- true`, one process at a time, beside the floor (bench/floor_run.c:
# spawn CMD and wait, alone and with the two one-row transactions a run needs), outside git and
# inside a git repository of 10,000 files (clean, then dirty); and the one-shot commands of the
# run lifecycle (run start, log param, log tag, run end) beside bench/floor_insert.c.
# Usage: bench/run.sh [RUNS]   (env MLT_BIN, FLOOR_BIN, FLOOR_INSERT_BIN; default build/ paths)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mlt=${MLT_BIN:-$here/../build/mlt}
floor=${FLOOR_BIN:-$here/../build/bench/bench_floor_run}
floor_insert=${FLOOR_INSERT_BIN:-$here/../build/bench/bench_floor_insert}
runs=${1:-300}
files=10000
if [ "${BENCH_SMOKE:-0}" = 1 ]; then runs=3; files=200; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset MLT_DIR MLT_RUN_ID MLT_NOW_MS MLT_EXPERIMENT GIT_DIR GIT_WORK_TREE
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com \
  GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
# outside git: the scratch folder must not sit inside a repository
export GIT_CEILING_DIRECTORIES=$work

rate() {  # prints "runs/s ms/run" of `$runs` calls of "$@"
  local start end i
  start=$(date +%s%N)
  for ((i = 0; i < runs; i++)); do "$@" >/dev/null 2>&1; done
  end=$(date +%s%N)
  awk -v ns=$((end - start)) -v n="$runs" 'BEGIN { printf "%7.1f runs/s  %6.2f ms/run", n / (ns / 1e9), ns / n / 1e6 }'
}
row() { printf '  %-46s %s\n' "$1" "$2"; }

mkdir "$work/plain" && cd "$work/plain"
"$mlt" -q init .
for _ in 1 2 3; do "$mlt" -q run -- true; "$floor" .mlt/mlt.db true; done   # warm the page cache
echo "mlt run -- true, $runs runs one at a time"
echo "outside git:"
row "floor: spawn and wait" "$(rate "$floor" - true)"
row "floor: spawn and wait, insert + end the run" "$(rate "$floor" .mlt/mlt.db true)"
row "mlt run -- true" "$(rate "$mlt" -q run -- true)"
row "mlt run --no-git -- true" "$(rate "$mlt" -q run --no-git -- true)"
row "mlt run --no-capture -- true" "$(rate "$mlt" -q run --no-capture -- true)"

echo "the lifecycle as one-shot commands (ms per command):"
lifecycle() {
  local start end i id total=0 s=0 p=0 t=0 e=0
  for ((i = 0; i < runs; i++)); do
    start=$(date +%s%N); id=$("$mlt" run start); end=$(date +%s%N); s=$((s + end - start))
    start=$(date +%s%N); "$mlt" log param --run "$id" lr=0.1 epochs=3; end=$(date +%s%N); p=$((p + end - start))
    start=$(date +%s%N); "$mlt" log tag --run "$id" stage=bench; end=$(date +%s%N); t=$((t + end - start))
    start=$(date +%s%N); "$mlt" -q run end "$id"; end=$(date +%s%N); e=$((e + end - start))
  done
  awk -v s=$s -v p=$p -v t=$t -v e=$e -v n="$runs" \
    'BEGIN { printf "  run start %.2f, log param %.2f, log tag %.2f, run end %.2f", s/n/1e6, p/n/1e6, t/n/1e6, e/n/1e6 }'
}
lifecycle
echo
row "floor: one-row insert (floor_insert.c)" "$(rate "$floor_insert" .mlt/mlt.db 1 | sed 's/runs\/s/calls\/s/; s/ms\/run/ms\/call/')"

# a repository of $files files in 100 folders, committed
repo="$work/repo"
mkdir "$repo" && cd "$repo"
git init -q -b main .
for ((d = 0; d < 100; d++)); do
  mkdir "d$d"
  for ((f = 0; f < files / 100; f++)); do echo "$d $f" >"d$d/f$f.txt"; done
done
git add -A >/dev/null && git commit -q -m files
"$mlt" -q init .
printf '.mlt/\n' >.git/info/exclude
for _ in 1 2 3; do "$mlt" -q run -- true; git status --porcelain >/dev/null; done
echo "inside a git repository of $files files:"
row "peer: git status --porcelain" "$(rate git status --porcelain)"
row "mlt run -- true (clean)" "$(rate "$mlt" -q run -- true)"
row "mlt run --no-git -- true" "$(rate "$mlt" -q run --no-git -- true)"
echo "x" >>d0/f0.txt
echo "new" >untracked.txt
row "mlt run -- true (1 file changed, 1 untracked)" "$(rate "$mlt" -q run -- true)"
n=$("$mlt" --json runs --limit 1 | jq -r '.runs[0].tags["mlt.git.untracked"]')
if [ "$n" != 1 ]; then echo "bench: expected mlt.git.untracked 1, found '$n'" >&2; exit 1; fi
