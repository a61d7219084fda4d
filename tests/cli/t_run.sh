# t_run.sh: mlt run start|end|show|rm|restore|rename|note, run references (id, prefix, name,
# ambiguity), nesting, and `mlt run -- CMD`: exit status, final status, signals, environment,
# recorded command/cwd/host/user, git state, the example trainer.
# shellcheck disable=SC2164  # every cd goes into a directory this suite just created
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

HOST="$(uname -n)"

# wait_for_file PATH: wait (up to 10 s) until PATH exists and is not empty.
wait_for_file() {
  local i
  for i in $(seq 200); do
    [ -s "$1" ] && return 0
    sleep 0.05
  done
  return 1
}

# run_id_by_name NAME: the full id of the (only) run named NAME, via --json.
run_id_by_name() {
  "$MLT_BIN" --json run show "$1" >"$T/.lib/byname" 2>/dev/null 3>&- && jq -r .id <"$T/.lib/byname"
}

new_project p

# ---------------------------------------------------------------------------------------------
t "run start prints a 32-hex id and nothing else"
cd "$T/p"
run_mlt run start
expect_rc 0
expect_out_match '^[0-9a-f]{32}$'
expect_out_lines 1
expect_err_empty
id1="$out"

t "run start gives a readable adjective-noun name"
cd "$T/p"
run_mlt --json run show "$id1"
expect_rc 0
expect_json '.name | test("^[a-z]+-[a-z]+(-[0-9]{3})?$")' true
expect_json .status RUNNING
expect_json .experiment Default
expect_json .user mlt-tester

t "run start names are distinct while readable names are free"
cd "$T/p"
for i in 1 2 3 4 5 6 7 8 9 10; do must_mlt run start >/dev/null; done
run_mlt --json runs
expect_json '[.runs[].name] | length == (unique | length)' true
expect_json '.runs | length' 11

t "run start --export prints an export line usable with eval"
cd "$T/p"
run_mlt run start --export -n exported
expect_rc 0
expect_out_match '^export MLT_RUN_ID=[0-9a-f]{32}$'
eval "$out"
run_mlt log metric m=1
expect_rc 0
run_mlt --json run show exported
expect_json .id "$MLT_RUN_ID"
expect_json .metrics.m.last 1
run_mlt run end
expect_rc 0
run_mlt --json run show exported
expect_json .status FINISHED
unset MLT_RUN_ID

t "run start --json prints the run"
cd "$T/p"
MLT_NOW_MS=$T0_MS run_mlt --json run start -n js -p a=1 -t k=v --no-git
expect_rc 0
expect_json_valid
expect_json '.id | test("^[0-9a-f]{32}$")' true
expect_json .name js
expect_json .status RUNNING
expect_json .start_time_ms "$T0_MS"
expect_json .params '{"a":"1"}'
expect_json .tags.k v

t "run start -p/-t/-e record params, tags and the experiment"
cd "$T/p"
run_mlt run start -n full -e exp1 -p lr=0.01 -p layers=3 -t team=nlp -t "note=two words"
expect_rc 0
run_mlt --json run show full
expect_json .experiment exp1
expect_json .params '{"layers":"3","lr":"0.01"}'
expect_json .tags.team nlp
expect_json '.tags.note' "two words"
expect_json '.tags["mlt.host"]' "$HOST"
expect_json '.tags["mlt.source.cwd"]' "."

t "run start with bad -p/-t exits 2 and creates nothing"
cd "$T/p"
before=$(run_mlt --json runs --all; jq_out '.runs | length')
run_mlt run start -p novalue
expect_rc 2
expect_err_contains "novalue"
run_mlt run start -t =v
expect_rc 2
run_mlt run start -p a=1 -p a=2
expect_rc 5
expect_err_contains "'1'"
expect_err_contains "'2'"
run_mlt run start --bogus
expect_rc 2
run_mlt --json runs --all
expect_json '.runs | length' "$before"

t "MLT_EXPERIMENT is the default experiment of a new run"
cd "$T/p"
MLT_EXPERIMENT=from-env run_mlt run start -n envexp
expect_rc 0
run_mlt --json run show envexp
expect_json .experiment from-env

t "run start with MLT_RUN_ID of no run of this project warns and does not nest"
cd "$T/p"
MLT_RUN_ID=0123456789abcdef0123456789abcdef run_mlt run start -n orphan
expect_rc 0
expect_err_contains "not nesting"
run_mlt --json run show orphan
expect_json .parent_id null

