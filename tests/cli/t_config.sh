# t_config.sh: settings (mlt config get|set|unset|list, mlt-config(1)) and what they change.
# The commands: every key with its default, --show-origin (default, a file's path, env MLT_X),
# --global, --json; type checks that change nothing; exit 3 outside a project. Precedence as
# commands see it (built-in < user file < project file < environment < flag): gc.grace in what
# gc would remove, core.experiment in where a new run lands, run.metrics_prefix in the metrics
# `mlt run` reads, core.lock_timeout in how long a writer waits, data.tag_prefix in the git tag
# `mlt data add` makes. Bad files (unknown keys warn with FILE:LINE, bad values and bad YAML exit
# 2) and their repair with set/unset; 7 concurrent sets; a stale lock file (exit 5). Colour
# (--color, core.color, MLT_COLOR, NO_COLOR, --json) in `mlt compare`; the pager on a terminal
# (made with script(1)); mlt help with man, and without it.
# shellcheck disable=SC2164  # every cd goes into a directory this suite just created
# shellcheck source=lib.sh
SRC_MAN="$(cd "$(dirname "$0")/../../man" && pwd)"   # the pages of this checkout (lib.sh changes directory)
. "$(dirname "$0")/lib.sh"
# the pager, colour and man are the caller's otherwise
unset PAGER LESS LV MANPAGER MANPATH MANWIDTH MANOPT 2>/dev/null

UDIR="$XDG_CONFIG_HOME/mlt"
UFILE="$UDIR/config.yaml"
KEYS="compare.higher compare.lower core.color core.experiment core.lock_timeout core.pager data.tag_prefix gc.grace registry.git_tags run.metrics_prefix"
VALID_KEYS="valid keys: compare.higher, compare.lower, core.color, core.experiment, core.lock_timeout, core.pager, data.tag_prefix, gc.grace, registry.git_tags, run.metrics_prefix"
ESC=$'\033'
TAB=$'\t'

# begin NAME: a test case that starts without a user settings file.
begin() {
  t "$@"
  rm -rf "$UDIR"
}

# user_file TEXT / project_file DIR TEXT: write a settings file (TEXT and a newline).
user_file() {
  mkdir -p "$UDIR"
  printf '%s\n' "$1" >"$UFILE"
}
project_file() { printf '%s\n' "$2" >"$T/$1/.mlt/config.yaml"; }

# sum FILE: a checksum of FILE ("absent" when there is none).
sum() { if [ -e "$1" ]; then cksum <"$1"; else echo absent; fi; }

# expect_line LINE: stdout has LINE as one whole line.
expect_line() {
  printf '%s\n' "$out" | grep -Fxq -- "$1" || fail "stdout has the line" "$(lib_show "$1")" "(no such line)"
}

# expect_colour / expect_no_colour: stdout has (no) ANSI escape sequences.
expect_colour() { case "$out" in *"${ESC}["*) ;; *) fail "stdout is coloured" "ANSI escapes" "none" ;; esac; }
expect_no_colour() { case "$out" in *"$ESC"*) fail "stdout is not coloured" "no escapes" "$(lib_show "$out")" ;; *) ;; esac; }

# expect_paged MARK / expect_not_paged MARK: every line of stdout (not blank) starts with MARK,
# or none does. A case must check that there is output first.
expect_paged() {
  local bad
  bad="$(printf '%s\n' "$out" | grep -v '^$' | grep -vc "^$1")"
  if [ -z "$out" ] || [ "$bad" != 0 ]; then
    fail "every line went through the pager (starts with $1)" "all lines" "$bad lines not"
  fi
}
expect_not_paged() {
  [ -n "$out" ] || fail "there is output" "some" "(empty)"
  if printf '%s\n' "$out" | grep -q "^$1"; then fail "output did not go through a pager" "no line starting '$1'" "found"; fi
}

# run_tty ARG...: as run_mlt, with stdout and stderr on a terminal (script(1) makes a pty); both
# streams end up in $out, carriage returns removed. $rc is mlt's exit code (script -e).
HAVE_SCRIPT=0
if command -v script >/dev/null 2>&1 && script -qec true /dev/null </dev/null >/dev/null 2>&1; then HAVE_SCRIPT=1; fi
run_tty() {
  local cmd
  cmd="$(printf '%q ' "$MLT_BIN" "$@")"
  run_cmd script -qec "${cmd% }" /dev/null
  last_cmd="(on a terminal) mlt $(printf '%q ' "$@")"
  out="${out//$'\r'/}"
}
# skip_unless_script: true when script(1) works here; else the case notes why it is skipped.
skip_unless_script() {
  [ "$HAVE_SCRIPT" = 1 ] && return 0
  echo "note: script(1) from util-linux does not work here; terminal cases skipped"
  return 1
}

# =============================================================================================
# mlt config list / get

begin "config list outside a project: every key, at its default, in key order"
mkdir -p "$T/outside"
cd "$T/outside"
run_mlt config list
expect_rc 0
expect_out_eq "compare.higher=
compare.lower=
core.color=auto
core.experiment=
core.lock_timeout=60
core.pager=
data.tag_prefix=data/
gc.grace=14d
registry.git_tags=false
run.metrics_prefix=mlt:"
expect_err_empty
run_mlt config list --show-origin
expect_rc 0
expect_out_lines 10
expect_eq "lines whose origin is default" 10 "$(printf '%s\n' "$out" | grep -c "^default$TAB")"
expect_line "default${TAB}gc.grace=14d"

begin "config list --show-origin: default, the user file's path, the project file's path, env MLT_X"
new_project layers
mkdir -p sub/dir
user_file 'gc:
  grace: 1d
core:
  pager: less -S
  lock_timeout: 30'
project_file layers 'gc:
  grace: 3d
registry:
  git_tags: yes'
cd "$T/layers/sub/dir"
MLT_DATA_TAG_PREFIX=ds/ MLT_LOCK_TIMEOUT=7 run_mlt config list --show-origin
expect_rc 0
expect_err_empty
expect_out_eq "default${TAB}compare.higher=
default${TAB}compare.lower=
default${TAB}core.color=auto
default${TAB}core.experiment=
env MLT_LOCK_TIMEOUT${TAB}core.lock_timeout=7
$UFILE${TAB}core.pager=less -S
env MLT_DATA_TAG_PREFIX${TAB}data.tag_prefix=ds/
$T/layers/.mlt/config.yaml${TAB}gc.grace=3d
$T/layers/.mlt/config.yaml${TAB}registry.git_tags=true
default${TAB}run.metrics_prefix=mlt:"
# the same without origins
MLT_DATA_TAG_PREFIX=ds/ run_mlt config list
expect_rc 0
expect_line "core.lock_timeout=30"
expect_line "core.pager=less -S"
expect_line "data.tag_prefix=ds/"
expect_line "gc.grace=3d"
expect_line "registry.git_tags=true"
# outside the project only the user file and the environment count
cd "$T/outside"
run_mlt config list --show-origin
expect_rc 0
expect_line "$UFILE${TAB}gc.grace=1d"
expect_line "default${TAB}registry.git_tags=false"

