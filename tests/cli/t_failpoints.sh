# t_failpoints.sh: the deterministic crash tests of the reliability suite. mlt's test build
# (MLT_FAILPOINTS=ON, as scripts/build.sh builds it) kills itself with SIGKILL at a named point
# when MLT_FAILPOINT=NAME@N says so (src/store/failpoint.hpp). For every operation below, a traced
# run lists the points it passes and how often; then, for every point and (up to five of) its
# occurrences, a fresh copy of the project runs the operation again and dies there. After each
# death:
#   - SQLite's integrity_check says ok, and 'mlt fsck --full' finds no damage;
#   - the operation happened entirely or not at all (its probe prints the state before or after);
#   - redone, it succeeds and gives the state after (for the stream: the points stored are whole
#     lines, a prefix of the input);
#   - 'mlt gc --grace 0s' removes what the crash left in .mlt/tmp and nothing referenced.
# Every point of 'mlt version --json' must be crossed by at least one operation, and each
# operation must cross the points listed in its needs_NAME (the database commit points for all but
# 'config set'): a point that is no longer reached fails the suite instead of silently testing
# nothing. Without failpoints built in, the suite reports a skip.
FP_FIXTURES="${MLT_FIXTURES:-}"   # read before lib.sh unsets the MLT_* variables
. "$(dirname "$0")/lib.sh"
[ -n "$FP_FIXTURES" ] || lib_die "MLT_FIXTURES is not set to tests/fixtures (CTest sets it)"

t "the binary lists its failpoints"
run_mlt --json version
expect_rc 0
mapfile -t FP_ALL < <(jq -r '.failpoints[]' <<<"$out")
if [ "${#FP_ALL[@]}" -eq 0 ]; then
  echo "SKIP: t_failpoints: $MLT_BIN was built without failpoints (cmake -DMLT_FAILPOINTS=ON, as scripts/build.sh does)"
  finish
fi
command -v sqlite3 >/dev/null || lib_die "sqlite3 is required (Debian: apt-get install sqlite3)"

export MLT_NOW_MS=$((T0_MS + 5000))   # the same clock for the traced run, the crashes and the redo
FP_PER_POINT=5                        # occurrences killed per point: the first 3 and the last 2

declare -A FP_CROSSED=()              # point -> operations that crossed it
FP_KILLS=0
FP_CASES=0

# The operations. Each NAME has: setup_NAME (run once in a fresh project, the working directory),
# cmd_NAME (the operation, output in $out/$err/$rc), probe_NAME (prints the state it changes),
# needs_NAME (the points it must cross), and optionally check_NAME (its own judgement of the state
# after a crash instead of "before or after") and after_crash_NAME.

mkdir -p "$T/fx"
cp -R "$FP_FIXTURES/mlflow/generated-models/sklearn_linreg" "$T/fx/"

setup_artifact() {
  must_mlt run start -n r --no-git >/dev/null
  mkdir -p "$T/fx/art/sub"
  for i in 1 2 3; do printf 'file %s\n' "$i" >"$T/fx/art/f$i.txt"; done
  printf 'nested\n' >"$T/fx/art/sub/g.txt"
  head -c 3000000 /dev/urandom >"$T/fx/art/big.bin"   # over 1 MiB: stored in chunks
}
cmd_artifact() { run_mlt log artifact "$T/fx/art" --as art --run r; }
probe_artifact() { "$MLT_BIN" --json artifact ls r art 2>/dev/null | jq -c '[.entries[] | [.path, .digest]]' || echo none; }
needs_artifact=(db.before_commit db.after_commit object.tmp_written object.linked objects.before_sync objects.after_sync tree.file_stored)

setup_run_end() { must_mlt run start -n r --no-git >/dev/null; must_mlt log metric loss=1 --run r >/dev/null; }
cmd_run_end() { run_mlt run end r; }
probe_run_end() { "$MLT_BIN" --json run show r | jq -c '[.status, .end_time_ms]'; }
needs_run_end=(db.before_commit db.after_commit)

setup_model() {
  must_mlt -q model import "$T/fx/sklearn_linreg" >/dev/null
  must_mlt -q registry create churn >/dev/null
}
setup_register() { setup_model; }
cmd_register() { run_mlt registry register "$("$MLT_BIN" --json model ls | jq -r '.models[0].uri')" churn; }
probe_register() { "$MLT_BIN" --json registry show churn | jq -c '[.versions[] | [.version, .digest]]'; }
needs_register=(db.before_commit db.after_commit)

setup_alias() {
  setup_model
  local uri
  uri="$("$MLT_BIN" --json model ls | jq -r '.models[0].uri')"
  must_mlt -q registry register "$uri" churn >/dev/null
  must_mlt -q registry register "$uri" churn >/dev/null
  must_mlt -q registry alias churn prod 1 >/dev/null
}
cmd_alias() { run_mlt registry alias churn prod 2; }
probe_alias() { "$MLT_BIN" --json registry show churn | jq -c '[.aliases, ([.versions[].version])]'; }
needs_alias=(db.before_commit db.after_commit)