# ---------------------------------------------------------------------------------------------
t "run end: default FINISHED, --status failed|killed, pinned end time"
cd "$T/p"
a=$(MLT_NOW_MS=$T0_MS must_mlt run start -n end-a --no-git)
b=$(MLT_NOW_MS=$T0_MS must_mlt run start -n end-b --no-git)
c=$(MLT_NOW_MS=$T0_MS must_mlt run start -n end-c --no-git)
MLT_NOW_MS=$((T0_MS + 1500)) run_mlt run end "$a"
expect_rc 0
expect_out_empty
expect_err_contains "ended FINISHED"
MLT_NOW_MS=$((T0_MS + 2500)) run_mlt run end end-b --status failed
expect_rc 0
MLT_NOW_MS=$((T0_MS + 3500)) run_mlt --json run end "${c:0:10}" --status KILLED
expect_rc 0
expect_json .status KILLED
expect_json .end_time_ms $((T0_MS + 3500))
expect_json .duration_ms 3500
run_mlt --json run show end-a
expect_json .status FINISHED
expect_json .end_time "2023-11-14T22:13:21.500Z"
expect_json .end_time_ms $((T0_MS + 1500))
expect_json .duration_ms 1500
expect_json .exit_code null
run_mlt --json run show end-b
expect_json .id "$b"
expect_json .status FAILED

t "run end of an ended run exits 5 and keeps the first end"
cd "$T/p"
MLT_NOW_MS=$((T0_MS + 9000)) run_mlt run end end-a --status failed
expect_rc 5
expect_err_contains "has already ended (FINISHED)"
run_mlt --json run show end-a
expect_json .status FINISHED
expect_json .end_time_ms $((T0_MS + 1500))

t "run end with a bad --status exits 2"
cd "$T/p"
must_mlt run start -n end-d >/dev/null
run_mlt run end end-d --status running
expect_rc 2
run_mlt run end end-d --status bogus
expect_rc 2
expect_err_contains "bogus"
run_mlt --json run show end-d
expect_json .status RUNNING

t "run end without RUN uses MLT_RUN_ID; without either exits 2"
cd "$T/p"
d=$(run_id_by_name end-d)
MLT_RUN_ID="$d" run_mlt run end
expect_rc 0
run_mlt --json run show end-d
expect_json .status FINISHED
run_mlt run end
expect_rc 2
expect_err_contains "MLT_RUN_ID"

# ---------------------------------------------------------------------------------------------
t "run show (text) for a finished run with params, metrics, note, child (pinned clock)"
new_project show
P=$(MLT_NOW_MS=$T0_MS must_mlt run start -n par --no-git -p lr=0.1 -p layers=3 -t team=a)
C=$(MLT_NOW_MS=$((T0_MS + 10)) must_mlt run start -n kid --no-git --parent par)
MLT_NOW_MS=$((T0_MS + 20)) must_mlt log metric --run par --step 5 loss=0.5 acc=0.75 >/dev/null
MLT_NOW_MS=$((T0_MS + 30)) must_mlt log metric --run par --step 7 loss=0.25 >/dev/null
must_mlt run note par "first try" >/dev/null
MLT_NOW_MS=$((T0_MS + 123456)) must_mlt -q run end par --status failed >/dev/null
hostpad=$(printf '%-14s' mlt.host)
run_mlt run show par
expect_rc 0
expect_out_eq "run        $P  par
experiment Default
status     FAILED
user       mlt-tester
start      2023-11-14 22:13:20 UTC
end        2023-11-14 22:15:23 UTC  (2m03s)
child      $C
note       first try

params:
  layers  3
  lr      0.1

metrics:
  KEY   LAST  MIN   MAX   STEP  COUNT
  acc   0.75  0.75  0.75  5     1
  loss  0.25  0.25  0.5   7     2

tags:
  $hostpad  $HOST
  mlt.note        first try
  mlt.source.cwd  .
  team            a"

t "run show (text) for a running child shows its parent"
cd "$T/show"
MLT_NOW_MS=$((T0_MS + 10 + 90000)) run_mlt run show kid
expect_rc 0
expect_out_eq "run        $C  kid
experiment Default
status     RUNNING
user       mlt-tester
start      2023-11-14 22:13:20 UTC
running    1m30s
parent     $P

tags:
  $hostpad  $HOST
  mlt.source.cwd  ."

t "run show of an unknown run exits 4"
cd "$T/show"
run_mlt run show nosuchrun
expect_rc 4
expect_out_empty
expect_err_contains "no run matches 'nosuchrun'"
run_mlt run show ffffffffffffffffffffffffffffffff
expect_rc 4
run_mlt --json run show nosuchrun
expect_rc 4
expect_err_json .error.code 4
run_mlt run show
expect_rc 2

# ---------------------------------------------------------------------------------------------
t "run references: full id, upper-case id, 4+ hex prefix, name"
cd "$T/show"
for ref in "$P" "$(printf '%s' "$P" | tr a-f A-F)" "${P:0:4}" "${P:0:5}" "${P:0:31}" par; do
  run_mlt --json run show "$ref"
  expect_rc 0
  expect_json .id "$P"
done

t "run references: a hex-looking name that is no id prefix resolves by name"
cd "$T/show"
hexname=$(must_mlt run start -n f00dcafe)
case "$P$C" in f00dcafe*) ;; *)
  run_mlt --json run show f00dcafe
  expect_rc 0
  expect_json .id "$hexname"
  ;;
esac

