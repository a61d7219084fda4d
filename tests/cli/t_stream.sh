# t_stream.sh: metric streaming: `mlt log stream` (kv, jsonl, csv, auto-detection, --format,
# malformed lines, --strict, empty input, over-long lines, NaN/inf, step/time, the --json summary,
# SIGINT), the MLT_METRICS_FD channel and --metrics-from-stdout of `mlt run`, and many concurrent
# streams into many runs and into one run.
# shellcheck disable=SC2164  # every cd goes into a directory this suite just created
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/in" "$T/w"

# input NAME: stdin -> $T/in/NAME (byte-exact); prints the path.
input() {
  cat >"$T/in/$1"
  printf '%s\n' "$T/in/$1"
}

# stream RUN FILE [ARG]...: mlt --json log stream --run RUN [ARG]... < FILE, with a pinned clock.
stream() {
  local run="$1" file="$2"
  shift 2
  MLT_NOW_MS=$T0_MS run_mlt_stdin "$file" --json log stream --run "$run" "$@"
}

# points RUN [KEY]...: `mlt metrics RUN KEY... --format csv` into $out (must exit 0).
points() {
  run_mlt metrics "$@" --format csv
  expect_rc 0
}

# expect_err_last_json EXPR EXPECTED: the last line of stderr (the error document under --json,
# after the messages that come before it) is JSON and jq -rc EXPR on it prints EXPECTED.
expect_err_last_json() {
  local v
  v="$(tail -n 1 "$T/.lib/stderr" | jq -rc "$1" 2>"$T/.lib/jq_err")" ||
    { fail "last stderr line is JSON and jq '$1' works" "$(lib_show "$2")" "jq failed: $(cat "$T/.lib/jq_err")"; return; }
  [ "$v" = "$2" ] || fail "stderr (last line) json $1" "$(lib_show "$2")" "$(lib_show "$v")"
}

# wait_all PID...: wait for each (in this shell); $bad = the number of non-zero exits.
wait_all() {
  local pid
  bad=0
  for pid in "$@"; do wait "$pid" || bad=$((bad + 1)); done
}

new_project p
cd "$T/p"
for r in kv js csv auto fmt bad strict empty huge special reserved autostep sum; do
  must_mlt run start -n "$r" --no-git >/dev/null
done

# ---------------------------------------------------------------------------------------------
t "kv: KEY=VALUE pairs separated by spaces or tabs, one step per line"
cd "$T/p"
f=$(printf 'loss=0.5 acc=0.25 step=0\nloss=0.25\tacc=0.5   step=1 time=1234\r\n\n   \t\nloss=-1e-3 step=2\n' | input kv)
stream kv "$f"
expect_rc 0
expect_json .points 5
expect_json .keys 2
expect_json .lines 5
expect_json .rejected 0
points kv
expect_out_eq "key,step,time_ms,value
acc,0,$T0_MS,0.25
acc,1,1234,0.5
loss,0,$T0_MS,0.5
loss,1,1234,0.25
loss,2,$T0_MS,-0.001"

t "jsonl: one object per line, nested keys joined with dots, numbers as strings, \"nan\"/\"inf\"/\"-inf\""
cd "$T/p"
f=$(input js <<'EOF'
{"loss": 0.31, "acc": 0.9, "step": 10}
{"train": {"loss": 0.25}, "val": {"loss": 0.42, "acc": "nan", "deep": {"x": "inf"}}, "step": 11}
{"loss": "0.125", "acc": "-inf", "step": "12", "time": 5000}
{"a.b": 1, "step": 13.0}
EOF
)
stream js "$f"
expect_rc 0
expect_json .points 9
expect_json .rejected 0
points js
expect_out_eq "key,step,time_ms,value
a.b,13,$T0_MS,1
acc,10,$T0_MS,0.9
acc,12,5000,-inf
loss,10,$T0_MS,0.31
loss,12,5000,0.125
train.loss,11,$T0_MS,0.25
val.acc,11,$T0_MS,nan
val.deep.x,11,$T0_MS,inf
val.loss,11,$T0_MS,0.42"

