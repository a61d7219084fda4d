# t_crash.sh: crash consistency (issue 16): tests/crash/crash.py runs mixed workloads (streaming
# metric writers, log metric, log artifact, data add, registry register and alias, run end) in one
# project, SIGKILLs the whole process group at random moments, and checks after every kill that the
# database and the store are intact, that everything a command reported done is there, and that
# the project still works. The fast tier: MLT_CRASH_ROUNDS rounds (default 50, ~3 minutes on two
# cores); MLT_CRASH_SEED pins the seed (default random; the seed and the command that reproduces a
# failure are printed either way). The soak tier is crash.py run by hand: see tests/crash/README.md.

# lib.sh unsets every MLT_* variable it does not know: keep ours.
CRASH_ROUNDS="${MLT_CRASH_ROUNDS:-50}"
CRASH_SEED="${MLT_CRASH_SEED:-}"
# a third of the rounds kill the trainers under 'mlt run' first, so mlt outlives them (a cut-off
# last metric line must not be stored)
CRASH_CHILD_KILL_RATE="${MLT_CRASH_CHILD_KILL_RATE:-0.3}"
CRASH_PY="$(cd "$(dirname "$0")/../crash" 2>/dev/null && pwd -P)/crash.py"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
[ -f "$CRASH_PY" ] || lib_die "tests/crash/crash.py not found next to tests/cli"
[ -x /usr/bin/python3 ] || lib_die "/usr/bin/python3 is required by the crash suite"

t "crash: $CRASH_ROUNDS rounds of SIGKILL mid-workload leave a consistent, working project"
set -- --rounds "$CRASH_ROUNDS" --mlt "$MLT_BIN" --workdir "$T" --keep --json --child-kill-rate "$CRASH_CHILD_KILL_RATE"
[ -z "$CRASH_SEED" ] || set -- "$@" --seed "$CRASH_SEED"
last_cmd="/usr/bin/python3 $CRASH_PY $*"
# not through run_cmd: its per-command timeout is shorter than the suite
/usr/bin/python3 "$CRASH_PY" "$@" </dev/null >"$T/.lib/stdout" 2>"$T/crash.log" 3>&-
rc=$?
# the seed and the command that reproduces the run, always
grep -E '^crash.py: (seed|reproduce)' "$T/crash.log"
out="$(cat "$T/.lib/stdout")"
err="$(grep -v '^round [0-9]' "$T/crash.log")"   # the failures, without the per-round progress lines
if [ "$rc" -ne 0 ]; then
  fail "crash.py exits 0 (its whole log: $T/crash.log)" "exit 0" "exit $rc"
else
  expect_json '.failures | length' 0
  expect_json '.rounds' "$CRASH_ROUNDS"
  expect_json '.kills_sent' "$CRASH_ROUNDS"
fi
jq -r '"\(.rounds) rounds, \(.kills_sent) kills, \(.processes_killed) processes killed, \(.checks_run) checks, \(.failures | length) failures, \(.seconds_per_round) s per round"' "$T/.lib/stdout" 2>/dev/null

finish