t "run references: a prefix of fewer than 4 characters is not a prefix"
cd "$T/show"
run_mlt run show "${P:0:3}"
expect_rc 4
expect_err_contains "no run matches '${P:0:3}'"

t "run references: two runs with the same name are ambiguous (exit 2, candidates listed)"
cd "$T/show"
d1=$(must_mlt run start -n twin)
d2=$(must_mlt run start -n twin)
run_mlt run show twin
expect_rc 2
expect_out_empty
expect_err_contains "run reference 'twin' is ambiguous"
expect_err_contains "$d1  twin"
expect_err_contains "$d2  twin"
expect_err_contains "hint: "
run_mlt log metric --run twin m=1
expect_rc 2
run_mlt run end twin
expect_rc 2
run_mlt --json run show twin
expect_rc 2
expect_err_json .error.code 2
expect_err_json ".error.message | contains(\"$d1\") and contains(\"$d2\")" true

t "run references: the ids still tell the twins apart"
cd "$T/show"
run_mlt --json run show "${d1:0:8}"
expect_rc 0
expect_json .id "$d1"
run_mlt --json run show "$d2"
expect_rc 0
expect_json .id "$d2"

t "run references: a name equal to another run's id prefix is ambiguous"
cd "$T/show"
e=$(must_mlt run start -n "${P:0:6}")
run_mlt run show "${P:0:6}"
expect_rc 2
expect_err_contains "$P  par"
expect_err_contains "$e  ${P:0:6}"

t "run references: a real shared 4-hex prefix is ambiguous and lists both runs"
new_project prefixes
declare -A seen=()
hit=""
for i in $(seq 1500); do
  id=$("$MLT_BIN" run start --no-git 2>/dev/null 3>&-) || { fail "run start in the prefix loop" "exit 0" "failed"; break; }
  k=${id:0:4}
  if [ -n "${seen[$k]:-}" ]; then hit="$k"; first="${seen[$k]}"; second="$id"; break; fi
  seen[$k]="$id"
done
if [ -n "$hit" ]; then
  echo "note: runs $i and an earlier one share the id prefix '$hit'"
  run_mlt run show "$hit"
  expect_rc 2
  expect_err_contains "run reference '$hit' is ambiguous"
  expect_err_contains "$first"
  expect_err_contains "$second"
  run_mlt --json run show "${second:0:12}"
  expect_rc 0
  expect_json .id "$second"
else
  echo "note: no shared 4-hex prefix in 1500 runs (odds ~1e-7); case not exercised"
fi
unset seen

# ---------------------------------------------------------------------------------------------
t "run rename: the new name resolves, the old one does not"
cd "$T/show"
run_mlt run rename kid youngster
expect_rc 0
expect_out_empty
expect_err_contains "'kid' to 'youngster'"
run_mlt --json run show youngster
expect_rc 0
expect_json .id "$C"
run_mlt run show kid
expect_rc 4

t "run rename: bad name exits 2, unknown run exits 4"
cd "$T/show"
run_mlt run rename youngster ""
expect_rc 2
run_mlt run rename youngster "$(printf 'a\nb')"
expect_rc 2
run_mlt run rename nosuchrun x
expect_rc 4
run_mlt run rename youngster
expect_rc 2
run_mlt --json run show "$C"
expect_json .name youngster

t "run note sets the mlt.note tag and replaces an earlier one"
cd "$T/show"
run_mlt run note youngster "first note"
expect_rc 0
run_mlt run note youngster "second note"
expect_rc 0
run_mlt --json run show youngster
expect_json '.tags["mlt.note"]' "second note"
run_mlt run note nosuchrun x
expect_rc 4

t "run rm: hidden from runs, shown as deleted, still resolvable"
cd "$T/show"
MLT_NOW_MS=$((T0_MS + 777)) run_mlt run rm youngster
expect_rc 0
expect_out_empty
expect_err_contains "deleted run ${C:0:8} (youngster)"
run_mlt --json runs
expect_json "[.runs[].id] | index(\"$C\")" null
run_mlt --json runs --deleted
expect_json '[.runs[].id]' "[\"$C\"]"
run_mlt --json run show "$C"
expect_rc 0
expect_json .lifecycle deleted
expect_json .deleted_time_ms $((T0_MS + 777))
expect_json .deleted_time "2023-11-14T22:13:20.777Z"
run_mlt run show youngster
expect_out_contains "youngster  (deleted)"

t "run rm again says so; a deleted run refuses logs and notes (exit 5)"
cd "$T/show"
run_mlt run rm youngster
expect_rc 0
expect_err_contains "already deleted"
run_mlt log metric --run youngster m=1
expect_rc 5
expect_err_contains "is deleted"
run_mlt run note youngster "x"
expect_rc 5

t "a deleted run cannot be a parent (exit 5)"
cd "$T/show"
run_mlt run start --parent "$C"
expect_rc 5

