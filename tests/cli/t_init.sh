# t_init.sh: mlt init, project discovery (cwd, parents, -C, MLT_DIR), "not in a project",
# mlt version / --version, mlt status (text and --json), global flags.
# shellcheck disable=SC2164  # every cd goes into a directory this suite just created
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# ---------------------------------------------------------------------------------------------
t "version prints 'mlt X.Y.Z' and works outside a project"
run_mlt --version
expect_rc 0
expect_out_match '^mlt [0-9]+\.[0-9]+\.[0-9]+'
expect_out_lines 1
ver="${out#mlt }"
run_mlt version
expect_rc 0
expect_out_match '^mlt [0-9]+\.[0-9]+\.[0-9]+ \(schema [0-9]+, SQLite [0-9.]+\)$'
expect_out_contains "mlt $ver "
text_version="$out"
expect_err_empty

t "version --json: version, schema_version, sqlite"
run_mlt --json version
expect_rc 0
expect_json_valid
expect_json .version "$ver"
expect_json '.schema_version | type == "number" and . >= 1' true
schema=$(jq_out .schema_version)
expect_json '.sqlite | test("^[0-9]+\\.[0-9]+\\.[0-9]+")' true
expect_eq "text and JSON versions agree" "$text_version" \
  "mlt $(jq_out .version) (schema $schema, SQLite $(jq_out .sqlite))"

# ---------------------------------------------------------------------------------------------
t "init creates .mlt with database, objects/, tmp/ and config.yaml"
mkdir -p "$T/p1" && cd "$T/p1"
run_mlt init
expect_rc 0
expect_out_empty
expect_err_contains "initialized an empty mlt project in '$T/p1/.mlt'"
[ -d .mlt ] || fail ".mlt is a directory" "dir" "missing"
[ -f .mlt/mlt.db ] || fail ".mlt/mlt.db exists" "file" "missing"
[ -d .mlt/objects ] || fail ".mlt/objects exists" "dir" "missing"
[ -d .mlt/tmp ] || fail ".mlt/tmp exists" "dir" "missing"
[ -f .mlt/config.yaml ] || fail ".mlt/config.yaml exists" "file" "missing"

t "init: the Default experiment exists"
cd "$T/p1"
run_mlt --json exp ls
expect_rc 0
expect_json '[.experiments[].name]' '["Default"]'

t "init again: says so, changes nothing"
cd "$T/p1"
id=$(must_mlt run start -n keepme)
printf 'custom: 1\n' >.mlt/config.yaml
run_mlt init
expect_rc 0
expect_out_empty
expect_err_contains "'$T/p1/.mlt' is already an mlt project; nothing changed"
expect_eq "config.yaml untouched" "custom: 1" "$(cat .mlt/config.yaml)"
run_mlt --json run show keepme
expect_rc 0
expect_json .id "$id"
expect_json .status RUNNING

t "init --json: path and created"
mkdir -p "$T/pj" && cd "$T/pj"
run_mlt --json init
expect_rc 0
expect_json_valid
expect_json .path "$T/pj/.mlt"
expect_json .created true
run_mlt --json init
expect_rc 0
expect_json .path "$T/pj/.mlt"
expect_json .created false

t "init DIR creates DIR (and parents) and the project in it"
cd "$T"
run_mlt init "$T/made/by/init"
expect_rc 0
[ -f "$T/made/by/init/.mlt/mlt.db" ] || fail "project created in DIR" "made/by/init/.mlt/mlt.db" "missing"
[ ! -e "$T/.mlt" ] || fail "no project in cwd" "no $T/.mlt" "exists"

t "init where .mlt is a file: exit 5, the file is left alone"
mkdir -p "$T/pf" && cd "$T/pf" && printf 'x' >.mlt
run_mlt init
expect_rc 5
expect_err_contains "'$T/pf/.mlt' exists and is not a directory"
expect_eq ".mlt file untouched" "x" "$(cat .mlt)"

t "-q init prints nothing"
mkdir -p "$T/pq" && cd "$T/pq"
run_mlt -q init
expect_rc 0
expect_out_empty
expect_err_empty

# ---------------------------------------------------------------------------------------------
t "discovery: a project is found from a subdirectory"
mkdir -p "$T/p1/src/deep/er" && cd "$T/p1/src/deep/er"
run_mlt --json status
expect_rc 0
expect_json .project "$T/p1"
run_mlt --json run show keepme
expect_rc 0
expect_json .name keepme
expect_json '.tags["mlt.source.cwd"]' "."

t "discovery: the nearest .mlt wins over one further up"
mkdir -p "$T/p1/nested" && cd "$T/p1/nested"
must_mlt -q init >/dev/null
mkdir -p inner && cd inner
run_mlt --json status
expect_rc 0
expect_json .project "$T/p1/nested"
expect_json .runs.RUNNING 0

