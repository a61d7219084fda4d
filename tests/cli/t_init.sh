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

# ---------------------------------------------------------------------------------------------
# .mlt/.gitignore (issue 15, item 3)

t "init writes .mlt/.gitignore: git add -A in the repository takes nothing under .mlt"
mkdir -p "$T/pg" && cd "$T/pg"
git init -q . && printf 'print(1)\n' >train.py
run_mlt init
expect_rc 0
expect_eq ".mlt/.gitignore" "*" "$(grep -v '^#' .mlt/.gitignore)"
must_mlt -q run -n tracked -- true >/dev/null
git add -A
expect_eq "files staged under .mlt" "" "$(git status --porcelain | grep '\.mlt' || true)"
expect_eq "what git add -A staged" "A  train.py" "$(git status --porcelain)"

t "init on a project without .mlt/.gitignore adds it, says so; an edited one is kept"
cd "$T/pg"
rm .mlt/.gitignore
run_mlt --json init
expect_rc 0
expect_json '[.created, .gitignore_added]' '[false,true]'
[ -f .mlt/.gitignore ] || fail ".mlt/.gitignore added" "file" "missing"
rm .mlt/.gitignore
run_mlt init
expect_rc 0
expect_err_contains "'$T/pg/.mlt' is already an mlt project; added .mlt/.gitignore"
printf 'mlt.db\n' >.mlt/.gitignore
run_mlt --json init
expect_rc 0
expect_json '.gitignore_added' false
expect_eq "an edited .gitignore is kept" "mlt.db" "$(cat .mlt/.gitignore)"
run_mlt --json run show tracked
expect_rc 0

# ---------------------------------------------------------------------------------------------
# A lost database beside the objects (issue 15, item 1): never an empty project

# lose_db_project NAME: a project in $T/NAME with a run and an artifact (objects in the store),
# its WAL checkpointed away; the working directory.
lose_db_project() {
  new_project "$1"
  printf 'weights\n' >w.bin
  must_mlt run start -n keep --no-git >/dev/null
  must_mlt -q log artifact --run keep w.bin >/dev/null
  if command -v sqlite3 >/dev/null 2>&1; then sqlite3 .mlt/mlt.db 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null; fi
  rm -f .mlt/mlt.db-wal .mlt/mlt.db-shm
  nobj=$(find .mlt/objects -type f | wc -l | tr -d ' ')
}

t "8 concurrent inits of one folder, with commands reading it meanwhile: one database, never a half-made one"
mkdir -p "$T/race" && cd "$T/race"
init_pids=() read_pids=()
for i in 1 2 3 4 5 6 7 8; do
  "$MLT_BIN" init >"$T/race.init.$i.out" 2>"$T/race.init.$i.err" & init_pids+=($!)
  "$MLT_BIN" runs >"$T/race.runs.$i.out" 2>"$T/race.runs.$i.err" & read_pids+=($!)
done
init_codes="" read_codes=""
for p in "${init_pids[@]}"; do wait "$p"; init_codes="$init_codes$? "; done
for p in "${read_pids[@]}"; do wait "$p"; read_codes="$read_codes$? "; done
last_cmd="8 x (mlt init & mlt runs) in one folder"
expect_eq "exit codes of the inits" "0 0 0 0 0 0 0 0 " "$init_codes"
# a reader finds the project ready (0) or no project yet (3), never a damaged one (6)
expect_eq "readers' exit codes other than 0 and 3" "" "$(printf '%s\n' $read_codes | grep -vx '[03]' | tr '\n' ' ')"
expect_eq "inits that created the database" 1 "$(cat "$T"/race.init.*.err | grep -c 'initialized an empty mlt project')"
run_mlt --json exp ls
expect_rc 0
expect_json '[.experiments[].name]' '["Default"]'
expect_eq "files left in .mlt/tmp" "" "$(ls -A .mlt/tmp)"

t "a zero-length mlt.db beside objects: every command exits 6 naming it; init and gc too; nothing changes"
lose_db_project z0
: >.mlt/mlt.db
for cmd in "status" "runs" "run start" "gc --grace 0s" "fsck" "init"; do
  # shellcheck disable=SC2086
  run_mlt $cmd
  expect_rc 6
  expect_err_contains "the project's database '$T/z0/.mlt/mlt.db' is empty"
  expect_err_contains "hint: restore mlt.db from a backup"
  expect_err_not_contains "no runs yet"