begin "config list --global: only what the user file sets, as it sets it; nothing without one"
new_project glist
cd "$T/glist"
run_mlt config list --global
expect_rc 0
expect_out_empty
user_file 'core:
  pager: more
registry:
  git_tags: on'
project_file glist 'core:
  pager: less'
MLT_PAGER=most MLT_GC_GRACE=2d run_mlt config list --global
expect_rc 0
expect_out_eq "core.pager=more
registry.git_tags=true"
run_mlt config list --global --show-origin
expect_rc 0
expect_out_eq "$UFILE${TAB}core.pager=more
$UFILE${TAB}registry.git_tags=true"
run_mlt --json config list --global
expect_rc 0
expect_json '[.settings[] | [.key, .value, .origin]]' "[[\"core.pager\",\"more\",\"$UFILE\"],[\"registry.git_tags\",\"true\",\"$UFILE\"]]"

begin "config list --json: {settings:[{key,value,origin,default,type,env,help}]} for every key"
new_project jlist
project_file jlist 'gc:
  grace: 3d'
cd "$T/jlist"
MLT_REGISTRY_GIT_TAGS=1 run_mlt --json config list
expect_rc 0
expect_json_valid
expect_json '[.settings[].key] | join(" ")' "$KEYS"
expect_json '[.settings[] | keys | sort | join(",")] | unique' '["default,env,help,key,origin,type,value"]'
expect_json '[.settings[] | select((.help | length) == 0 or (.env | startswith("MLT_") | not))] | length' 0
expect_json '[.settings[] | [.key, .type, .default, .env]]' '[["compare.higher","string","","MLT_COMPARE_HIGHER"],["compare.lower","string","","MLT_COMPARE_LOWER"],["core.color","string","auto","MLT_COLOR"],["core.experiment","string","","MLT_EXPERIMENT"],["core.lock_timeout","seconds","60","MLT_LOCK_TIMEOUT"],["core.pager","string","","MLT_PAGER"],["data.tag_prefix","string","data/","MLT_DATA_TAG_PREFIX"],["gc.grace","duration","14d","MLT_GC_GRACE"],["registry.git_tags","boolean","false","MLT_REGISTRY_GIT_TAGS"],["run.metrics_prefix","string","mlt:","MLT_METRICS_PREFIX"]]'
expect_json '.settings[] | select(.key == "gc.grace") | [.value, .origin]' "[\"3d\",\"$T/jlist/.mlt/config.yaml\"]"
expect_json '.settings[] | select(.key == "registry.git_tags") | [.value, .origin]' '["true","env MLT_REGISTRY_GIT_TAGS"]'
expect_json '.settings[] | select(.key == "core.color") | [.value, .origin]' '["auto","default"]'

begin "config get: the value; --show-origin: ORIGIN<TAB>VALUE; --json: key, value, origin"
new_project get
project_file get 'gc:
  grace: 3d'
cd "$T/get"
run_mlt config get gc.grace
expect_rc 0
expect_out_eq "3d"
expect_err_empty
run_mlt config get --show-origin gc.grace
expect_rc 0
expect_out_eq "$T/get/.mlt/config.yaml${TAB}3d"
MLT_GC_GRACE=2d run_mlt config get --show-origin gc.grace
expect_rc 0
expect_out_eq "env MLT_GC_GRACE${TAB}2d"
run_mlt config get --show-origin core.lock_timeout
expect_out_eq "default${TAB}60"
run_mlt --json config get gc.grace
expect_rc 0
expect_json . "{\"key\":\"gc.grace\",\"value\":\"3d\",\"origin\":\"$T/get/.mlt/config.yaml\"}"
# an empty value prints an empty line
run_mlt config get core.pager
expect_rc 0
expect_eq "stdout bytes" "$(printf '\n' | od -An -c)" "$(od -An -c <"$T/.lib/stdout")"

begin "config get of an unknown key exits 2 and lists the valid keys; no key exits 2"
new_project badkey
cd "$T/badkey"
run_mlt config get core.colour
expect_rc 2
expect_out_empty
expect_err_contains "core.colour"
expect_err_contains "$VALID_KEYS"
run_mlt --json config get nope
expect_rc 2
expect_err_json .error.code 2
expect_err_json '.error.hint | contains("gc.grace")' true
run_mlt config get
expect_rc 2
run_mlt config set nope 1
expect_rc 2
expect_err_contains "$VALID_KEYS"
run_mlt config unset nope
expect_rc 2

# =============================================================================================
# mlt config set / unset

begin "config set writes .mlt/config.yaml of the project (found from a subfolder); get reads it back"
new_project set
mkdir -p "$T/set/a/b"
cd "$T/set/a/b"
run_mlt config set gc.grace 2d
expect_rc 0
expect_out_empty
expect_err_empty
run_cmd cat "$T/set/.mlt/config.yaml"
expect_line "gc:"
expect_line "  grace: 2d"
[ -e "$T/set/a/b/.mlt" ] && fail "no project file in the working directory" "none" "created"
[ -e "$UFILE" ] && fail "the user file is left alone" "absent" "created"
run_mlt config get --show-origin gc.grace
expect_out_eq "$T/set/.mlt/config.yaml${TAB}2d"
# a second key keeps the first; a new value replaces the old
run_mlt config set run.metrics_prefix 'out:'
expect_rc 0
run_mlt config set gc.grace 36h
expect_rc 0
run_mlt config list
expect_line "gc.grace=36h"
expect_line "run.metrics_prefix=out:"
# an empty text value
run_mlt config set data.tag_prefix ''
expect_rc 0
run_mlt config get --show-origin data.tag_prefix
expect_out_eq "$T/set/.mlt/config.yaml${TAB}"

begin "config set of a boolean: any accepted spelling is written as true or false"
new_project bools
cd "$T/bools"
for pair in YES:true on:true 1:true True:true no:false OFF:false 0:false False:false; do
  run_mlt config set registry.git_tags "${pair%%:*}"
  expect_rc 0
  run_mlt config get registry.git_tags
  expect_out_eq "${pair#*:}"
  grep -qx "  git_tags: ${pair#*:}" .mlt/config.yaml ||
    fail "the file has 'git_tags: ${pair#*:}' after set ${pair%%:*}" "that line" "$(cat .mlt/config.yaml)"