t "run restore brings it back"
cd "$T/show"
run_mlt run restore "${C:0:6}"
expect_rc 0
expect_err_contains "restored run ${C:0:8} (youngster)"
run_mlt --json run show youngster
expect_json .lifecycle active
expect_json .deleted_time null
expect_json .deleted_time_ms null
run_mlt --json runs
expect_json "[.runs[].id] | index(\"$C\") != null" true
run_mlt run restore youngster
expect_rc 0
expect_err_contains "already active"

t "run rm / restore of an unknown run exits 4"
cd "$T/show"
run_mlt run rm nosuchrun
expect_rc 4
run_mlt run restore nosuchrun
expect_rc 4

# ---------------------------------------------------------------------------------------------
t "--parent nests a run; children appear in the parent's show --json in start order"
new_project nest
R=$(MLT_NOW_MS=$T0_MS must_mlt run start -n root)
K1=$(MLT_NOW_MS=$((T0_MS + 1)) must_mlt run start -n k1 --parent root)
K2=$(MLT_NOW_MS=$((T0_MS + 2)) must_mlt run start -n k2 --parent "${R:0:8}")
G=$(MLT_NOW_MS=$((T0_MS + 3)) must_mlt run start -n g --parent k1)
run_mlt --json run show root
expect_json .children "[\"$K1\",\"$K2\"]"
expect_json .parent_id null
run_mlt --json run show k1
expect_json .parent_id "$R"
expect_json .children "[\"$G\"]"
run_mlt --json run show g
expect_json .parent_id "$K1"
expect_json .children '[]'

t "MLT_RUN_ID set: run start nests under it"
cd "$T/nest"
MLT_RUN_ID="$R" run_mlt run start -n envkid
expect_rc 0
k3="$out"
run_mlt --json run show envkid
expect_json .parent_id "$R"
run_mlt --json run show root
expect_json '.children | length' 3
expect_json '.children[2]' "$k3"

t "--parent of an unknown run exits 4 and creates nothing"
cd "$T/nest"
run_mlt run start --parent nosuchrun -n never
expect_rc 4
run_mlt run show never
expect_rc 4

# ---------------------------------------------------------------------------------------------
new_project cmd

t "run -- CMD: exit 0 passes through, run FINISHED with exit_code 0"
cd "$T/cmd"
run_mlt run -n ok -- true
expect_rc 0
expect_out_empty
run_mlt --json run show ok
expect_json .status FINISHED
expect_json .exit_code 0
expect_json '.end_time_ms != null' true

t "run -- CMD: exit 3 passes through, run FAILED with exit_code 3"
cd "$T/cmd"
run_mlt run -n three -- sh -c 'exit 3'
expect_rc 3
run_mlt --json run show three
expect_json .status FAILED
expect_json .exit_code 3

t "run -- CMD: exit 255 passes through"
cd "$T/cmd"
run_mlt run -n big -- sh -c 'exit 255'
expect_rc 255
run_mlt --json run show big
expect_json .status FAILED
expect_json .exit_code 255

t "run -- CMD: a child killed by a signal gives 128+N and KILLED"
cd "$T/cmd"
run_mlt run -n sigkill -- sh -c 'kill -KILL $$'
expect_rc 137
run_mlt --json run show sigkill
expect_json .status KILLED
expect_json .exit_code 137
run_mlt run -n sigterm -- sh -c 'kill -TERM $$'
expect_rc 143
run_mlt --json run show sigterm
expect_json .status KILLED

t "run -- CMD: the child's stdout and stderr reach the terminal"
cd "$T/cmd"
run_mlt run -n io -- sh -c 'echo to-out; echo to-err >&2'
expect_rc 0
expect_out_eq "to-out"
expect_err_contains "to-err"

t "run --json -- CMD prints the ended run"
cd "$T/cmd"
MLT_NOW_MS=$T0_MS run_mlt --json run -n jrun -- true
expect_rc 0
expect_json_valid
expect_json .name jrun
expect_json .status FINISHED
expect_json .exit_code 0
expect_json .start_time_ms "$T0_MS"
expect_json .end_time_ms "$T0_MS"
expect_json .duration_ms 0

t "run -- CMD: MLT_RUN_ID and MLT_DIR are set in the child; logs go to the run"
cd "$T/cmd"
run_mlt run -n envchild -- sh -c 'printf %s "$MLT_RUN_ID" > child.id; printf %s "$MLT_DIR" > child.dir; mlt log metric acc=0.5 && mlt log param p=1'
expect_rc 0
run_mlt --json run show envchild
expect_json .id "$(cat child.id)"
expect_json .metrics.acc.last 0.5
expect_json .params.p 1
expect_eq "MLT_DIR in the child" "$T/cmd/.mlt" "$(cat child.dir)"