t "jsonl: null, booleans, arrays, non-objects and invalid JSON are rejected with their line numbers"
cd "$T/p"
must_mlt run start -n jsbad --no-git >/dev/null
f=$(input jsbad <<'EOF'
{"ok": 1}
{"a": null}
{"a": true}
{"a": [1, 2]}
[1, 2]
"text"
{"a": 1,
{"a": "abc"}
{"ok": 2}
EOF
)
stream jsbad "$f"
expect_rc 0
expect_json .points 2
expect_json .rejected 7
expect_json .lines 9
for n in 2 3 4 5 6 7 8; do expect_err_contains "mlt: line $n: "; done
expect_err_not_contains "mlt: line 1:"
expect_err_not_contains "mlt: line 9:"
expect_err_contains "null"
points jsbad
expect_out_eq "key,step,time_ms,value
ok,0,$T0_MS,1
ok,1,$T0_MS,2"

t "csv: a header, then rows; empty cells log nothing; spaces and one pair of quotes are removed"
cd "$T/p"
f=$(printf 'step,loss,acc\n0,0.52,0.71\n1,0.47,\n2,,0.8\n 3 , "0.4" ,nan\n4,,\n' | input csv)
stream csv "$f"
expect_rc 0
expect_json .points 6
expect_json .keys 2
expect_json .lines 6
expect_json .rejected 0
points csv
expect_out_eq "key,step,time_ms,value
acc,0,$T0_MS,0.71
acc,2,$T0_MS,0.8
acc,3,$T0_MS,nan
loss,0,$T0_MS,0.52
loss,1,$T0_MS,0.47
loss,3,$T0_MS,0.4"

t "csv: rows with the wrong number of cells and non-numbers are rejected; a bad header is rejected"
cd "$T/p"
must_mlt run start -n csvbad --no-git >/dev/null
f=$(printf 'step,loss\n0,1\n1,2,3\n2\n3,abc\n4,5\n' | input csvbad)
stream csvbad "$f" --format csv
expect_rc 0
expect_json .points 2
expect_json .rejected 3
expect_err_contains "mlt: line 3: "
expect_err_contains "mlt: line 4: "
expect_err_contains "mlt: line 5: "
points csvbad
expect_out_eq "key,step,time_ms,value
loss,0,$T0_MS,1
loss,4,$T0_MS,5"
must_mlt run start -n csvhdr --no-git >/dev/null
f=$(printf 'loss,loss\n' | input csvhdr)
stream csvhdr "$f" --format csv
expect_rc 0
expect_json .rejected 1
expect_err_contains "mlt: line 1: "
f=$(printf 'loss,,acc\n' | input csvhdr2)
stream csvhdr "$f" --format csv
expect_rc 0
expect_json .rejected 1

t "auto-detection by the first non-blank line: '{' is jsonl, '=' is kv, anything else a csv header"
cd "$T/p"
f=$(printf '\n\n{"x": 1, "step": 0}\nx=2 step=1\n{"x": 3, "step": 2}\n' | input auto-js)
stream auto "$f"
expect_rc 0
expect_json .points 2
expect_json .rejected 1
expect_err_contains "mlt: line 4: "      # a kv line in a jsonl stream: the first line chose
points auto x
expect_out_eq "key,step,time_ms,value
x,0,$T0_MS,1
x,2,$T0_MS,3"
f=$(printf '  \ny=1 step=0\n{"y": 2, "step": 1}\n' | input auto-kv)
stream auto "$f"
expect_rc 0
expect_json .points 1
expect_json .rejected 1
expect_err_contains "mlt: line 3: "
f=$(printf 'z\n5\n6\n' | input auto-csv)
stream auto "$f"
expect_rc 0
expect_json .points 2
expect_json .rejected 0
points auto y z
expect_out_eq "key,step,time_ms,value
y,0,$T0_MS,1
z,0,$T0_MS,5
z,1,$T0_MS,6"

t "--format overrides detection; an unknown format exits 2"
cd "$T/p"
f=$(printf 'loss=1\n' | input fmt-kv)
stream fmt "$f" --format jsonl
expect_rc 0
expect_json .points 0
expect_json .rejected 1
expect_err_contains "mlt: line 1: "
f=$(printf 'loss\n2\n' | input fmt-bare)
stream fmt "$f" --format kv          # auto would take 'loss' as a CSV header
expect_rc 0
expect_json .points 0
expect_json .rejected 2
f=$(printf '{"a": 1}\n' | input fmt-js)
stream fmt "$f" --format kv
expect_rc 0
expect_json .points 0
expect_json .rejected 1
stream fmt "$f" --format jsonl
expect_rc 0
expect_json .points 1
stream fmt "$f" --format xml
expect_rc 2
expect_out_empty
expect_err_contains "xml"
run_mlt --json run show fmt
expect_json '.metrics | keys' '["a"]'
expect_json .metrics.a.count 1

t "malformed lines: reported with line number (blank lines counted) and reason, skipped, exit 0"
cd "$T/p"
f=$(printf 'a=1\n\nbad line\na=oops\nstep=3\na=1 a=2\na=2 step=1.5\na=3 time=-1\n=4\na=5\n' | input bad)
stream bad "$f"
expect_rc 0
expect_json .points 2
expect_json .rejected 7
expect_json .lines 10
expect_err_contains "mlt: line 3: "
expect_err_contains "mlt: line 4: "
expect_err_contains "mlt: line 5: "
expect_err_contains "mlt: line 6: "
expect_err_contains "mlt: line 7: "
expect_err_contains "mlt: line 8: "
expect_err_contains "mlt: line 9: "
expect_err_contains "oops"
expect_err_not_contains "mlt: line 1:"
expect_err_not_contains "mlt: line 2:"
expect_err_not_contains "mlt: line 10:"
expect_err_contains "7 rejected"
points bad
expect_out_eq "key,step,time_ms,value
a,0,$T0_MS,1
a,1,$T0_MS,5"

t "--strict: the first malformed line stops the stream, exit 2; earlier points stored, later not"
cd "$T/p"
f=$(printf 'a=1\na=2\n\noops\na=3\na=4\n' | input strict)
stream strict "$f" --strict
expect_rc 2
expect_out_empty
expect_err_last_json .error.code 2
expect_err_contains "line 4"
points strict
expect_out_eq "key,step,time_ms,value
a,0,$T0_MS,1
a,1,$T0_MS,2"
# a strict stream whose first line is bad stores nothing
must_mlt run start -n strict0 --no-git >/dev/null
f=$(printf '{"a": null}\n{"a": 1}\n' | input strict0)
stream strict0 "$f" --strict
expect_rc 2
run_mlt --json run show strict0
expect_json .metrics '{}'
# without --strict the same input exits 0
stream strict0 "$f"
expect_rc 0
expect_json .points 1

t "empty input: 0 points, exit 0 (no bytes, and only blank lines)"
cd "$T/p"
run_mlt --json log stream --run empty
expect_rc 0
expect_json '[.points, .keys, .lines, .rejected]' '[0,0,0,0]'
f=$(printf '\n  \n\t\n' | input blank)
stream empty "$f"
expect_rc 0
expect_json '[.points, .keys, .lines, .rejected]' '[0,0,3,0]'
run_mlt --json run show empty
expect_json .metrics '{}'

t "a 10 MB line is rejected cleanly and the lines around it are stored"
cd "$T/p"
{
  echo "a=1 step=0"
  head -c 10000000 /dev/zero | tr '\0' 'x'
  echo
  echo "a=2 step=1"
} >"$T/in/huge"
stream huge "$T/in/huge"
expect_rc 0
expect_json .points 2
expect_json .lines 3
expect_json .rejected 1
expect_err_contains "mlt: line 2: "
points huge
expect_out_eq "key,step,time_ms,value
a,0,$T0_MS,1
a,1,$T0_MS,2"

t "line length limit: 1 MiB is accepted, 1 MiB + 1 byte rejected, also as the last line"
cd "$T/p"
must_mlt run start -n edge --no-git >/dev/null
{
  printf 'b=%01048574d\n' 7            # 1,048,576 bytes
  printf 'c=%01048575d\n' 7            # 1,048,577 bytes
  printf 'd=%01048575d' 7              # over-long, without a newline at the end
} >"$T/in/edge"
stream edge "$T/in/edge"
expect_rc 0
expect_json .points 1
expect_json .rejected 2
expect_err_contains "mlt: line 2: "
expect_err_contains "mlt: line 3: "
run_mlt --json run show edge
expect_json '.metrics | keys' '["b"]'
expect_json .metrics.b.last 7

t "NaN and infinities are stored: --json metrics gives value null and value_special"
cd "$T/p"
f=$(printf 'x=nan y=inf z=-inf w=1 step=0\nx=NaN y=Infinity z=-INF w=2 step=1\n{"x": "nan", "y": "inf", "z": "-inf", "w": 3, "step": 2}\n' | input special)
stream special "$f" --format auto
expect_rc 0
expect_json .rejected 1          # the jsonl line in a kv stream
f=$(printf '{"x": "nan", "y": "inf", "z": "-inf", "w": 3, "step": 2}\n{"x": "NAN", "w": "nan", "step": 3}\n' | input special-js)
stream special "$f"
expect_rc 0
expect_json .rejected 0
run_mlt --json metrics special
expect_rc 0
expect_json '[.metrics.x[] | [.value, .value_special]]' '[[null,"nan"],[null,"nan"],[null,"nan"],[null,"nan"]]'
expect_json '[.metrics.y[] | [.value, .value_special]]' '[[null,"inf"],[null,"inf"],[null,"inf"]]'
expect_json '[.metrics.z[] | [.value, .value_special]]' '[[null,"-inf"],[null,"-inf"],[null,"-inf"]]'
expect_json '[.metrics.w[] | .value]' '[1,2,3,null]'
expect_json '.metrics.w[0] | has("value_special")' false
run_mlt --json run show special
expect_json '.metrics.w | [.last, .last_special, .min, .max, .count, .step]' '[null,"nan",1,3,4,3]'
expect_json '.metrics.x | [.last, .last_special, .min, .max, .count]' '[null,"nan",null,null,4]'
expect_json '.metrics.y | [.min_special, .max_special]' '["inf","inf"]'

t "step and time are reserved keys, not metrics; step must be an integer, time epoch ms >= 0"
cd "$T/p"
f=$(printf 'a=1 step=5 time=1000\na=2 step=6.0 time=2000.0\na=3 step=6.5\na=4 time=-1\na=5 time=abc\nstep=9\n{"step": 9, "time": 1}\na=6 step=7 step=8\n' | input reserved)
stream reserved "$f"
expect_rc 0
expect_json .points 2
expect_json .keys 1
expect_json .rejected 6
for n in 3 4 5 6 7 8; do expect_err_contains "mlt: line $n: "; done
points reserved
expect_out_eq "key,step,time_ms,value
a,5,1000,1
a,6,2000,2"
run_mlt --json run show reserved
expect_json '.metrics | keys' '["a"]'

t "auto step: 0, 1, 2...; one past the greatest last step of the line's keys, also from earlier calls"
cd "$T/p"
f=$(printf 'a=1\na=2\na=3 b=1\nb=2\n' | input autostep)
stream autostep "$f"
expect_rc 0
points autostep
expect_out_eq "key,step,time_ms,value
a,0,$T0_MS,1
a,1,$T0_MS,2
a,2,$T0_MS,3
b,2,$T0_MS,1
b,3,$T0_MS,2"
MLT_NOW_MS=$T0_MS must_mlt log metric --run autostep --step 10 c=1 >/dev/null
f=$(printf 'c=2\na=4\nb=3 c=3\n' | input autostep2)
stream autostep "$f"
expect_rc 0
points autostep c a b
expect_out_eq "key,step,time_ms,value
c,10,$T0_MS,1
c,11,$T0_MS,2
c,12,$T0_MS,3
a,0,$T0_MS,1
a,1,$T0_MS,2
a,2,$T0_MS,3
a,3,$T0_MS,4
b,2,$T0_MS,1
b,3,$T0_MS,2
b,12,$T0_MS,3"

t "the --json summary: run (full id), points, keys, lines (blank and header included), rejected, seconds"
cd "$T/p"
SUM=$(must_mlt --json run show sum | jq -r .id)
f=$(printf 'step,a,b\n0,1,2\n\n1,3,\n2,x,1\n' | input sum)
stream sum "$f"
expect_rc 0
expect_json_valid
expect_json .run "$SUM"
expect_json .points 3
expect_json .keys 2
expect_json .lines 5
expect_json .rejected 1
expect_json '.seconds | type' number
expect_json '.seconds >= 0' true
expect_json '[has("run"), has("points"), has("keys"), has("lines"), has("rejected"), has("seconds")] | all' true
expect_err_match 'mlt: stored 3 points \(2 keys\) from 5 lines, 1 rejected, in [0-9]+\.[0-9]{2} s \([0-9]+ points/s\)'
# without --json: nothing on stdout, the summary on stderr; -q silences the summary
f=$(printf 'a=1\n' | input sum2)
run_mlt_stdin "$f" log stream --run sum
expect_rc 0
expect_out_empty
expect_err_contains "1 point"
run_mlt_stdin "$f" -q log stream --run sum
expect_rc 0
expect_out_empty
expect_err_empty

t "log stream: no run (exit 2), an unknown run (exit 4), outside a project (exit 3)"
cd "$T/p"
f=$(printf 'a=1\n' | input target)
run_mlt_stdin "$f" log stream
expect_rc 2
MLT_RUN_ID="$SUM" run_mlt_stdin "$f" --json log stream
expect_rc 0
expect_json .run "$SUM"
run_mlt_stdin "$f" log stream --run nosuchrun
expect_rc 4
mkdir -p "$T/noproj"
cd "$T/noproj"
run_mlt_stdin "$f" log stream --run sum
expect_rc 3

# ---------------------------------------------------------------------------------------------
t "interrupted stream: SIGINT exits 130, committed points kept exactly once, the partial line not stored"
cd "$T/p"
must_mlt run start -n intr --no-git >/dev/null
N=50
fifo="$T/w/fifo"
mkfifo "$fifo"
"$MLT_BIN" log stream --run intr <"$fifo" >"$T/w/intr.out" 2>"$T/w/intr.err" 3>&- &
mltpid=$!
track_bg "$mltpid"
exec 7<>"$fifo"       # read-write: never blocks, and mlt sees no end of input
(
  for ((i = 0; i < N; i++)); do echo "loss=$i step=$i"; done
  printf 'loss=999 step=%d' "$N"      # a partial line: no newline
) >&7 2>/dev/null
committed=""
for i in $(seq 100); do
  committed=$("$MLT_BIN" --json run show intr 2>/dev/null 3>&- 7>&- | jq '.metrics.loss.count // 0')
  [ "$committed" = "$N" ] && break
  sleep 0.05
done
expect_eq "points committed while the stream is open (polled up to 5 s)" "$N" "$committed"
kill -INT "$mltpid"
wait "$mltpid"
rc=$?
exec 7>&-
last_cmd="mlt log stream --run intr < fifo ($N lines + a partial line), then kill -INT"
out="$(cat "$T/w/intr.out")" err="$(cat "$T/w/intr.err")"
expect_rc 130
expect_err_contains "interrupted"
run_mlt --json run show intr
expect_json .metrics.loss.count "$N"
expect_json .metrics.loss.last $((N - 1))
expect_json .metrics.loss.max $((N - 1))
points intr
expect_eq "points: one per step 0..$((N - 1)), none twice" \
  "$(seq 0 $((N - 1)) | sed 's/.*/loss,&,&/')" \
  "$(printf '%s\n' "$out" | tail -n +2 | awk -F, '{print $1","$2","$4}' | sort -t, -k2,2n)"
expect_out_not_contains ",999"

t "interrupted stream: SIGTERM also stores what was read and exits 130"
cd "$T/p"
must_mlt run start -n term --no-git >/dev/null
rm -f "$fifo"
mkfifo "$fifo"
"$MLT_BIN" log stream --run term <"$fifo" >"$T/w/term.out" 2>"$T/w/term.err" 3>&- &
mltpid=$!
track_bg "$mltpid"
exec 7<>"$fifo"
(printf 'a=1\na=2\na=3\n') >&7 2>/dev/null
committed=""
for i in $(seq 100); do
  committed=$("$MLT_BIN" --json run show term 2>/dev/null 3>&- 7>&- | jq '.metrics.a.count // 0')
  [ "$committed" = 3 ] && break
  sleep 0.05
done
kill -TERM "$mltpid"
wait "$mltpid"
rc=$?
exec 7>&-
last_cmd="mlt log stream --run term < fifo (3 lines), then kill -TERM"
out="$(cat "$T/w/term.out")" err="$(cat "$T/w/term.err")"
expect_rc 130
run_mlt --json run show term
expect_json .metrics.a.count 3

# ---------------------------------------------------------------------------------------------
t "run -- CMD: MLT_METRICS_FD takes kv and jsonl lines mixed, line by line; bad lines reported"
new_project ch
cd "$T/ch"
# shellcheck disable=SC2016  # expanded by the child
MLT_NOW_MS=$T0_MS run_mlt run -n fd --no-git -- bash -c '
  echo "loss=1 acc=0.5 step=0" >&$MLT_METRICS_FD
  echo "{\"loss\": 2, \"val\": {\"acc\": \"nan\"}, \"step\": 1}" >&$MLT_METRICS_FD
  echo "child stdout"
  echo "garbage here" >&$MLT_METRICS_FD
  echo "loss=3" >&$MLT_METRICS_FD
  printf "acc=0.75 step=9" >&$MLT_METRICS_FD'
expect_rc 0
expect_out_eq "child stdout"
expect_err_contains "MLT_METRICS_FD line 3"
expect_err_contains "metrics channel:"
expect_err_contains "6 points"
expect_err_contains "1 rejected"
run_mlt --json run show fd
expect_json .status FINISHED
points fd
expect_out_eq "key,step,time_ms,value
acc,0,$T0_MS,0.5
acc,9,$T0_MS,0.75
loss,0,$T0_MS,1
loss,1,$T0_MS,2
loss,2,$T0_MS,3
val.acc,1,$T0_MS,nan"

t "run -- CMD killed by a signal mid-line: its cut-off last line is not stored; an exited child's is"
cd "$T/ch"
# shellcheck disable=SC2016  # expanded by the child
MLT_NOW_MS=$T0_MS run_mlt run -n cut --no-git -- sh -c '
  printf "step=0 loss=0 acc=0.5\nstep=1 loss=1 acc=1" >&$MLT_METRICS_FD; kill -9 $$'
expect_rc 137
run_mlt --json run show cut
expect_json .status KILLED
points cut
expect_out_eq "key,step,time_ms,value
acc,0,$T0_MS,0.5
loss,0,$T0_MS,0"
# shellcheck disable=SC2016  # expanded by the child
MLT_NOW_MS=$T0_MS run_mlt run -n exited --no-git --metrics-from-stdout -- sh -c '
  printf "mlt: step=0 loss=0\nmlt: step=1 loss=1"; exit 3'
expect_rc 3
points exited
expect_out_eq "key,step,time_ms,value
loss,0,$T0_MS,0
loss,1,$T0_MS,1"
MLT_NOW_MS=$T0_MS run_mlt run -n cut-stdout --no-git --metrics-from-stdout -- sh -c '
  printf "mlt: step=0 loss=0\nmlt: step=1 loss=1"; kill -9 $$'
expect_rc 137
points cut-stdout
expect_out_eq "key,step,time_ms,value
loss,0,$T0_MS,0"

t "run -- CMD: MLT_METRICS_FD shared by 4 processes of the child, 3,000 lines: all stored"
cd "$T/ch"
# shellcheck disable=SC2016  # expanded by the child
run_mlt run -n fdmany --no-git -- bash -c '
  for p in 0 1 2 3; do
    ( for ((i = 0; i < 750; i++)); do echo "k$p=$i step=$i"; done >&$MLT_METRICS_FD ) &
  done
  wait'
expect_rc 0
expect_err_contains "3000 points"
expect_err_contains "0 rejected lines"
run_mlt --json run show fdmany
for p in 0 1 2 3; do
  expect_json ".metrics.k$p | [.count, .min, .max, .last, .step]" "[750,0,749,749,749]"
done

t "run -- CMD: the metrics channel's note at the end reads as in the man page"
cd "$T/ch"
# shellcheck disable=SC2016  # expanded by the child
run_mlt run -n fdnote --no-git -- bash -c 'for ((i = 0; i < 100; i++)); do echo "a=$i b=$i c=$i"; done >&$MLT_METRICS_FD'
expect_rc 0
expect_err_contains "mlt: metrics channel: 300 points (3 keys), 0 rejected lines"

t "run --metrics-from-stdout: 'mlt:' lines are metrics (kv or jsonl); all stdout still reaches stdout"
cd "$T/ch"
cat >"$T/w/child.sh" <<'EOF'
echo "epoch 1"
echo "mlt: loss=0.5 step=0"
echo "mlt:{\"loss\": 0.25, \"step\": 1}"
echo "  mlt: loss=9 step=9"
echo "xmlt: loss=9 step=9"
echo "loss=9 step=9"
echo "mlt: not a metric"
seq 1 20000
printf 'mlt: acc=1 step=2'
EOF
bash "$T/w/child.sh" >"$T/w/child.expected"
MLT_NOW_MS=$T0_MS run_mlt run -n so --no-git --metrics-from-stdout -- bash "$T/w/child.sh"
expect_rc 0
if ! cmp -s "$T/w/child.expected" "$T/.lib/stdout"; then
  fail "stdout of mlt equals the child's stdout, byte for byte" "$(wc -c <"$T/w/child.expected") bytes" \
    "$(wc -c <"$T/.lib/stdout") bytes: $(cmp "$T/w/child.expected" "$T/.lib/stdout" 2>&1)"
fi
expect_err_contains "stdout line 7"
expect_err_contains "stdout metrics"
points so
expect_out_eq "key,step,time_ms,value
acc,2,$T0_MS,1
loss,0,$T0_MS,0.5
loss,1,$T0_MS,0.25"

t "run --metrics-prefix PREFIX: only lines with that prefix are metrics (implies the stdout mode)"
cd "$T/ch"
MLT_NOW_MS=$T0_MS run_mlt run -n sp --no-git --metrics-prefix '@@ ' -- \
  bash -c 'echo "@@ loss=1 step=0"; echo "mlt: loss=5 step=5"; echo "@@ {\"acc\": 2}"; echo "plain"'
expect_rc 0
expect_out_eq '@@ loss=1 step=0
mlt: loss=5 step=5
@@ {"acc": 2}
plain'
points sp
expect_out_eq "key,step,time_ms,value
acc,0,$T0_MS,2
loss,0,$T0_MS,1"
MLT_NOW_MS=$T0_MS run_mlt run -n sp2 --no-git --metrics-from-stdout --metrics-prefix 'METRIC|' -- \
  bash -c 'echo "METRIC|x=1"; echo "METRIC| x=2"; echo "metric|x=3"'
expect_rc 0
run_mlt --json run show sp2
expect_json .metrics.x.count 2
expect_json .metrics.x.last 2

t "run without --metrics-from-stdout: stdout lines are not metrics"
cd "$T/ch"
run_mlt run -n nostdout --no-git -- bash -c 'echo "mlt: loss=1"'
expect_rc 0
expect_out_eq "mlt: loss=1"
run_mlt --json run show nostdout
expect_json .metrics '{}'

# ---------------------------------------------------------------------------------------------
WRITERS=8
POINTS=2000

t "$WRITERS concurrent streams x $POINTS points into $WRITERS runs: all exit 0, exact counts"
new_project many
cd "$T/many"
for p in $(seq 1 $WRITERS); do
  must_mlt run start -n "r$p" --no-git >/dev/null
  awk -v n=$POINTS -v p="$p" 'BEGIN { for (i = 0; i < n; i++) printf "v=%d w=%d step=%d\n", i, p, i }' \
    >"$T/w/many.$p"
done
pids=()
for p in $(seq 1 $WRITERS); do
  "$MLT_BIN" --json log stream --run "r$p" <"$T/w/many.$p" >"$T/w/many.out.$p" 2>"$T/w/many.err.$p" 3>&- &
  pids+=($!)
  track_bg $!
done
wait_all "${pids[@]}"
last_cmd="$WRITERS x mlt --json log stream --run rP < $POINTS lines (concurrently)"
out="" err="$(cat "$T"/w/many.err.*)"
expect_eq "streams that exited non-zero" 0 "$bad"
expect_err_not_contains "locked"
expect_err_not_contains "error"
for p in $(seq 1 $WRITERS); do
  out="$(cat "$T/w/many.out.$p")"
  cp "$T/w/many.out.$p" "$T/.lib/stdout"
  expect_json .points $((POINTS * 2))
  expect_json .rejected 0
  run_mlt --json run show "r$p"
  expect_json '.metrics.v | [.count, .min, .max, .last, .step]' "[$POINTS,0,$((POINTS - 1)),$((POINTS - 1)),$((POINTS - 1))]"
  expect_json '.metrics.w | [.count, .min, .max]' "[$POINTS,$p,$p]"
done
run_mlt metrics r3 v --format csv
expect_eq "csv points of r3 (header + points)" $((POINTS + 1)) "$(lines_of "$out")"

t "$WRITERS concurrent streams into ONE run with disjoint steps: exact counts and summaries, NaN too"
cd "$T/many"
ONE=$(must_mlt run start -n one --no-git)
for p in $(seq 0 $((WRITERS - 1))); do
  # loss = step; n = step on odd steps and NaN on even ones (min and max ignore NaN)
  awk -v n=$POINTS -v p="$p" 'BEGIN { for (i = 0; i < n; i++) { s = p * n + i
      printf "{\"loss\": %d, \"n\": %s, \"step\": %d}\n", s, (s % 2 ? s : "\"nan\""), s } }' \
    >"$T/w/one.$p"