done

begin "config set checks the type: a bad boolean, seconds, duration or choice exits 2 and changes nothing"
new_project types
cd "$T/types"
must_mlt config set core.lock_timeout 0.5 >/dev/null
must_mlt config set gc.grace 0 >/dev/null
must_mlt config set core.color never >/dev/null
must_mlt config set core.lock_timeout 86400 >/dev/null
before="$(sum .mlt/config.yaml)"
for kv in "registry.git_tags=maybe" "registry.git_tags=" "core.lock_timeout=-1" "core.lock_timeout=abc" \
  "core.lock_timeout=90000" "core.lock_timeout=" "core.lock_timeout=nan" "gc.grace=3x" "gc.grace=14" \
  "gc.grace=" "gc.grace=-1d" "core.color=blue" "core.color="; do
  run_mlt config set "${kv%%=*}" "${kv#*=}"
  expect_rc 2
  expect_err_contains "${kv%%=*}"
  expect_eq "the project file after 'config set ${kv%%=*} ${kv#*=}'" "$before" "$(sum .mlt/config.yaml)"
done
# the user file too, and a rejected first value does not create it
run_mlt config set --global core.color sometimes
expect_rc 2
[ -e "$UFILE" ] && fail "no user file after a rejected value" "absent" "created"
run_mlt config list --show-origin
expect_line "$T/types/.mlt/config.yaml${TAB}core.lock_timeout=86400"
expect_line "$T/types/.mlt/config.yaml${TAB}gc.grace=0"
expect_line "$T/types/.mlt/config.yaml${TAB}core.color=never"

begin "config set and get with -C DIR and MLT_DIR: the project file of that project"
new_project elsewhere
cd "$T/outside"
run_mlt -C "$T/elsewhere" config set data.tag_prefix viaC
expect_rc 0
run_mlt -C "$T/elsewhere" config get --show-origin data.tag_prefix
expect_out_eq "$T/elsewhere/.mlt/config.yaml${TAB}viaC"
MLT_DIR="$T/elsewhere/.mlt" run_mlt config set data.tag_prefix viadir
expect_rc 0
MLT_DIR="$T/elsewhere/.mlt" run_mlt config get --show-origin data.tag_prefix
expect_out_eq "$T/elsewhere/.mlt/config.yaml${TAB}viadir"
[ -e "$T/outside/.mlt" ] && fail "nothing written here" "no .mlt" "created"

begin "config set --global: writes \$XDG_CONFIG_HOME/mlt/config.yaml, creating it and its folder; no project needed"
cd "$T/outside"
run_mlt config set --global gc.grace 5d
expect_rc 0
expect_err_empty
[ -f "$UFILE" ] || fail "the user file exists" "$UFILE" "absent"
[ -e "$T/outside/.mlt" ] && fail "no project is made" "none" "$T/outside/.mlt"
run_mlt config get --show-origin gc.grace
expect_out_eq "$UFILE${TAB}5d"
run_mlt config list --global
expect_out_eq "gc.grace=5d"
# without XDG_CONFIG_HOME, ~/.config/mlt/config.yaml
mkdir -p "$T/home2"
run_cmd env -u XDG_CONFIG_HOME HOME="$T/home2" "$MLT_BIN" config set --global core.pager more
expect_rc 0
[ -f "$T/home2/.config/mlt/config.yaml" ] || fail "the user file under HOME" "\$HOME/.config/mlt/config.yaml" "absent"
run_cmd env -u XDG_CONFIG_HOME HOME="$T/home2" "$MLT_BIN" config get --show-origin core.pager
expect_out_eq "$T/home2/.config/mlt/config.yaml${TAB}more"
run_cmd env XDG_CONFIG_HOME= HOME="$T/home2" "$MLT_BIN" config get core.pager
expect_out_eq "more"

begin "config set and unset without --global outside a project exit 3 and write nothing"
cd "$T/outside"
run_mlt config set gc.grace 1d
expect_rc 3
expect_err_contains "--global"
run_mlt config unset gc.grace
expect_rc 3
[ -e "$T/outside/.mlt" ] && fail "nothing written" "no .mlt" "created"
[ -e "$UDIR" ] && fail "the user folder is left alone" "absent" "created"

begin "config unset removes the key: the layer below shows through (project, user, default)"
new_project unset
cd "$T/unset"
user_file 'gc:
  grace: 1d'
must_mlt config set gc.grace 3d >/dev/null
must_mlt config set data.tag_prefix more >/dev/null
run_mlt config unset gc.grace
expect_rc 0
expect_err_empty
run_mlt config get --show-origin gc.grace
expect_out_eq "$UFILE${TAB}1d"
run_mlt config get data.tag_prefix
expect_out_eq "more"
grep -q grace .mlt/config.yaml && fail "the project file no longer has grace" "no grace" "$(cat .mlt/config.yaml)"
run_mlt config unset --global gc.grace
expect_rc 0
run_mlt config get --show-origin gc.grace
expect_out_eq "default${TAB}14d"

begin "config unset of a key the file does not set: says so on stderr, exits 0, changes nothing"
new_project unset2
cd "$T/unset2"
must_mlt config set data.tag_prefix more >/dev/null
before="$(sum .mlt/config.yaml)"
run_mlt config unset gc.grace
expect_rc 0
expect_out_empty
expect_err_contains "gc.grace"
expect_err_contains "$T/unset2/.mlt/config.yaml"
expect_eq "the project file" "$before" "$(sum .mlt/config.yaml)"
run_mlt -q config unset gc.grace
expect_rc 0
expect_err_empty
# no user file at all: nothing is created
run_mlt config unset --global gc.grace
expect_rc 0
expect_err_contains "gc.grace"
[ -e "$UFILE" ] && fail "no user file is created by unset" "absent" "created"

begin "config set warns when the setting's variable overrides the file (and still writes it)"
new_project envwarn
cd "$T/envwarn"
MLT_GC_GRACE=2d run_mlt config set gc.grace 5d
expect_rc 0
expect_err_contains "MLT_GC_GRACE"
run_mlt config get gc.grace
expect_out_eq "5d"
run_mlt config set data.tag_prefix more
expect_err_empty

# =============================================================================================
# Precedence, as the commands see it: built-in < user file < project file < environment < flag

