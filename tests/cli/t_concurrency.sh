# t_concurrency.sh: many mlt processes writing one project at the same time: every point stored,
# no "database is locked", all calls exit 0; concurrent run starts get distinct ids.
# shellcheck disable=SC2164  # every cd goes into a directory this suite just created
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

WRITERS=8
POINTS=1000

# writer P RUN DIR: POINTS calls of `mlt log metric --run RUN --step i k_P=i`, one per point.
# Failed calls are listed in DIR/fail.P ("step exit"), all stderr goes to DIR/err.P.
writer() {
  local p="$1" run="$2" dir="$3" i
  for ((i = 0; i < POINTS; i++)); do
    "$MLT_BIN" log metric --run "$run" --step "$i" "k_$p=$i" </dev/null >>"$dir/out.$p" 2>>"$dir/err.$p" 3>&- ||
      echo "$i $?" >>"$dir/fail.$p"
  done
}

# wait_all PID...: wait for each (in this shell, not a subshell); $bad = the number of non-zero exits.
wait_all() {
  local pid
  bad=0
  for pid in "$@"; do wait "$pid" || bad=$((bad + 1)); done
}

new_project p
R=$(must_mlt run start -n shared --no-git)
mkdir -p "$T/w"

t "$WRITERS processes x $POINTS one-shot 'mlt log metric' calls: all exit 0, no lock errors"
cd "$T/p"
start_s=$SECONDS
pids=()
for p in $(seq 1 $WRITERS); do
  : >"$T/w/err.$p"
  writer "$p" "$R" "$T/w" &
  pids+=($!)
  track_bg $!
done
wait_all "${pids[@]}"
echo "note: $((WRITERS * POINTS)) calls by $WRITERS processes took $((SECONDS - start_s)) s"
last_cmd="$WRITERS x $POINTS x mlt log metric --run $R --step i k_p=i"
out="" err=""
expect_eq "writer loops exit 0" 0 "$bad"
nfail=$(cat "$T"/w/fail.* 2>/dev/null | wc -l | tr -d ' ')
err="$(cat "$T"/w/fail.* 2>/dev/null | head -n 20)"     # "step exit" of failed calls
expect_eq "failed mlt calls" 0 "$nfail"
err="$(cat "$T"/w/err.*)"
nlocked=$(printf '%s\n' "$err" | grep -ci "database is locked")
expect_eq "stderr lines with 'database is locked'" 0 "$nlocked"
expect_err_empty
allout="$(cat "$T"/w/out.* 2>/dev/null)"
expect_eq "stdout of the calls" "" "$allout"

t "every point is stored exactly once: metrics --format csv has $((WRITERS * POINTS)) points"
cd "$T/p"
run_mlt metrics shared --format csv
expect_rc 0
expect_eq "csv line count (header + points)" $((WRITERS * POINTS + 1)) "$(lines_of "$out")"
expect_eq "csv header" "key,step,time_ms,value" "${out%%$'\n'*}"
printf '%s\n' "$out" | tail -n +2 | awk -F, '{print $1","$2","$4}' | sort >"$T/got.txt"
for p in $(seq 1 $WRITERS); do
  for ((i = 0; i < POINTS; i++)); do echo "k_$p,$i,$i"; done
done | sort >"$T/want.txt"
if ! cmp -s "$T/want.txt" "$T/got.txt"; then
  fail "points (key,step,value) as written" "$(wc -l <"$T/want.txt") exact points" \
    "differs: $(diff "$T/want.txt" "$T/got.txt" | head -n 10 | tr '\n' ' ')"
fi

t "summaries are exact: count=$POINTS, last/min/max per key"
cd "$T/p"
run_mlt --json run show shared
expect_rc 0
expect_json '.metrics | length' "$WRITERS"
for p in $(seq 1 $WRITERS); do
  expect_json ".metrics.k_$p | [.count, .last, .step, .min, .max]" "[$POINTS,$((POINTS - 1)),$((POINTS - 1)),0,$((POINTS - 1))]"
done
run_mlt --json runs
expect_json "[.runs[] | select(.id == \"$R\") | .metrics[].count] | add" $((WRITERS * POINTS))

t "concurrent auto-step calls get distinct, consecutive steps"
cd "$T/p"
A=$(must_mlt run start -n autostep --no-git)
pids=()
for p in $(seq 1 $WRITERS); do
  (
    for ((i = 0; i < 25; i++)); do
      "$MLT_BIN" log metric --run "$A" loss=1 </dev/null 2>>"$T/w/auto.err.$p" 3>&- || echo "$i" >>"$T/w/auto.fail.$p"
    done
  ) &
  pids+=($!)
  track_bg $!