done
pids=()
for p in $(seq 0 $((WRITERS - 1))); do
  "$MLT_BIN" log stream --run "$ONE" <"$T/w/one.$p" >/dev/null 2>"$T/w/one.err.$p" 3>&- &
  pids+=($!)
  track_bg $!
done
wait_all "${pids[@]}"
last_cmd="$WRITERS x mlt log stream --run one < $POINTS jsonl lines with disjoint steps (concurrently)"
out="" err="$(cat "$T"/w/one.err.*)"
expect_eq "streams that exited non-zero" 0 "$bad"
expect_err_not_contains "locked"
expect_err_not_contains "mlt: line"
TOTAL=$((WRITERS * POINTS))
run_mlt --json run show one
expect_json '.metrics.loss | [.count, .min, .max, .last, .step]' "[$TOTAL,0,$((TOTAL - 1)),$((TOTAL - 1)),$((TOTAL - 1))]"
expect_json '.metrics.n | [.count, .min, .max, .last, .step]' "[$TOTAL,1,$((TOTAL - 1)),$((TOTAL - 1)),$((TOTAL - 1))]"
run_mlt metrics one loss --format csv
expect_eq "csv points (header + points)" $((TOTAL + 1)) "$(lines_of "$out")"
expect_eq "distinct steps" "$TOTAL" "$(printf '%s\n' "$out" | tail -n +2 | cut -d, -f2 | sort -u | wc -l | tr -d ' ')"
expect_eq "every point's value equals its step" 0 \
  "$(printf '%s\n' "$out" | tail -n +2 | awk -F, '$2 != $4' | wc -l | tr -d ' ')"