# An unreferenced object two days old: gc.grace 1d removes it, 3d keeps it.
begin "gc.grace: what 'mlt gc --dry-run' would remove follows default < user < project < env < --grace"
new_project gc
cd "$T/gc"
must_mlt run start -q -n keep --no-git >/dev/null
printf 'old weights\n' >"$T/old.bin"
printf 'new weights\n' >"$T/new.bin"
must_mlt -q log artifact --run keep "$T/old.bin" --as w.bin >/dev/null
must_mlt -q log artifact --run keep "$T/new.bin" --as w.bin >/dev/null   # old.bin is garbage
find .mlt/objects -type f -exec touch -d '2 days ago' {} +
run_mlt --json gc --dry-run
expect_rc 0
expect_json '[.removed, .young > 0]' '[0,true]'
run_mlt gc --dry-run
expect_err_contains "younger than 14d"
user_file 'gc:
  grace: 1d'
run_mlt --json gc --dry-run
expect_json '.removed > 0' true
run_mlt gc --dry-run
expect_err_contains "younger than 1d"
project_file gc 'gc:
  grace: 3d'
run_mlt --json gc --dry-run
expect_json '.removed' 0
run_mlt gc --dry-run
expect_err_contains "younger than 3d"
MLT_GC_GRACE=1d run_mlt --json gc --dry-run
expect_json '.removed > 0' true
MLT_GC_GRACE=1d run_mlt --json gc --dry-run --grace 3d
expect_json '.removed' 0
MLT_GC_GRACE=1d run_mlt gc --dry-run --grace 72h
expect_err_contains "younger than 72h"
run_mlt --json gc --dry-run --grace 1d
expect_json '.removed > 0' true
# an empty variable does not count
MLT_GC_GRACE='' run_mlt --json gc --dry-run
expect_json '.removed' 0
# dry runs removed nothing
run_mlt --json gc --dry-run --grace 0s
expect_json '.removed > 0' true

# exp_of ID: the experiment of run ID.
exp_of() { "$MLT_BIN" --json run show "$1" </dev/null 2>/dev/null 3>&- | jq -r .experiment; }

begin "core.experiment: where a new run lands follows default < user < project < MLT_EXPERIMENT < -e"
new_project exp
cd "$T/exp"
id=$(must_mlt run start -q --no-git)
expect_eq "experiment by default" Default "$(exp_of "$id")"
user_file 'core:
  experiment: fromuser'
id=$(must_mlt run start -q --no-git)
expect_eq "experiment from the user file" fromuser "$(exp_of "$id")"
project_file exp 'core:
  experiment: fromproject'
id=$(must_mlt run start -q --no-git)
expect_eq "experiment from the project file" fromproject "$(exp_of "$id")"
run_mlt run -n cmd --no-git -- true
expect_rc 0
expect_eq "experiment of 'mlt run -- CMD'" fromproject "$(exp_of cmd)"
id=$(MLT_EXPERIMENT=fromenv must_mlt run start -q --no-git)
expect_eq "experiment from MLT_EXPERIMENT" fromenv "$(exp_of "$id")"
id=$(MLT_EXPERIMENT=fromenv must_mlt run start -q --no-git -e fromflag)
expect_eq "experiment from -e" fromflag "$(exp_of "$id")"
# a project file that sets it empty: Default again, over the user file
project_file exp 'core:
  experiment: ""'
id=$(must_mlt run start -q --no-git)
expect_eq "experiment when the project sets it empty" Default "$(exp_of "$id")"
run_mlt --json exp ls
expect_rc 0
expect_json '[.experiments[].name] | sort' '["Default","fromenv","fromflag","fromproject","fromuser"]'

# keys_of RUN: the metric keys of RUN, as a JSON array.
keys_of() { "$MLT_BIN" --json run show "$1" </dev/null 2>/dev/null 3>&- | jq -c '.metrics | keys'; }
SAY='echo "X: a=1"; echo "Y: b=2"; echo "mlt: c=3"; echo "Z: d=4"'

begin "run.metrics_prefix: the lines 'mlt run --metrics-from-stdout' reads follow user < project < env < --metrics-prefix"
new_project met
cd "$T/met"
run_mlt run -n m0 --no-git --metrics-from-stdout -- sh -c "$SAY"
expect_rc 0
expect_out_contains "X: a=1"
expect_eq "metrics read with the default prefix" '["c"]' "$(keys_of m0)"
user_file 'run:
  metrics_prefix: "X:"'
run_mlt run -n m1 --no-git --metrics-from-stdout -- sh -c "$SAY"
expect_rc 0
expect_eq "metrics read with the user file's prefix" '["a"]' "$(keys_of m1)"
project_file met 'run:
  metrics_prefix: "Y:"'
run_mlt run -n m2 --no-git --metrics-from-stdout -- sh -c "$SAY"
expect_eq "metrics read with the project file's prefix" '["b"]' "$(keys_of m2)"
MLT_METRICS_PREFIX=Z: run_mlt run -n m3 --no-git --metrics-from-stdout -- sh -c "$SAY"
expect_eq "metrics read with MLT_METRICS_PREFIX" '["d"]' "$(keys_of m3)"
# --metrics-prefix wins, and turns the mode on by itself
MLT_METRICS_PREFIX=Z: run_mlt run -n m4 --no-git --metrics-prefix mlt: -- sh -c "$SAY"
expect_rc 0
expect_eq "metrics read with --metrics-prefix" '["c"]' "$(keys_of m4)"
# the setting alone does not turn the mode on
MLT_METRICS_PREFIX=Z: run_mlt run -n m5 --no-git -- sh -c "$SAY"
expect_rc 0
expect_eq "metrics without --metrics-from-stdout" '[]' "$(keys_of m5)"

begin "core.lock_timeout: how long a writer waits for the database lock (project file < env)"
if command -v sqlite3 >/dev/null 2>&1; then
  new_project lockwait
  cd "$T/lockwait"
  must_mlt run start -q -n r --no-git >/dev/null
  project_file lockwait 'core:
  lock_timeout: 0.5'
  rm -f "$T/locked"
  (
    echo "BEGIN IMMEDIATE;"
    echo ".shell touch '$T/locked'"
    sleep 10   # long enough for both checks on a slow (sanitized, loaded) machine; killed after them
    echo "ROLLBACK;"
  ) | sqlite3 .mlt/mlt.db >/dev/null 2>&1 3>&- &
  holder=$!
  track_bg "$holder"
  for _ in $(seq 100); do [ -e "$T/locked" ] && break; sleep 0.05; done
  if [ -e "$T/locked" ]; then
    t0=$(date +%s%N)
    run_mlt log metric --run r --step 0 x=1
    ms=$((($(date +%s%N) - t0) / 1000000))
    expect_rc 5
    expect_err_contains "0.5 s"
    if [ "$ms" -lt 400 ] || [ "$ms" -ge 3000 ]; then fail "waited about 0.5 s" "400..3000 ms" "$ms ms"; fi
    MLT_LOCK_TIMEOUT=0.2 run_mlt log metric --run r --step 0 x=1
    expect_rc 5
    expect_err_contains "0.2 s"
  else
    fail "sqlite3 takes the write lock" "lock taken" "not taken in 5 s"
  fi
  kill "$holder" 2>/dev/null   # its connection ends: the lock is released
  wait "$holder" 2>/dev/null
  run_mlt log metric --run r --step 0 x=1
  expect_rc 0