t "-C DIR runs as if started in DIR"
cd "$T"
run_mlt -C "$T/p1/src" --json status
expect_rc 0
expect_json .project "$T/p1"
expect_json .runs.RUNNING 1
run_mlt -C p1 --json run show keepme
expect_rc 0
expect_json .id "$id"

t "-C DIR that does not exist: exit 2 naming it"
cd "$T"
run_mlt -C "$T/nope" status
expect_rc 2
expect_err_contains "'$T/nope'"

t "-C DIR init creates the project in DIR"
mkdir -p "$T/pc" && cd "$T"
run_mlt -C pc init
expect_rc 0
[ -f "$T/pc/.mlt/mlt.db" ] || fail "project in -C DIR" "$T/pc/.mlt/mlt.db" "missing"

t "MLT_DIR points at a project from anywhere"
cd "$T"
MLT_DIR="$T/p1/.mlt" run_mlt --json status
expect_rc 0
expect_json .project "$T/p1"
expect_json .runs.RUNNING 1

t "MLT_DIR wins over the project in the current directory"
cd "$T/pj"
MLT_DIR="$T/p1/.mlt" run_mlt --json run show keepme
expect_rc 0
expect_json .id "$id"
run_mlt run show keepme
expect_rc 4

t "MLT_DIR that is not a project: exit 3 with a hint"
cd "$T/p1"
MLT_DIR="$T/home" run_mlt status
expect_rc 3
expect_err_contains "MLT_DIR '$T/home' is not an mlt project folder"
expect_err_contains "hint: "

# ---------------------------------------------------------------------------------------------
mkdir -p "$T/outside/deeper"
for cmd in "status" "exp ls" "exp create E" "exp rename A B" "exp rm A" "exp restore A" \
  "run start" "run start --export" "run end abcd" "run show abcd" "run rm abcd" "run restore abcd" \
  "run rename abcd x" "run note abcd text" "run -- true" \
  "log param a=1 --run abcd" "log metric m=1 --run abcd" "log tag a=1 --run abcd" \
  "runs" "runs --format csv" "metrics abcd"; do
  t "outside a project: 'mlt $cmd' exits 3 with a hint"
  cd "$T/outside/deeper"
  # shellcheck disable=SC2086
  run_mlt $cmd
  expect_rc 3
  expect_out_empty
  expect_err_contains "mlt: error: not inside an mlt project (no .mlt folder in '$T/outside/deeper' or any parent)"
  expect_err_contains "hint: run 'mlt init' to create one, or use -C DIR"
done

t "outside a project: 'mlt run -- CMD' does not run CMD"
cd "$T/outside"
run_mlt run -- touch "$T/outside/ran"
expect_rc 3
[ ! -e "$T/outside/ran" ] || fail "CMD not run" "no file 'ran'" "the command ran"

t "outside a project under --json: the error is JSON on stderr"
cd "$T/outside"
run_mlt --json runs
expect_rc 3
expect_out_empty
expect_err_json .error.code 3
expect_err_json '.error.message | startswith("not inside an mlt project")' true

t "version and init need no project"
cd "$T/outside"
run_mlt version
expect_rc 0

# ---------------------------------------------------------------------------------------------
t "status on an empty project (text)"
mkdir -p "$T/ps" && cd "$T/ps" && must_mlt -q init >/dev/null
run_mlt status
expect_rc 0
expect_out_eq "project  $T/ps
runs     0 finished, 0 failed, 0 killed, 0 running in 1 experiment
models   0 packages; 0 registered, 0 versions
data     0 datasets, 0 versions

no runs yet: try 'mlt run -- python train.py'"

t "status with runs (text, pinned clock)"
cd "$T/ps"
must_mlt -q exp create second >/dev/null
r1=$(MLT_NOW_MS=$((T0_MS)) must_mlt run start -n one)
MLT_NOW_MS=$((T0_MS + 1000)) must_mlt -q run end one >/dev/null
r2=$(MLT_NOW_MS=$((T0_MS + 2000)) must_mlt run start -n two -e second)
MLT_NOW_MS=$((T0_MS + 3000)) must_mlt -q run end two --status failed >/dev/null
r3=$(MLT_NOW_MS=$((T0_MS + 4000)) must_mlt run start -n three)
r4=$(MLT_NOW_MS=$((T0_MS + 5000)) must_mlt run start -n four)
MLT_NOW_MS=$((T0_MS + 6000)) must_mlt -q run end four --status killed >/dev/null
r5=$(MLT_NOW_MS=$((T0_MS + 7000)) must_mlt run start -n gone)
must_mlt -q run rm gone >/dev/null
MLT_NOW_MS=$((T0_MS + 64000)) run_mlt status
expect_rc 0
expect_out_eq "project  $T/ps
runs     1 finished, 1 failed, 1 killed, 1 running in 2 experiments
models   0 packages; 0 registered, 0 versions
data     0 datasets, 0 versions