done
wait_all "${pids[@]}"
expect_eq "auto-step writers exit 0" 0 "$bad"
expect_eq "auto-step failures" 0 "$(cat "$T"/w/auto.fail.* 2>/dev/null | wc -l | tr -d ' ')"
run_mlt --json metrics autostep loss
expect_rc 0
expect_json '[.metrics.loss[].step] | sort' "$(seq -s, 0 $((WRITERS * 25 - 1)) | sed 's/^/[/; s/$/]/')"

t "$WRITERS concurrent 'mlt run start': $WRITERS distinct ids, all recorded"
new_project starts
pids=()
for p in $(seq 1 $WRITERS); do
  "$MLT_BIN" run start --no-git </dev/null >"$T/w/start.out.$p" 2>"$T/w/start.err.$p" 3>&- &
  pids+=($!)
  track_bg $!
done
wait_all "${pids[@]}"
expect_eq "run start exits 0" 0 "$bad"
cat "$T"/w/start.out.* >"$T/ids.txt"
err="$(cat "$T"/w/start.err.*)"
expect_err_empty
expect_eq "ids printed" "$WRITERS" "$(grep -cE '^[0-9a-f]{32}$' "$T/ids.txt")"
expect_eq "distinct ids" "$WRITERS" "$(sort -u "$T/ids.txt" | wc -l | tr -d ' ')"
run_mlt --json runs
expect_rc 0
expect_json '.runs | length' "$WRITERS"
expect_json '[.runs[].id] | sort' "$(sort "$T/ids.txt" | jq -R . | jq -sc .)"
expect_json '[.runs[].name] | unique | length' "$WRITERS"

# hold_write_lock SECONDS: an sqlite3 process holds the project's write lock for SECONDS
# (in the background); returns once the lock is taken.
hold_write_lock() {
  rm -f "$T/w/locked"
  (
    echo "BEGIN IMMEDIATE;"
    echo "INSERT INTO metric_keys(key) VALUES ('lock-holder');"
    echo ".shell touch '$T/w/locked'"
    sleep "$1"
    echo "ROLLBACK;"
  ) | sqlite3 .mlt/mlt.db >/dev/null 2>&1 3>&- &
  holder=$!
  track_bg "$holder"
  local i
  for i in $(seq 100); do [ -e "$T/w/locked" ] && return 0; sleep 0.05; done
  return 1
}

t "a write lock held past MLT_LOCK_TIMEOUT exits 5 naming the wait; reads still work"
if command -v sqlite3 >/dev/null 2>&1; then
  cd "$T/p"
  if hold_write_lock 2; then
    MLT_LOCK_TIMEOUT=0.5 run_mlt log metric --run shared --step 0 locked=1
    expect_rc 5
    expect_err_contains "0.5 s"
    expect_err_contains "MLT_LOCK_TIMEOUT"
    MLT_LOCK_TIMEOUT=0.5 run_mlt run start
    expect_rc 5
    expect_out_empty
    MLT_LOCK_TIMEOUT=0.5 run_mlt --json run show shared
    expect_rc 0
    expect_json '.metrics | has("locked")' false
  else
    fail "sqlite3 takes the write lock" "lock taken" "not taken in 5 s"
  fi
  wait "$holder"
else
  skip "sqlite3 not installed"
fi

t "a write lock released within MLT_LOCK_TIMEOUT: the call waits and succeeds"
if command -v sqlite3 >/dev/null 2>&1; then
  cd "$T/p"
  if hold_write_lock 1; then
    MLT_LOCK_TIMEOUT=20 run_mlt log metric --run shared --step 0 waited=1
    expect_rc 0
    expect_err_empty
    run_mlt --json run show shared
    expect_json .metrics.waited.count 1
  else
    fail "sqlite3 takes the write lock" "lock taken" "not taken in 5 s"
  fi
  wait "$holder"
else
  skip "sqlite3 not installed"
fi

t "MLT_LOCK_TIMEOUT that is not a number of seconds exits 2"
cd "$T/p"
MLT_LOCK_TIMEOUT=soon run_mlt runs
expect_rc 2
expect_err_contains "MLT_LOCK_TIMEOUT"

finish