else
  echo "note: sqlite3 not installed; core.lock_timeout checked with config get only"
  new_project lockwait
  cd "$T/lockwait"
  project_file lockwait 'core:
  lock_timeout: 0.5'
  run_mlt config get core.lock_timeout
  expect_out_eq "0.5"
fi

begin "data.tag_prefix: the git tag 'mlt data add' makes (project file < env)"
if command -v git >/dev/null 2>&1; then
  mkdir -p "$T/dtag"
  cd "$T/dtag"
  { git init -q . && git commit -q --allow-empty -m one; } || lib_die "git init failed"
  must_mlt -q init >/dev/null
  printf 'id\n1\n' >train.csv
  user_file 'data:
  tag_prefix: user/'
  must_mlt -q data add train.csv -n a >/dev/null
  must_mlt config set data.tag_prefix ds/ >/dev/null
  must_mlt -q data add train.csv -n b >/dev/null
  MLT_DATA_TAG_PREFIX=env/ must_mlt -q data add train.csv -n c >/dev/null
  run_cmd git tag -l
  expect_out_eq "ds/b/v1
env/c/v1
user/a/v1"
else
  echo "note: git not installed; data.tag_prefix not checked"
fi

begin "registry.git_tags and the rest via config get: a project 'false' beats a user 'true'; env wins"
new_project regtags
cd "$T/regtags"
user_file 'registry:
  git_tags: true
data:
  tag_prefix: u/'
run_mlt config get registry.git_tags
expect_out_eq "true"
must_mlt config set registry.git_tags off >/dev/null
run_mlt config get --show-origin registry.git_tags
expect_out_eq "$T/regtags/.mlt/config.yaml${TAB}false"
MLT_REGISTRY_GIT_TAGS=Yes run_mlt config get --show-origin registry.git_tags
expect_out_eq "env MLT_REGISTRY_GIT_TAGS${TAB}true"
MLT_REGISTRY_GIT_TAGS='' run_mlt config get registry.git_tags
expect_out_eq "false"
run_mlt config get data.tag_prefix
expect_out_eq "u/"
cd "$T/outside"
run_mlt config get registry.git_tags
expect_out_eq "true"

begin "an environment variable of the wrong type exits 2 naming it (project commands and config)"
new_project badenv
cd "$T/badenv"
MLT_COLOR=blue run_mlt runs
expect_rc 2
expect_err_contains "MLT_COLOR"
MLT_GC_GRACE=soon run_mlt config get core.pager
expect_rc 2
expect_err_contains "MLT_GC_GRACE"
MLT_REGISTRY_GIT_TAGS=maybe run_mlt status
expect_rc 2
expect_err_contains "MLT_REGISTRY_GIT_TAGS"

# =============================================================================================
# Files that are not right

begin "an unknown key in a file warns with FILE:LINE and the valid keys; the command still works"
new_project unknown
cd "$T/unknown"
project_file unknown 'core:
  color: never
  colour: always
future:
  thing: 1'
run_mlt runs
expect_rc 0
expect_err_contains "$T/unknown/.mlt/config.yaml:3:"
expect_err_contains "core.colour"
expect_err_contains "$T/unknown/.mlt/config.yaml:5:"
expect_err_contains "future.thing"
expect_err_contains "$VALID_KEYS"
expect_err_match "warning"
run_mlt config get core.color
expect_rc 0
expect_out_eq "never"
expect_err_contains "core.colour"
user_file 'gc:
  graze: 1d'
run_mlt status
expect_rc 0
expect_err_contains "$UFILE:2:"
expect_err_contains "gc.graze"

begin "an unknown key holding a list (a newer mlt's setting) warns too; config set keeps it"
new_project unknownlist
cd "$T/unknownlist"
project_file unknownlist 'future:
  list: [a, b]
core:
  pager: more'
run_mlt runs
expect_rc 0
expect_err_contains "$T/unknownlist/.mlt/config.yaml:2:"
expect_err_contains "future.list"
run_mlt config set gc.grace 1d
expect_rc 0
run_mlt config get gc.grace
expect_rc 0
expect_out_eq "1d"
expect_err_contains "future.list"
grep -q 'list:' .mlt/config.yaml || fail "the list is kept in the file" "list:" "$(cat .mlt/config.yaml)"

begin "a bad value for a known key exits 2 naming FILE:LINE (project commands, config get/list)"
new_project badval
cd "$T/badval"
project_file badval 'core:
  pager: more
gc:
  grace: soon'
for cmd in runs status "run start" "config get core.pager" "config list"; do
  # shellcheck disable=SC2086
  run_mlt $cmd
  expect_rc 2
  expect_err_contains "$T/badval/.mlt/config.yaml:4:"
  expect_err_contains "gc.grace"
done
project_file badval 'registry:
  git_tags: maybe'
run_mlt runs
expect_rc 2
expect_err_contains "$T/badval/.mlt/config.yaml:2:"
project_file badval 'core:
  pager: [less, more]'
run_mlt runs
expect_rc 2
expect_err_contains "$T/badval/.mlt/config.yaml:2:"
project_file badval 'core:
  pager: more'
user_file 'core:
  lock_timeout: forever'
run_mlt runs
expect_rc 2
expect_err_contains "$UFILE:2:"
run_mlt --json runs
expect_rc 2
expect_err_json .error.code 2

begin "a key with no value at all exits 2 naming FILE:LINE (mlt-config(1)); \"\" is the empty value"
new_project novalue
cd "$T/novalue"
project_file novalue 'data:
  tag_prefix:'
run_mlt runs
expect_rc 2
expect_err_contains "$T/novalue/.mlt/config.yaml:2:"
expect_err_contains "data.tag_prefix"
project_file novalue 'data:
  tag_prefix: ""'
run_mlt -q runs
expect_rc 0
expect_err_empty
run_mlt config get --show-origin data.tag_prefix
expect_out_eq "$T/novalue/.mlt/config.yaml${TAB}"