# ---------------------------------------------------------------------------------------------
t "csv: RFC 4180 cells: quoted commas and doubled quotes in the header and rows, CRLF"
new_project rfc
cd "$T/rfc"
must_mlt run start -n q --no-git >/dev/null
f=$(printf 'step,"val loss, smoothed","say ""acc"""\r\n0,"0.5",0.25\r\n1,"1,5",2\r\n2,"0.75\r\n3,1,"2"\r\n' | input rfc)
stream q "$f" --format csv
expect_rc 0
expect_json .points 4
expect_json .keys 2
expect_json .rejected 2
expect_err_contains "mlt: line 3: value of 'val loss, smoothed' is not a number: '1,5'"
expect_err_contains "mlt: line 4: a quoted field is not closed at the end of the line"
points q
expect_out_eq "key,step,time_ms,value
\"say \"\"acc\"\"\",0,$T0_MS,0.25
\"say \"\"acc\"\"\",3,$T0_MS,2
\"val loss, smoothed\",0,$T0_MS,0.5
\"val loss, smoothed\",3,$T0_MS,1"
# --format auto takes a line that opens with a quote for a CSV header
must_mlt run start -n qa --no-git >/dev/null
f=$(printf '"my loss"\n0.5\n' | input rfcauto)
stream qa "$f"
expect_rc 0
expect_json .points 1
points qa
expect_out_eq "key,step,time_ms,value
my loss,0,$T0_MS,0.5"

