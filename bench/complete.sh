#!/usr/bin/env bash
# Shell completion on a big project (issue 10's target: under 50 ms on 100,000 runs): RUNS
# (default 100,000) runs x 10 params x 10 metrics from bench/gen_runs.cpp, plus a registered model
# with an alias and a dataset; then the median and the slowest of 21 timings of `mlt __complete`
# for each kind of word a user completes, beside the floor: `mlt --version` (process start).
# Usage: bench/complete.sh   (env RUNS, MLT_BIN, GEN_BIN; KEEP=DIR reuses a generated project)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mlt=${MLT_BIN:-$here/../build/mlt}
gen=${GEN_BIN:-$here/../build/bench/bench_gen_runs}
runs=${RUNS:-100000} reps=21
[ "${BENCH_SMOKE:-0}" = 1 ] && runs=200 reps=3
unset MLT_DIR MLT_RUN_ID MLT_NOW_MS MLT_EXPERIMENT
if [ -n "${KEEP:-}" ]; then dir=$KEEP; else dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT; fi
if [ ! -e "$dir/.mlt/mlt.db" ]; then
  t0=$(date +%s%N)
  "$gen" "$dir" "$runs" 1
  (cd "$dir" && printf '{"w": 1}\n' >model.json && printf 'a,b\n1,2\n' >train.csv &&
    "$mlt" -q model save model.json --flavor generic -n model --run "$("$mlt" run start --no-git -n model-run)" >/dev/null &&
    "$mlt" -q registry register runs:/model-run/model churn >/dev/null &&
    "$mlt" -q registry alias churn champion 1 && "$mlt" -q data add train.csv --no-git-tag >/dev/null)
  t1=$(date +%s%N)
  echo "generated $runs runs x 10 params x 10 metrics in $(( (t1 - t0) / 1000000 )) ms ($(du -sh "$dir/.mlt" | cut -f1))"
fi
cd "$dir"
prefix=$("$mlt" --json runs --limit 1 | jq -r '.runs[0].id' | cut -c1-4)

# stats CMD...: "median ms, slowest ms" of $reps runs, after one warm-up
stats() {
  local times=() t0 t1
  "$@" >/dev/null
  for _ in $(seq "$reps"); do
    t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 } END { printf "%6.1f ms median, %6.1f ms slowest", v[int((NR + 1) / 2)] / 1000, v[NR] / 1000 }'
}
check() {  # LABEL WORD...: time `mlt __complete WORD...`, and say how many candidates it gave
  local label=$1 n
  shift
  n=$("$mlt" __complete "$@" | grep -vc '^:' || true)
  printf '%-44s %s  (%s candidates)\n' "$label" "$(stats "$mlt" __complete "$@")" "$n"
}
echo "floor: mlt --version                         $(stats "$mlt" --version)"
check "commands: mlt <TAB>" ""
check "flags: mlt runs --<TAB>" runs --
check "recent runs: mlt run show <TAB>" run show ""
check "run id prefix: mlt run show $prefix<TAB>" run show "$prefix"
check "run names: mlt diff run-1<TAB>" diff run-1
check "experiments: mlt runs -e <TAB>" runs -e ""
check "param keys: mlt run -p <TAB>" run -p ""
check "metric keys: mlt runs -s metrics.<TAB>" runs -s metrics.
check "models: mlt model show models:/<TAB>" model show models:/
check "aliases: mlt registry alias churn <TAB>" registry alias churn ""
check "data refs: mlt log input train.csv@<TAB>" log input train.csv@
echo "target: each under 50 ms on $runs runs"