begin "malformed YAML exits 2 naming FILE:LINE:COL; a file that is not a mapping exits 2"
new_project yaml
cd "$T/yaml"
project_file yaml 'gc:
  grace: [1d
core:
  pager: more'
run_mlt runs
expect_rc 2
expect_err_match "$T/yaml/\\.mlt/config\\.yaml:[0-9]+:[0-9]+:"
run_mlt config get gc.grace
expect_rc 2
expect_err_match "$T/yaml/\\.mlt/config\\.yaml:[0-9]+:[0-9]+:"
project_file yaml '- gc.grace
- 1d'
run_mlt runs
expect_rc 2
expect_err_contains "$T/yaml/.mlt/config.yaml"
# an empty file sets nothing
: >"$T/yaml/.mlt/config.yaml"
run_mlt -q runs
expect_rc 0
expect_err_empty

begin "config set and unset repair a file with a bad value"
new_project repair
cd "$T/repair"
project_file repair 'gc:
  grace: soon
data:
  tag_prefix: more'
run_mlt config set gc.grace 2d
expect_rc 0
run_mlt runs
expect_rc 0
run_mlt config get gc.grace
expect_out_eq "2d"
run_mlt config get data.tag_prefix
expect_out_eq "more"
project_file repair 'gc:
  grace: soon'
run_mlt config unset gc.grace
expect_rc 0
run_mlt -q runs
expect_rc 0
expect_err_empty
run_mlt config get --show-origin gc.grace
expect_out_eq "default${TAB}14d"
# the user file too
user_file 'core:
  lock_timeout: forever'
run_mlt config set --global core.lock_timeout 10
expect_rc 0
run_mlt config get core.lock_timeout
expect_out_eq "10"

begin "unknown keys in the file survive a config set of another key"
new_project survive
cd "$T/survive"
project_file survive 'core:
  colour: always
future:
  thing: hello
  nested:
    deep: yes'
run_mlt config set gc.grace 1d
expect_rc 0
run_mlt config list
expect_rc 0
expect_line "gc.grace=1d"
expect_err_contains "core.colour"
expect_err_contains "future.thing"
expect_err_contains "future.nested.deep"
run_cmd cat .mlt/config.yaml
expect_line "  thing: hello"
expect_line "  colour: always"
expect_out_match $'\n    deep: \'?yes\'?(\n|$)'
run_mlt config unset gc.grace
run_cmd cat .mlt/config.yaml
expect_line "  thing: hello"

# =============================================================================================
# Concurrency and the lock file

begin "7 concurrent 'config set' of different keys: all exit 0 and every value lands"
new_project conc
cd "$T/conc"
pids=()
i=0
# core.pager is set in the user file only (it runs a command), so 7 of the 8 keys
for kv in "core.color=always" "core.experiment=e1" "core.lock_timeout=5" \
  "data.tag_prefix=d/" "gc.grace=1d" "registry.git_tags=true" "run.metrics_prefix=X:"; do
  i=$((i + 1))
  "$MLT_BIN" config set "${kv%%=*}" "${kv#*=}" </dev/null >/dev/null 2>"$T/conc.err.$i" 3>&- &
  pids+=($!)
  track_bg "$!"
done
nfail=0
for p in "${pids[@]}"; do wait "$p" || nfail=$((nfail + 1)); done
expect_eq "config set calls that failed" 0 "$nfail"
expect_eq "stderr of the calls" "" "$(cat "$T"/conc.err.*)"
run_mlt config list --show-origin
expect_rc 0
expect_eq "settings from the project file" 7 "$(printf '%s\n' "$out" | grep -c "^$T/conc/.mlt/config.yaml$TAB")"
expect_line "$T/conc/.mlt/config.yaml${TAB}run.metrics_prefix=X:"
[ -e .mlt/config.yaml.lock ] && fail "no lock file left" "absent" "present"

begin "a stale FILE.lock: config set waits a few seconds, exits 5 with a hint, the file unchanged"
new_project stale
cd "$T/stale"
must_mlt config set gc.grace 1d >/dev/null
before="$(sum .mlt/config.yaml)"
: >.mlt/config.yaml.lock
t0=$(date +%s%N)
run_mlt config set gc.grace 2d
ms=$((($(date +%s%N) - t0) / 1000000))
expect_rc 5
expect_err_contains "$T/stale/.mlt/config.yaml.lock"
expect_err_match "hint: .*remove"
if [ "$ms" -lt 2500 ] || [ "$ms" -ge 8000 ]; then fail "waited about 3 s" "2500..8000 ms" "$ms ms"; fi
expect_eq "the project file" "$before" "$(sum .mlt/config.yaml)"
[ -e .mlt/config.yaml.lock ] || fail "the stale lock is left for the user" "present" "removed"
run_mlt config unset gc.grace
expect_rc 5
expect_eq "the project file after unset" "$before" "$(sum .mlt/config.yaml)"
rm -f .mlt/config.yaml.lock
run_mlt config set gc.grace 2d
expect_rc 0
run_mlt config get gc.grace
expect_out_eq "2d"
# the user file's lock
mkdir -p "$UDIR"
: >"$UFILE.lock"
run_mlt config set --global gc.grace 2d
expect_rc 5
expect_err_contains "$UFILE.lock"
[ -e "$UFILE" ] && fail "no user file written" "absent" "created"

# =============================================================================================
# Colour (mlt compare colours the best value)

new_project col
must_mlt run start -q -n a --no-git >/dev/null
must_mlt run start -q -n b --no-git >/dev/null
must_mlt log metric --run a --step 0 loss=0.5 >/dev/null
must_mlt log metric --run b --step 0 loss=0.3 >/dev/null

begin "colour: --color always colours even into a file; never and auto (not a terminal) do not"
cd "$T/col"
run_mlt --color always compare a b
expect_rc 0
expect_colour
expect_out_contains "${ESC}[1;32m0.3 *${ESC}[0m"
run_mlt --color never compare a b
expect_rc 0
expect_no_colour
expect_out_contains "0.3 *"
run_mlt compare a b
expect_no_colour
NO_COLOR='' run_mlt --color auto compare a b
expect_no_colour
run_mlt --color purple compare a b
expect_rc 2

begin "colour: core.color and MLT_COLOR; always from a file or env colours despite NO_COLOR; --color wins"
cd "$T/col"
user_file 'core:
  color: always'
run_mlt compare a b
expect_colour
project_file col 'core:
  color: never'
run_mlt compare a b
expect_no_colour
MLT_COLOR=always run_mlt compare a b
expect_colour
project_file col 'core:
  color: always'
run_mlt compare a b
expect_colour
MLT_COLOR=never run_mlt compare a b
expect_no_colour
run_mlt --color never compare a b
expect_no_colour
MLT_COLOR=never run_mlt --color always compare a b
expect_colour
project_file col 'core:
  color: auto'
NO_COLOR=1 run_mlt --color always compare a b
expect_colour

begin "colour: --json is never coloured"
cd "$T/col"
run_mlt --json --color always compare a b
expect_rc 0
expect_no_colour
expect_json_valid
project_file col 'core:
  color: always'
MLT_COLOR=always run_mlt --json compare a b
expect_no_colour
expect_json_valid
project_file col 'core:
  color: auto'

begin "colour on a terminal: auto colours; NO_COLOR=1 turns auto off; --color never; the pager keeps it"
if skip_unless_script; then
  cd "$T/col"
  NO_COLOR='' run_tty --no-pager compare a b
  expect_rc 0
  expect_colour
  NO_COLOR=1 run_tty --no-pager compare a b
  expect_rc 0
  expect_out_contains "0.3 *"
  expect_no_colour
  NO_COLOR='' run_tty --no-pager --color never compare a b
  expect_no_colour
  NO_COLOR='' MLT_PAGER='sed s/^/PAGED:/' run_tty compare a b
  expect_rc 0
  expect_paged PAGED:
  expect_colour
fi

# =============================================================================================
# The pager (on a terminal only)

new_project pg
must_mlt run start -q -n first --no-git -p lr=0.1 >/dev/null
must_mlt run start -q -n second --no-git -p lr=0.2 >/dev/null
must_mlt log metric --run first --step 0 loss=0.5 >/dev/null
must_mlt log metric --run second --step 0 loss=0.4 >/dev/null
printf 'w\n' >"$T/w.txt"
must_mlt -q log artifact --run first "$T/w.txt" >/dev/null
MARK='sed s/^/PAGED:/'

begin "pager: a listing on a terminal goes through MLT_PAGER; mlt's exit code is its own"
if skip_unless_script; then
  cd "$T/pg"
  MLT_PAGER="$MARK" run_tty runs
  expect_rc 0
  expect_paged PAGED:
  expect_out_contains "PAGED:ID"
  expect_out_contains "second"
  # the commands with long output (each through the pager)
  for cmd in "runs" "metrics first" "run show first" "compare first second" "artifact ls first" "config list"; do
    # shellcheck disable=SC2086
    MLT_PAGER="$MARK" run_tty $cmd
    expect_rc 0
    expect_paged PAGED:
  done
  # diff exits 1 when runs differ: still 1 through the pager
  MLT_PAGER="$MARK" run_tty diff first second
  expect_rc 1
  expect_paged PAGED:
  # a pager that fails does not change mlt's exit code
  MLT_PAGER='cat >/dev/null; exit 3' run_tty runs
  expect_rc 0
  # mlt waits for the pager: its output comes before what follows mlt
  MLT_PAGER="sleep 0.3; $MARK" run_cmd script -qec "$(printf '%q ' "$MLT_BIN") runs; echo AFTER-MLT" /dev/null
  out="${out//$'\r'/}"
  expect_eq "the last line (mlt waited for the pager)" "AFTER-MLT" "$(printf '%s\n' "$out" | tail -n 1)"
  expect_out_contains "PAGED:ID"
fi

begin "pager: not when stdout is not a terminal, nor with --no-pager, nor for other commands"
cd "$T/pg"
MLT_PAGER="$MARK" run_mlt runs
expect_rc 0
expect_not_paged PAGED:
MLT_PAGER="$MARK" run_mlt config list
expect_not_paged PAGED:
if skip_unless_script; then
  MLT_PAGER="$MARK" run_tty --no-pager runs
  expect_rc 0
  expect_not_paged PAGED:
  expect_out_contains "second"
  MLT_PAGER="$MARK" run_tty status
  expect_rc 0
  expect_not_paged PAGED:
  MLT_PAGER="$MARK" run_tty --no-pager run show first
  expect_not_paged PAGED:
  # stdout in a pipe under a terminal
  MLT_PAGER="$MARK" run_cmd script -qec "$(printf '%q ' "$MLT_BIN") runs | cat" /dev/null
  out="${out//$'\r'/}"
  expect_not_paged PAGED:
  # messages on stderr do not go through the pager
  project_file pg 'colour: never'
  MLT_PAGER="$MARK" run_tty runs
  expect_rc 0
  expect_out_match $'(^|\n)mlt: warning: '
  expect_out_contains "PAGED:ID"
  project_file pg ''
fi

begin "pager: MLT_PAGER=cat or empty means none; core.pager from the user file (never a project's) when unset; then PAGER"
if skip_unless_script; then
  cd "$T/pg"
  user_file "core:
  pager: sed s/^/USER:/"
  PAGER='sed s/^/PAGER:/' run_tty runs
  expect_rc 0
  expect_paged USER:
  # a project's settings travel with its folder: a pager there (a command) is ignored, with a warning
  project_file pg "core:
  pager: $MARK"
  PAGER='sed s/^/PAGER:/' run_tty -q runs
  expect_rc 0
  expect_out_contains "'core.pager' is ignored in a project's settings"
  expect_out_not_contains "PAGED:"
  run_mlt config set core.pager "$MARK"
  expect_rc 2
  expect_err_contains "--global"
  project_file pg ''
  PAGER='sed s/^/PAGER:/' MLT_PAGER='sed s/^/ENV:/' run_tty runs
  expect_paged ENV:
  MLT_PAGER='cat' run_tty runs
  expect_rc 0
  expect_not_paged PAGED:
  expect_out_contains "second"
  MLT_PAGER='' run_tty runs
  expect_rc 0
  expect_not_paged PAGED:
  expect_out_contains "second"
  user_file 'core:
  pager: cat'
  PAGER='sed s/^/PAGER:/' run_tty runs
  expect_not_paged PAGER:
  expect_out_contains "second"
  rm -rf "$UDIR"
  PAGER='sed s/^/PAGER:/' run_tty runs
  expect_rc 0
  expect_paged PAGER:
  PAGER='' run_tty runs
  expect_rc 0
  expect_out_contains "second"
  expect_not_paged PAGER:
fi

begin "pager: LESS=FRX for the pager when LESS is unset; a LESS that is set is kept"
if skip_unless_script; then
  cd "$T/pg"
  # shellcheck disable=SC2016  # $LESS is the pager's
  MLT_PAGER='echo "LESS=[$LESS]"; cat' run_tty runs
  expect_rc 0
  expect_line "LESS=[FRX]"
  expect_out_contains "second"
  # shellcheck disable=SC2016
  LESS=-S MLT_PAGER='echo "LESS=[$LESS]"; cat' run_tty runs
  expect_line "LESS=[-S]"
  # the default pager is less, quitting at once on short output (F), so it is just printed
  if command -v less >/dev/null 2>&1; then
    run_tty runs
    expect_rc 0
    expect_out_contains "second"
  fi
fi

# =============================================================================================
# mlt help (man shows the page through MANPAGER)

export MANPAGER=cat

begin "help COMMAND shows the command's group page with man; help alone shows mlt(1)"
if command -v man >/dev/null 2>&1 && command -v groff >/dev/null 2>&1; then
  cd "$T/outside"
  run_mlt help gc
  expect_rc 0
  expect_out_contains "MLT-STORE(1)"
  expect_out_contains "NAME"
  expect_out_match "mlt-store +- +check the object store"
  run_mlt help
  expect_rc 0
  expect_out_contains "MLT(1)"
  run_mlt help status
  expect_rc 0
  expect_out_contains "MLT-PROJECT(1)"
  run_mlt help config
  expect_rc 0
  expect_out_contains "MLT-CONFIG(1)"
  run_mlt help help
  expect_rc 0
  expect_out_contains "MLT-HELP(1)"
else
  skip "man or groff not installed (apt-get install man-db groff-base)"
fi

begin "help of an unknown command exits 2"
cd "$T/outside"
run_mlt help nosuch
expect_rc 2
expect_out_empty
expect_err_contains "nosuch"
run_mlt help gc du
expect_rc 2

begin "help without man on PATH: the --help text on stdout, a note on stderr, exit 0"
cd "$T/outside"
run_cmd env PATH=/nonexistent "$MLT_BIN" help gc
expect_rc 0
expect_out_contains "Usage: mlt gc"
expect_out_contains "--grace"
expect_err_contains "mlt gc --help"
run_cmd env PATH=/nonexistent "$MLT_BIN" -q help gc
expect_rc 0
expect_out_contains "Usage: mlt gc"
expect_err_empty
run_cmd env PATH=/nonexistent "$MLT_BIN" help registry
expect_rc 0
expect_out_contains "Usage: mlt registry"
# mlt help alone: what 'mlt --help' prints
run_cmd env PATH=/nonexistent "$MLT_BIN" help
expect_rc 0
expect_out_contains "Usage: mlt [OPTIONS] [SUBCOMMAND]"
expect_out_contains "config"
expect_err_contains "mlt --help"
run_cmd env PATH=/nonexistent "$MLT_BIN" help nosuch
expect_rc 2

begin "help needs no project and reads no settings: a broken project file does not stop it"
new_project helpbad
cd "$T/helpbad"
project_file helpbad 'gc: [1d'
run_cmd env PATH=/nonexistent "$MLT_BIN" help gc
expect_rc 0
expect_out_contains "Usage: mlt gc"
MLT_COLOR=blue run_cmd env PATH=/nonexistent "$MLT_BIN" help gc
expect_rc 0

begin "help with man but no page beside the binary nor on the manual path: the --help text; an installed page is found"
if command -v man >/dev/null 2>&1 && command -v groff >/dev/null 2>&1; then
  mkdir -p "$T/inst/bin" "$T/emptyman/man1"
  ln "$MLT_BIN" "$T/inst/bin/mlt" 2>/dev/null || cp "$MLT_BIN" "$T/inst/bin/mlt"   # not a symlink: mlt follows those
  MANPATH="$T/emptyman" run_cmd "$T/inst/bin/mlt" help gc
  expect_rc 0
  expect_out_contains "Usage: mlt gc"
  expect_err_contains "mlt gc --help"
  # installed beside it: PREFIX/share/man/man1
  mkdir -p "$T/inst/share/man/man1"
  cp "$SRC_MAN/mlt-store.1" "$T/inst/share/man/man1/mlt-store.1"
  MANPATH="$T/emptyman" run_cmd "$T/inst/bin/mlt" help gc
  expect_rc 0
  expect_out_contains "MLT-STORE(1)"
  expect_err_empty
  rm "$T/inst/share/man/man1/mlt-store.1"
  gzip -c "$SRC_MAN/mlt-store.1" >"$T/inst/share/man/man1/mlt-store.1.gz"
  MANPATH="$T/emptyman" run_cmd "$T/inst/bin/mlt" help du
  expect_rc 0
  expect_out_contains "MLT-STORE(1)"
  rm -rf "$T/inst"
else
  skip "man or groff not installed"
fi

begin "set: a key holding a value above the one being set is refused, the file unchanged"
mkdir -p "$T/cf" && cd "$T/cf"
must_mlt -q init >/dev/null
project_file cf 'core: 5'
before="$(sum .mlt/config.yaml)"
run_mlt config set core.color never
expect_rc 2
expect_err_contains "'core' holds a value, so no setting can go below it"
expect_eq "the file is unchanged" "$before" "$(sum .mlt/config.yaml)"

begin "set --global through a symlinked user file writes the file it points to, keeping its mode"
mkdir -p "$T/dots" "$UDIR"
printf 'gc:\n  grace: 2d\n' >"$T/dots/mlt.yaml"
chmod 600 "$T/dots/mlt.yaml"
ln -s "$T/dots/mlt.yaml" "$UFILE"
run_mlt config set --global gc.grace 1d
expect_rc 0
[ -L "$UFILE" ] || fail "the user file is still a symlink" "a symlink" "$(ls -l "$UFILE")"
expect_eq "the linked file keeps its mode" 600 "$(stat -c %a "$T/dots/mlt.yaml")"
grep -q 'grace: 1d' "$T/dots/mlt.yaml" || fail "the linked file has the new value" "grace: 1d" "$(cat "$T/dots/mlt.yaml")"

begin "a pager that is not installed: a warning, and the output printed directly"
if [ "$HAVE_SCRIPT" = 1 ]; then
  cd "$T/cf"
  rm -f .mlt/config.yaml
  MLT_PAGER=no-such-pager-here run_tty runs
  expect_rc 0
  expect_out_contains "cannot run the pager 'no-such-pager-here'"
  expect_out_contains "no runs yet"
else
  skip "script(1) does not work here"
fi


begin "config set refuses to rewrite a file whose unknown entries would not read back (fuzz finding)"
new_project odd-keys
printf '.core:\n  color: 1\n' >.mlt/config.yaml
cp .mlt/config.yaml "$T/odd-keys.before"
run_mlt config set gc.grace 3d
expect_rc 2
expect_err_contains "cannot write back"
expect_eq "the file is left as it was" "$(cat "$T/odd-keys.before")" "$(cat .mlt/config.yaml)"
[ ! -e .mlt/config.yaml.lock ] || fail "no lock file is left" "none" "$(ls .mlt)"
printf 'g: !' >.mlt/config.yaml
run_mlt config set gc.grace 3d
expect_rc 0
run_mlt config get gc.grace
expect_out_eq "3d"
run_mlt status
expect_rc 0

finish