setup_data_add() {   # data versions hold files of the project: the data is inside it
  mkdir -p data
  for i in $(seq 1 40); do printf 'row %s\n' "$i" >"data/part-$i.csv"; done
  head -c 1500000 /dev/urandom >data/blob.bin
}
cmd_data_add() { run_mlt data add data -n train; }
probe_data_add() { "$MLT_BIN" --json data ls | jq -c '[.datasets[] | [.name, .versions, .latest.digest]]'; }
needs_data_add=(db.before_commit db.after_commit object.tmp_written object.linked objects.after_sync tree.file_stored)

setup_deploy() {
  setup_model
  must_mlt -q registry register "$("$MLT_BIN" --json model ls | jq -r '.models[0].uri')" churn >/dev/null
}
cmd_deploy() { run_mlt deploy create staging models:/churn/1 --target kubernetes; }
probe_deploy() { "$MLT_BIN" --json deploy history staging 2>/dev/null | jq -c '[.revisions[] | [.revision, .action, .model, .manifests]]' || echo none; }
needs_deploy=(db.before_commit db.after_commit object.tmp_written objects.after_sync)

setup_stream() {
  must_mlt run start -n r --no-git >/dev/null
  # 3,000 lines of 4 keys: two batches (a batch ends at the line that brings it to 10,000 points)
  for i in $(seq 0 2999); do printf 'loss=%s acc=%s lr=%s wd=%s step=%s\n' "$i" "$i" "$i" "$i" "$i"; done >"$T/fx/stream.txt"
}
cmd_stream() { run_mlt_stdin "$T/fx/stream.txt" log stream --run r; }
probe_stream() { "$MLT_BIN" --json metrics r 2>/dev/null | jq -c '[.metrics[]? | [.key, (.points | length)]]' 2>/dev/null || echo none; }
needs_stream=(db.before_commit db.after_commit metrics.mid_batch)
# The stream commits in batches: after a crash, each key holds steps 0..k-1 for the same k (whole
# lines), and the summary agrees with the points.
check_stream() {
  local csv
  csv="$("$MLT_BIN" metrics r --format csv 2>/dev/null)"
  local keys steps
  keys="$(printf '%s\n' "$csv" | awk -F, 'NR > 1 { print $1 }' | sort | uniq -c | awk '{ print $1 }' | sort -u)"
  [ "$(printf '%s\n' "$keys" | grep -c .)" -le 1 ] ||
    { fail "every key holds as many points as the others (whole lines)" "one count" "$(tr '\n' ' ' <<<"$keys")"; return; }
  steps="$(printf '%s\n' "$csv" | awk -F, 'NR > 1 && $1 == "loss" { print $2 }' | sort -n)"
  local n
  n="$(printf '%s' "$steps" | grep -c .)"
  [ "$steps" = "$(seq 0 $((n - 1)) 2>/dev/null)" ] || [ "$n" -eq 0 ] ||
    fail "the steps stored are a prefix 0..k-1" "0..$((n - 1))" "$(head -c 200 <<<"$steps" | tr '\n' ' ')"
  local summary
  summary="$("$MLT_BIN" --json run show r | jq -c '[.metrics[] | [.step, .count]] | unique' 2>/dev/null)"
  if [ "$n" -gt 0 ]; then
    expect_eq "the summary of every key (last step, count) matches the points" "[[$((n - 1)),$n]]" "$summary"
  else
    expect_eq "no points: no summary" "[]" "$summary"
  fi
}

setup_config() { :; }
cmd_config() { run_mlt config set gc.grace 7d; }
probe_config() { "$MLT_BIN" config get gc.grace; }
needs_config=(file.tmp_written file.synced file.renamed)
# A killed 'config set' leaves its lock file (as git leaves index.lock); mlt takes over a lock a
# minute old. Age it, so that the redo below shows that.
after_crash_config() {
  find .mlt -maxdepth 1 -name 'config.yaml.lock' -exec touch -d '2 minutes ago' {} +
}

# fp_matrix NAME: the traced run, then one crash per point and occurrence.
fp_matrix() {
  local name="$1" base="$T/base-$1" before after trace point count k state kills=0
  t "$name: setup and a traced run"
  mkdir -p "$base"
  cd "$base" || return
  must_mlt -q init >/dev/null
  "setup_$name"
  lib_fold_subshell_failures
  before="$("probe_$name")"
  rm -rf "$T/traced" && cp -a "$base" "$T/traced" && cd "$T/traced" || return
  : >"$T/trace.txt"
  MLT_FAILPOINT_TRACE="$T/trace.txt" "cmd_$name"
  expect_rc 0
  after="$("probe_$name")"
  [ "$before" != "$after" ] || fail "$name changes what its probe shows" "a change" "$(lib_show "$after")"
  local -a points
  mapfile -t points < <(sort "$T/trace.txt" | uniq -c | awk '{ print $2 ":" $1 }')
  local needs="needs_$name[@]"
  for point in "${!needs}"; do
    grep -qx "$point" "$T/trace.txt" || fail "$name crosses the failpoint $point" "crossed" "not crossed"
  done
  for entry in "${points[@]}"; do
    point="${entry%%:*}"
    count="${entry##*:}"
    FP_CROSSED[$point]+="$name "
    local -a ks=()
    for k in $(seq 1 "$count"); do
      if [ "$k" -le 3 ] || [ "$k" -gt $((count - FP_PER_POINT + 3)) ]; then ks+=("$k"); fi
    done
    t "$name: killed at $point (occurrences ${ks[*]} of $count)"
    for k in "${ks[@]}"; do
      fp_crash_case "$name" "$base" "$point@$k" "$before" "$after"
      kills=$((kills + 1))
    done
  done
  FP_KILLS=$((FP_KILLS + kills))
  printf '      %s: %d points crossed, %d crashes\n' "$name" "${#points[@]}" "$kills"
}