# deep N: a JSON line {"k": {"k": ... 1 ...}} nested N deep (no newline).
deep() {
  awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "{\"k\": "; printf "1"; for (i = 0; i < n; i++) printf "}" }'
}

t "jsonl: a line nested 20,000 deep is skipped as malformed; the points around it are stored"
cd "$T/rfc"
must_mlt run start -n deep --no-git >/dev/null
f=$({ printf '{"a": 1}\n'; deep 20000; printf '\n{"a": 2}\n'; } | input deep)
stream deep "$f"
expect_rc 0
expect_json .points 2
expect_json .rejected 1
expect_err_contains "mlt: line 2: JSON nested more than 256 levels deep"
points deep
expect_out_eq "key,step,time_ms,value
a,0,$T0_MS,1
a,1,$T0_MS,2"
# --strict: exit 2 at that line, the point before it committed
must_mlt run start -n deeps --no-git >/dev/null
stream deeps "$f" --strict
expect_rc 2
expect_err_contains "line 2"
points deeps
expect_out_eq "key,step,time_ms,value
a,0,$T0_MS,1"

t "run -- CMD: a line nested 20,000 deep on MLT_METRICS_FD or stdout is rejected; the run ends FINISHED"
cd "$T/rfc"
deep 20000 >"$T/w/deep.line"
# shellcheck disable=SC2016  # expanded by the child
MLT_NOW_MS=$T0_MS run_mlt run -n deepfd --no-git -- bash -c '
  echo "a=1" >&$MLT_METRICS_FD
  { cat "$0"; echo; } >&$MLT_METRICS_FD
  echo "a=2" >&$MLT_METRICS_FD' "$T/w/deep.line"
expect_rc 0
expect_err_contains "MLT_METRICS_FD line 2: JSON nested more than 256 levels deep"
run_mlt --json run show deepfd
expect_json .status FINISHED
expect_json '.metrics.a | [.count, .last]' '[2,2]'
# shellcheck disable=SC2016  # expanded by the child
MLT_NOW_MS=$T0_MS run_mlt run -n deepso --no-git --metrics-from-stdout -- bash -c '
  echo "mlt: a=1"; printf "mlt: "; cat "$0"; echo; echo "mlt: a=2"' "$T/w/deep.line"
expect_rc 0
expect_err_contains "stdout line 2: JSON nested more than 256 levels deep"
run_mlt --json run show deepso
expect_json .status FINISHED
expect_json '.metrics.a | [.count, .last]' '[2,2]'

finish