t "run -- CMD: command line, cwd, host and user are recorded"
mkdir -p "$T/cmd/src/a" && cd "$T/cmd/src/a"
run_mlt run -n rec -p lr=0.1 -t k=v -e recexp -- sh -c 'echo "$1"' x "it's here"
expect_rc 0
run_mlt --json run show rec
expect_json '.tags["mlt.source.command"]' "sh -c 'echo \"\$1\"' x 'it'\\''s here'"
expect_json '.tags["mlt.source.cwd"]' "src/a"
expect_json '.tags["mlt.host"]' "$HOST"
expect_json .user mlt-tester
expect_json .params.lr 0.1
expect_json .tags.k v
expect_json .experiment recexp

t "run -- CMD: the child runs in the current directory (and in -C DIR)"
cd "$T/cmd/src"
run_mlt run -n wd -- sh -c 'pwd > where.txt'
expect_rc 0
expect_eq "child cwd" "$T/cmd/src" "$(cat "$T/cmd/src/where.txt" 2>/dev/null)"
cd "$T"
run_mlt -C "$T/cmd/src/a" run -n wd2 -- sh -c 'pwd > where.txt'
expect_rc 0
expect_eq "child cwd under -C" "$T/cmd/src/a" "$(cat "$T/cmd/src/a/where.txt" 2>/dev/null)"
run_mlt -C "$T/cmd" --json run show wd2
expect_json '.tags["mlt.source.cwd"]' "src/a"

t "run -- CMD: a cwd outside the project root is recorded as an absolute path"
mkdir -p "$T/elsewhere" && cd "$T/elsewhere"
MLT_DIR="$T/cmd/.mlt" run_mlt run -n away -- true
expect_rc 0
MLT_DIR="$T/cmd/.mlt" run_mlt --json run show away
expect_json '.tags["mlt.source.cwd"]' "$T/elsewhere"

t "run -- CMD: command not found exits 127 and records no run"
cd "$T/cmd"
run_mlt --json runs --all
n_before=$(jq_out '.runs | length')
run_mlt run -n ghost -- no-such-command-xyz
expect_rc 127
expect_out_empty
expect_err_contains "no-such-command-xyz"
run_mlt run -n ghost2 -- ./no/such/path
expect_rc 127
printf 'x' >not-exec.sh
run_mlt run -n ghost3 -- ./not-exec.sh
expect_rc 126
run_mlt --json runs --all
expect_json '.runs | length' "$n_before"

t "run with no command exits 2"
cd "$T/cmd"
run_mlt run
expect_rc 2
run_mlt run --
expect_rc 2
run_mlt run -n x
expect_rc 2
run_mlt run --bogus -- true
expect_rc 2

t "run --no-capture -- CMD is accepted (CLI.md flag)"
cd "$T/cmd"
run_mlt run -n nocap --no-capture -- true
expect_rc 0
if [ "$rc" = 0 ]; then
  run_mlt --json run show nocap
  expect_rc 0
  expect_json .status FINISHED
fi

t "run -- CMD: SIGTERM to mlt is forwarded; the run ends KILLED and mlt exits 143"
cd "$T/cmd"
rm -f "$T/child.pid"
"$MLT_BIN" run -n termed -- sh -c 'echo $$ > "$0"; exec sleep 30' "$T/child.pid" \
  </dev/null >"$T/term.out" 2>"$T/term.err" 3>&- &
mltpid=$!
track_bg "$mltpid"
if wait_for_file "$T/child.pid"; then
  sleep 0.1
  kill -TERM "$mltpid"
  wait "$mltpid"
  rc=$?
  last_cmd="kill -TERM <mlt run -- sleep 30>"
  out="$(cat "$T/term.out")" err="$(cat "$T/term.err")"
  expect_rc 143
  childpid=$(cat "$T/child.pid")
  if kill -0 "$childpid" 2>/dev/null; then
    fail "the child got the signal" "child $childpid gone" "still running"
    kill -KILL "$childpid" 2>/dev/null
  fi
  run_mlt --json run show termed
  expect_json .status KILLED
  expect_json .exit_code 143
else
  fail "child started" "child.pid written" "not written in 10 s"
fi

t "run -- CMD: SIGINT to mlt is forwarded; KILLED and exit 130"
cd "$T/cmd"
rm -f "$T/child.pid"
"$MLT_BIN" run -n interrupted -- sh -c 'echo $$ > "$0"; exec sleep 30' "$T/child.pid" \
  </dev/null >"$T/int.out" 2>"$T/int.err" 3>&- &
mltpid=$!
track_bg "$mltpid"
if wait_for_file "$T/child.pid"; then
  sleep 0.1
  kill -INT "$mltpid"
  wait "$mltpid"
  rc=$?
  last_cmd="kill -INT <mlt run -- sleep 30>"
  out="$(cat "$T/int.out")" err="$(cat "$T/int.err")"
  expect_rc 130
  run_mlt --json run show interrupted
  expect_json .status KILLED
  expect_json .exit_code 130
else
  fail "child started" "child.pid written" "not written in 10 s"
fi

t "run -- CMD: a SIGKILLed supervisor takes its child along; the run shows stale and can be ended"
cd "$T/cmd"
rm -f "$T/child.pid"
"$MLT_BIN" run -n victim -- sh -c 'echo $$ > "$0"; exec sleep 1000' "$T/child.pid" \
  </dev/null >"$T/kill.out" 2>"$T/kill.err" 3>&- &