running:
  ${r3:0:8}  three  Default  started 1m00s ago

recent:
  ${r4:0:8}  KILLED    four  Default  2023-11-14 22:13:25 UTC
  ${r3:0:8}  RUNNING   three  Default  2023-11-14 22:13:24 UTC
  ${r2:0:8}  FAILED    two  second  2023-11-14 22:13:22 UTC
  ${r1:0:8}  FINISHED  one  Default  2023-11-14 22:13:20 UTC"

t "status --json: counts, running and recent runs"
cd "$T/ps"
run_mlt --json status
expect_rc 0
expect_json_valid
expect_json .project "$T/ps"
expect_json .schema_version "$schema"
expect_json .experiments 2
expect_json .runs '{"RUNNING":1,"FINISHED":1,"FAILED":1,"KILLED":1}'
expect_json .deleted_runs 1
expect_json '.running | length' 1
expect_json '.running[0].id' "$r3"
expect_json '.running[0].name' three
expect_json '.running[0].experiment' Default
expect_json '.running[0].status' RUNNING
expect_json '.running[0].start_time' "2023-11-14T22:13:24.000Z"
expect_json '.running[0].start_time_ms' $((T0_MS + 4000))
expect_json '.running[0].end_time' null
expect_json '.running[0].end_time_ms' null
expect_json '[.recent[].id]' "[\"$r4\",\"$r3\",\"$r2\",\"$r1\"]"
expect_json '.recent[0].status' KILLED
expect_json '.recent[0].end_time' "2023-11-14T22:13:26.000Z"
expect_json '.recent[0].end_time_ms' $((T0_MS + 6000))
expect_json '.recent[2].experiment' second
expect_json '[.recent[].id] | index("'"$r5"'")' null

t "status --json on an empty project: [] not omitted"
mkdir -p "$T/pe" && cd "$T/pe" && must_mlt -q init >/dev/null
run_mlt --json status
expect_rc 0
expect_json .running '[]'
expect_json .recent '[]'
expect_json .runs '{"RUNNING":0,"FINISHED":0,"FAILED":0,"KILLED":0}'
expect_json .deleted_runs 0

# ---------------------------------------------------------------------------------------------
t "bad flags and unknown commands exit 2"
cd "$T/ps"
for args in "--bogus" "frobnicate" "status --bogus" "init --bogus" "version --bogus" "--color purple status" \
  "-C"; do
  # shellcheck disable=SC2086
  run_mlt $args
  expect_rc 2
  expect_out_empty
  expect_err_contains "mlt: error: "
done

t "bad flag under --json: a JSON error with code 2"
cd "$T/ps"
run_mlt --json status --bogus
expect_rc 2
expect_err_json .error.code 2
expect_err_json '.error.message | length > 0' true

t "-q silences messages but not data or errors"
cd "$T/ps"
run_mlt -q run -n quiet -- true
expect_rc 0
expect_out_empty
expect_err_empty
run_mlt -q run start -n quiet2
expect_rc 0
expect_out_match '^[0-9a-f]{32}$'
expect_err_empty
run_mlt -q run show nosuchrun
expect_rc 4
expect_err_contains "mlt: error: no run matches 'nosuchrun'"

t "NO_COLOR and --color never|always: no escape sequences on a pipe"
cd "$T/ps"
for c in auto never always; do
  run_mlt --color "$c" runs
  expect_rc 0
  case "$out$err" in *$'\033'*) fail "no escape sequences" "none" "found with --color $c" ;; esac
done

t "invalid MLT_NOW_MS exits 2"
cd "$T/ps"
MLT_NOW_MS=yesterday run_mlt run start
expect_rc 2
expect_err_contains "MLT_NOW_MS"

t "--help exits 0 and lists the commands"
run_mlt --help
expect_rc 0
expect_out_contains "init"
expect_out_contains "runs"

t "a database with a newer schema is refused with exit 6"
if command -v sqlite3 >/dev/null 2>&1; then
  mkdir -p "$T/pn" && cd "$T/pn" && must_mlt -q init >/dev/null
  sqlite3 .mlt/mlt.db 'PRAGMA user_version = 999' >/dev/null
  run_mlt runs
  expect_rc 6
  expect_err_contains "999"
  run_mlt init
  expect_rc 6
else
  echo "note: sqlite3 not installed; schema-version check skipped"
fi

finish