done
expect_eq "mlt.db still zero bytes" 0 "$(stat -c %s .mlt/mlt.db)"
expect_eq "objects kept" "$nobj" "$(find .mlt/objects -type f | wc -l | tr -d ' ')"

t "a deleted mlt.db: its own message (exit 6), from a subfolder too, not 'no .mlt folder' nor a parent project"
lose_db_project outer
mkdir -p inner/deep
(cd inner && must_mlt -q init >/dev/null && printf 'x\n' >x.bin && must_mlt run start -n r --no-git >/dev/null &&
  must_mlt -q log artifact --run r x.bin >/dev/null)
rm -f inner/.mlt/mlt.db inner/.mlt/mlt.db-wal inner/.mlt/mlt.db-shm
cd inner/deep
run_mlt runs
expect_rc 6
expect_err_contains "the project's database '$T/outer/inner/.mlt/mlt.db' is missing"
expect_err_not_contains "no .mlt folder"
run_mlt init ..
expect_rc 6
[ -e "$T/outer/inner/.mlt/mlt.db" ] && fail "no database created" "no mlt.db" "created"
MLT_DIR="$T/outer/inner/.mlt" run_mlt status
expect_rc 6
expect_err_contains "is missing"

t "a deleted mlt.db without objects: commands exit 6 pointing at init; init makes a new database"
mkdir -p "$T/noobj" && cd "$T/noobj" && must_mlt -q init >/dev/null
rm -f .mlt/mlt.db .mlt/mlt.db-wal .mlt/mlt.db-shm
run_mlt status
expect_rc 6
expect_err_contains "the project's database '$T/noobj/.mlt/mlt.db' is missing"
expect_err_contains "mlt init"
run_mlt --json init
expect_rc 0
expect_json .created true
run_mlt --json exp ls
expect_rc 0
expect_json '[.experiments[].name]' '["Default"]'

t "a foreign mlt.db (a text file, another SQLite database) exits 6, is left alone, and no SQL is shown"
lose_db_project foreign
printf 'not a database at all\n%.0s' $(seq 300) >.mlt/mlt.db
cp .mlt/mlt.db "$T/foreign.copy"
for cmd in "runs" "init" "gc --grace 0s"; do
  # shellcheck disable=SC2086
  run_mlt $cmd
  expect_rc 6
  expect_err_contains "'$T/foreign/.mlt/mlt.db' is not an mlt database (not a SQLite file)"
  expect_err_not_contains "SELECT"
  expect_err_not_contains "PRAGMA"
done
cmp -s .mlt/mlt.db "$T/foreign.copy" || fail "the foreign file is unchanged" "identical" "changed"
if command -v sqlite3 >/dev/null 2>&1; then
  rm -f .mlt/mlt.db && sqlite3 .mlt/mlt.db 'CREATE TABLE notes(x); INSERT INTO notes VALUES (1)'
  run_mlt status
  expect_rc 6
  expect_err_contains "is not an mlt database (a SQLite database without mlt's schema)"
  expect_eq "tables of the foreign database" "notes" "$(sqlite3 .mlt/mlt.db 'SELECT group_concat(name) FROM sqlite_master')"
fi
expect_eq "objects kept" "$nobj" "$(find .mlt/objects -type f | wc -l | tr -d ' ')"

t "a damaged database: exit 6 naming the file and the operation, never SQL"
if command -v sqlite3 >/dev/null 2>&1; then
  new_project dmg
  must_mlt run start -n big --no-git >/dev/null
  for i in $(seq 40); do printf 'loss=%s step=%s\n' "0.$i" "$i"; done >"$T/points.txt"
  for i in $(seq 30); do "$MLT_BIN" log stream --run big <"$T/points.txt" >/dev/null 2>&1 3>&-; done
  sqlite3 .mlt/mlt.db 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
  size=$(stat -c %s .mlt/mlt.db)
  truncate -s $((size / 2)) .mlt/mlt.db
  for cmd in "runs" "metrics big" "status"; do
    # shellcheck disable=SC2086
    run_mlt $cmd
    expect_rc 6
    expect_err_contains "'$T/dmg/.mlt/mlt.db'"
    expect_err_match "damaged|malformed"
    expect_err_not_contains "SELECT"
    expect_err_not_contains "FROM"
  done
else
  echo "note: sqlite3 not installed; damaged-database case skipped"
fi

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