mltpid=$!
track_bg "$mltpid"
if wait_for_file "$T/child.pid"; then
  childpid=$(cat "$T/child.pid")
  run_mlt --json run show victim
  expect_json .stale false
  expect_json .supervisor.pid "$mltpid"
  expect_json .supervisor.host "$HOST"
  expect_json '.supervisor.boot_id' "$(cat /proc/sys/kernel/random/boot_id)"
  expect_json '.heartbeat_time_ms == .start_time_ms' true
  kill -KILL "$mltpid"
  wait "$mltpid" 2>/dev/null
  gone=no
  for _ in $(seq 200); do
    if ! kill -0 "$childpid" 2>/dev/null; then gone=yes; break; fi
    sleep 0.05
  done
  if [ "$gone" != yes ]; then
    fail "the child died with its supervisor" "child $childpid gone" "still running after 10 s"
    kill -KILL "$childpid" 2>/dev/null
  fi
  run_mlt --json run show victim
  expect_json .status RUNNING
  expect_json .stale true
  run_mlt run show victim
  expect_out_contains "RUNNING (stale: its 'mlt run' process is gone"
  run_mlt runs
  expect_out_match "victim +Default +STALE"
  run_mlt --json runs -f "attributes.run_name = 'victim'"
  expect_json '.runs[0].stale' true
  run_mlt status
  expect_out_match "victim.*stale"
  run_mlt --json status
  expect_json '[.running[] | select(.name == "victim") | .stale]' '[true]'
  run_mlt run end victim --status killed
  expect_rc 0
  run_mlt --json run show victim
  expect_json .status KILLED
  expect_json .stale false
else
  fail "child started" "child.pid written" "not written in 10 s"
fi

t "run -- CMD: a run whose supervisor pid was reused by another process is stale"
cd "$T/cmd"
# record a run as supervised by this test's shell, but started at another time: the pid lives,
# the process is not the one that started the run
id=$("$MLT_BIN" run start -n reused 3>&-)
sqlite3 .mlt/mlt.db "UPDATE runs SET supervisor_pid = $$, supervisor_start = 1, supervisor_host = '$HOST',
  supervisor_boot_id = '$(cat /proc/sys/kernel/random/boot_id)',
  supervisor_pidns = '$(readlink /proc/self/ns/pid)' WHERE uuid = '$id'" 2>/dev/null ||
  fail "sqlite3 updated the run" "exit 0" "failed"
run_mlt --json run show reused
expect_json .stale true
sqlite3 .mlt/mlt.db "UPDATE runs SET supervisor_host = 'elsewhere' WHERE uuid = '$id'"
run_mlt --json run show reused
expect_json .stale false
run_mlt run show reused
expect_out_contains "(another host)"
run_mlt run start -n started-only
run_mlt --json run show started-only
expect_json .supervisor null
expect_json .stale false

t "run -- CMD | head -1: mlt survives the closed pipe, the command gets SIGPIPE as in a shell, the run ends"
cd "$T/cmd"
"$MLT_BIN" run -n piped -- seq 1 2000000 2>"$T/pipe.err" 3>&- | head -n 1 >"$T/pipe.out"
rc=${PIPESTATUS[0]}
last_cmd="mlt run -n piped -- seq 1 2000000 | head -n 1"
out="$(cat "$T/pipe.out")" err="$(cat "$T/pipe.err")"
expect_rc 141
expect_out_eq 1
run_mlt --json run show piped
expect_json .status KILLED
expect_json .exit_code 141
run_mlt artifact cat piped mlt/stdout.txt
expect_rc 0
expect_eq "first captured line" 1 "$(printf '%s\n' "$out" | head -n 1)"
expect_eq "output was cut like a shell pipeline's" yes "$([ "$(printf '%s\n' "$out" | wc -l)" -lt 2000000 ] && echo yes || echo no)"

t "run -- yes | head -1: an endless producer ends with the pipeline (no endless capture)"
cd "$T/cmd"
timeout -s KILL 60 "$MLT_BIN" run -n endless -- yes 2>"$T/pipe.err" 3>&- | head -n 1 >"$T/pipe.out"
rc=${PIPESTATUS[0]}
last_cmd="timeout -s KILL 60 mlt run -n endless -- yes | head -n 1"
out="$(cat "$T/pipe.out")" err="$(cat "$T/pipe.err")"
expect_rc 141
expect_out_eq y
run_mlt --json run show endless
expect_json .status KILLED

t "run --no-capture -- CMD | head -1: the command gets SIGPIPE itself, as in a shell pipeline"
cd "$T/cmd"
"$MLT_BIN" run -n piped-nocap --no-capture -- seq 1 200000 2>"$T/pipe.err" 3>&- | head -n 1 >"$T/pipe.out"
rc=${PIPESTATUS[0]}
last_cmd="mlt run --no-capture -- seq 1 200000 | head -n 1"
out="$(cat "$T/pipe.out")" err="$(cat "$T/pipe.err")"
expect_rc 141
run_mlt --json run show piped-nocap
expect_json .status KILLED
expect_json .exit_code 141