# fp_crash_case NAME BASE POINT@K BEFORE AFTER
fp_crash_case() {
  local name="$1" base="$2" at="$3" before="$4" after="$5" state w="$T/work"
  FP_CASES=$((FP_CASES + 1))
  rm -rf "$w" && cp -a "$base" "$w" && cd "$w" || return
  MLT_FAILPOINT="$at" "cmd_$name"
  if [ "$rc" -ne 137 ]; then
    fail "$name dies at $at (SIGKILL: exit 137)" "137" "$rc"
    return
  fi
  local integ
  integ="$(sqlite3 .mlt/mlt.db 'PRAGMA integrity_check' 2>&1)"
  [ "$integ" = "ok" ] || fail "after a crash at $at: integrity_check" "ok" "$integ"
  run_mlt fsck --full
  [ "$rc" -eq 0 ] || fail "after a crash at $at: mlt fsck --full finds no damage" "exit 0" "exit $rc: $err"
  declare -F "after_crash_$name" >/dev/null && "after_crash_$name"
  if declare -F "check_$name" >/dev/null; then
    "check_$name"
  else
    state="$("probe_$name")"
    if [ "$state" != "$before" ] && [ "$state" != "$after" ]; then
      fail "after a crash at $at: $name happened entirely or not at all" \
        "$(lib_show "$before") or $(lib_show "$after")" "$(lib_show "$state")"
      return
    fi
    if [ "$state" = "$before" ]; then
      "cmd_$name"
      [ "$rc" -eq 0 ] || fail "after a crash at $at: $name redone succeeds" "exit 0" "exit $rc: $err"
      state="$("probe_$name")"
      [ "$state" = "$after" ] || fail "after a crash at $at: the redo gives the state after" \
        "$(lib_show "$after")" "$(lib_show "$state")"
    fi
  fi
  run_mlt gc --grace 0s
  [ "$rc" -eq 0 ] || fail "after a crash at $at: gc --grace 0s" "exit 0" "exit $rc: $err"
  local left
  left="$(find .mlt/tmp -type f | head -n 3)"
  [ -z "$left" ] || fail "after a crash at $at: gc removed the leftover temporary files" "none" "$left"
  run_mlt fsck --full
  [ "$rc" -eq 0 ] || fail "after a crash at $at and gc: mlt fsck --full" "exit 0" "exit $rc: $err"
  if ! declare -F "check_$name" >/dev/null; then
    [ "$("probe_$name")" = "$after" ] || fail "after a crash at $at: gc kept everything referenced" \
      "$(lib_show "$after")" "$(lib_show "$("probe_$name")")"
  fi
  cd "$T" || return
}

t "mlt metrics --format csv starts with key,step (check_stream reads it so)"
new_project csvhead
must_mlt run start -n r --no-git >/dev/null
must_mlt log metric loss=1 --step 0 --run r >/dev/null
run_mlt metrics r --format csv
expect_rc 0
[[ "$(head -n 1 <<<"$out")" == key,step* ]] || fail "csv header" "key,step,..." "$(head -n 1 <<<"$out")"

for op in artifact run_end register alias data_add deploy stream config; do
  fp_matrix "$op"
done

t "every failpoint is crossed by some operation"
for point in "${FP_ALL[@]}"; do
  [ -n "${FP_CROSSED[$point]:-}" ] || fail "failpoint $point is crossed by an operation of this suite" "crossed" "never"
done

t "a crash in 'config set' leaves a lock that mlt takes over once it is a minute old"
new_project lock
MLT_FAILPOINT=file.synced run_mlt config set gc.grace 3d
expect_rc 137
run_mlt config set gc.grace 4d
expect_rc 5
expect_err_contains "another mlt is changing settings"
touch -d '2 minutes ago' .mlt/config.yaml.lock
run_mlt config set gc.grace 4d
expect_rc 0
expect_err_contains "removed"
run_mlt config get gc.grace
expect_out_eq "4d"

printf '      %d crash cases, %d kills over %d failpoints\n' "$FP_CASES" "$FP_KILLS" "${#FP_ALL[@]}"
finish