t "run -- ./script without a #! line runs it with /bin/sh, as shells do"
cd "$T/cmd"
printf 'echo "from sh: $1"\nexit 3\n' >noshebang.sh
chmod +x noshebang.sh
run_mlt run -n noshebang -- ./noshebang.sh arg1
expect_rc 3
expect_out_eq "from sh: arg1"
expect_err_not_contains "Exec format error"
run_mlt --json run show noshebang
expect_json .status FAILED
expect_json .exit_code 3

t "run WORD: a word that is 'ls' or one edit from a subcommand needs '--' (exit 2, did you mean)"
cd "$T/cmd"
run_mlt --json runs --all
n_before=$(jq_out '.runs | length')
run_mlt run ls
expect_rc 2
expect_out_empty
expect_err_contains "'ls' is not a 'mlt run' subcommand"
expect_err_contains "did you mean 'mlt runs'?"
expect_err_contains "'mlt run -- ls'"
run_mlt run strat -n x
expect_rc 2
expect_err_contains "did you mean 'mlt run start'?"
run_mlt run -p a=1 shwo x
expect_rc 2
expect_err_contains "did you mean 'mlt run show'?"
run_mlt run edn
expect_rc 2
expect_err_contains "did you mean 'mlt run end'?"
run_mlt --json runs --all
expect_json '.runs | length' "$n_before"
run_mlt run -n listed -- ls
expect_rc 0
run_mlt run -n echoed echo hello
expect_rc 0
expect_out_eq hello
run_mlt -q run -- env true
expect_rc 0
# one edit from 'end', but a program on PATH: run as written
run_mlt -q run env true
expect_rc 0

t "run -- CMD inside run -- CMD becomes a child run"
cd "$T/cmd"
run_mlt run -n outer -- mlt run -n inner -- sh -c 'exit 4'
expect_rc 4
run_mlt --json run show inner
expect_rc 0
inner="$(jq_out .id)"
expect_json .status FAILED
expect_json .exit_code 4
run_mlt --json run show outer
expect_json .children "[\"$inner\"]"
expect_json .status FAILED
expect_json .exit_code 4
run_mlt --json run show inner
expect_json .parent_id "$(run_id_by_name outer)"

# ---------------------------------------------------------------------------------------------
t "git: commit, branch, remote without credentials, clean tree"
if command -v git >/dev/null 2>&1; then
  mkdir -p "$T/repo" && cd "$T/repo"
  git init -q . && git symbolic-ref HEAD refs/heads/trunk
  printf 'a\n' >tracked.txt
  git add tracked.txt && git commit -q -m init
  git remote add origin https://user:secret@example.com/x.git
  must_mlt -q init >/dev/null
  head=$(git rev-parse HEAD)
  run_mlt run -n clean -- true
  expect_rc 0
  run_mlt --json run show clean
  expect_json '.tags["mlt.git.commit"]' "$head"
  expect_json '.tags["mlt.git.branch"]' trunk
  expect_json '.tags["mlt.git.remote"]' "https://example.com/x.git"
  expect_json '.tags["mlt.git.dirty"]' false
  expect_json '[.tags | to_entries[] | .value | select(contains("secret"))]' '[]'
else
  echo "note: git not installed; git cases skipped"
fi

t "git: a modified tracked file makes the tree dirty; the remote is re-read"
if command -v git >/dev/null 2>&1; then
  cd "$T/repo"
  printf 'b\n' >>tracked.txt
  git remote set-url origin "https://tok@git.example.com:8443/team/r.git"
  run_mlt run -n dirty -- true
  expect_rc 0
  run_mlt --json run show dirty
  expect_json '.tags["mlt.git.dirty"]' true
  expect_json '.tags["mlt.git.commit"]' "$(git rev-parse HEAD)"
  expect_json '.tags["mlt.git.remote"]' "https://git.example.com:8443/team/r.git"
fi

t "git: a staged change is dirty too; clean again after commit"
if command -v git >/dev/null 2>&1; then
  cd "$T/repo"
  git add tracked.txt
  run_mlt run -n staged -- true
  run_mlt --json run show staged
  expect_json '.tags["mlt.git.dirty"]' true
  git commit -q -m second
  run_mlt run -n clean2 -- true
  run_mlt --json run show clean2
  expect_json '.tags["mlt.git.dirty"]' false
  expect_json '.tags["mlt.git.commit"]' "$(git rev-parse HEAD)"
fi

t "git: untracked files are counted in mlt.git.untracked; ignored ones are not"
if command -v git >/dev/null 2>&1; then
  cd "$T/repo"
  # a project made before 'mlt init' wrote .mlt/.gitignore: mlt's own folder is not counted
  rm -f .mlt/.gitignore
  run_mlt run -n untracked0 -- true
  run_mlt --json run show untracked0
  expect_json '.tags["mlt.git.untracked"]' 0
  printf 'print(1)\n' >new_script.py
  mkdir -p newdir && printf 'x\n' >newdir/a && printf 'y\n' >newdir/b
  printf '*.log\n' >.gitignore
  printf 'z\n' >ignored.log
  run_mlt run -n untracked3 -- true
  run_mlt --json run show untracked3
  # new_script.py, newdir/ (one entry, as git status shows it) and .gitignore itself
  expect_json '.tags["mlt.git.untracked"]' 3
  expect_json '.tags["mlt.git.dirty"]' false
  rm -rf new_script.py newdir .gitignore ignored.log
fi

t "git: found through a worktree's .git file; not above GIT_CEILING_DIRECTORIES"
if command -v git >/dev/null 2>&1; then
  cd "$T/repo"
  git worktree add -q "$T/repo-wt" 2>/dev/null || git worktree add "$T/repo-wt" >/dev/null 2>&1
  cd "$T/repo-wt"
  MLT_DIR="$T/repo/.mlt" run_mlt run -n in-worktree -- true
  expect_rc 0
  MLT_DIR="$T/repo/.mlt" run_mlt --json run show in-worktree
  expect_json '.tags["mlt.git.commit"]' "$(git rev-parse HEAD)"
  mkdir -p "$T/repo/lib/ceil" && cd "$T/repo/lib/ceil"
  GIT_CEILING_DIRECTORIES="$T/repo/lib" run_mlt run -n ceiling -- true
  expect_rc 0
  run_mlt --json run show ceiling
  expect_json '[.tags | keys[] | select(startswith("mlt.git."))]' '[]'
fi

t "git: from a subdirectory of the repository"
if command -v git >/dev/null 2>&1; then
  mkdir -p "$T/repo/lib/x" && cd "$T/repo/lib/x"
  run_mlt run -n sub -- true
  expect_rc 0
  run_mlt --json run show sub
  expect_json '.tags["mlt.git.commit"]' "$(git rev-parse HEAD)"
  expect_json '.tags["mlt.source.cwd"]' "lib/x"
fi

t "git: --no-git records no git state"
if command -v git >/dev/null 2>&1; then
  cd "$T/repo"
  run_mlt run -n nogit --no-git -- true
  expect_rc 0
  run_mlt --json run show nogit
  expect_json '[.tags | keys[] | select(startswith("mlt.git."))]' '[]'
  run_mlt run start -n nogit2 --no-git
  run_mlt --json run show nogit2
  expect_json '[.tags | keys[] | select(startswith("mlt.git."))]' '[]'
fi

t "git: run start records the git state too"
if command -v git >/dev/null 2>&1; then
  cd "$T/repo"
  run_mlt run start -n started
  run_mlt --json run show started
  expect_json '.tags["mlt.git.commit"]' "$(git rev-parse HEAD)"
fi

t "outside git: no git tags and no warning"
if git -C "$T" rev-parse --git-dir >/dev/null 2>&1; then
  echo "note: the scratch directory is inside a git repository; case skipped"
else
  cd "$T/cmd"
  run_mlt run -n plain -- true
  expect_rc 0
  expect_err_not_contains "warning"
  run_mlt --json run show plain
  expect_json '[.tags | keys[] | select(startswith("mlt.git."))]' '[]'
fi

# ---------------------------------------------------------------------------------------------
t "the example trainer under mlt run logs its params and 20 steps of 3 metrics"
if [ -n "${MLT_EXAMPLE_TRAIN:-}" ] && [ -x "$MLT_EXAMPLE_TRAIN" ]; then
  new_project demo
  run_mlt run -n demo -- "$MLT_EXAMPLE_TRAIN" --epochs 20
  expect_rc 0
  expect_err_not_contains "warning"
  run_mlt --json run show demo
  expect_json .status FINISHED
  expect_json .exit_code 0
  expect_json .params '{"epochs":"20","l2":"0","lr":"0.5","samples":"2000","seed":"42"}'
  expect_json '.metrics | keys' '["train_loss","val_accuracy","val_loss"]'
  expect_json '[.metrics[].count]' '[20,20,20]'
  expect_json '[.metrics[].step]' '[20,20,20]'
  expect_json .metrics.val_accuracy.last 0.89
  expect_json '.metrics.train_loss.last * 1e6 | round' 410545
  expect_json '.metrics.val_loss.last * 1e6 | round' 414526
  expect_json '.metrics.train_loss.last < .metrics.train_loss.max' true
  run_mlt --json metrics demo val_accuracy
  expect_json '[.metrics.val_accuracy[].step]' "$(seq -s, 1 20 | sed 's/^/[/; s/$/]/')"
  expect_json '.metrics.val_accuracy[0].value' 0.8025
else
  fail "MLT_EXAMPLE_TRAIN is an executable" "the trainer's path" "'${MLT_EXAMPLE_TRAIN:-}'"
fi

finish
