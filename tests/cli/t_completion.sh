# t_completion.sh: shell completion. The hidden protocol `mlt __complete WORD... CUR` directly
# (commands, subcommands and flags with their TAB-separated help, fixed choices, the values a
# project holds: runs and run ids, deleted runs, experiments, metric/param/tag keys with `K=` and
# no space, model names, NAME/VERSION, NAME@ALIAS, models:/ and runs:/ URIs, the aliases and
# versions of the model named earlier, data refs, environments and revisions, artifact paths,
# search keys; -C DIR; the directives: 0 files, 16 directories, 2 no space, the final `:N` line);
# silence and safety (no project, a corrupt or unreadable database, a newer schema: nothing from
# the project, exit 0, nothing on stderr; nothing under .mlt changes, -wal/-shm included); the
# scripts of completions/ driven headless: bash (COMP_WORDS split at COMP_WORDBREAKS as bash
# splits them, COMPREPLY, compopt, and the line readline would make of it), zsh (a real
# interactive zsh under zpty, and a capture of what _mlt hands _describe), fish (complete -C);
# `mlt completion SHELL` prints the files of completions/, a bad shell exits 2.
#
# zsh and fish parts print a `skip:` line and pass when the shell is not installed.
# shellcheck disable=SC2164  # every cd goes into a directory this suite just created
COMPL="$(cd "$(dirname "$0")/../../completions" 2>/dev/null && pwd -P)"   # (lib.sh changes directory)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
if [ -z "$COMPL" ] || [ ! -f "$COMPL/mlt.bash" ] || [ ! -f "$COMPL/_mlt" ] || [ ! -f "$COMPL/mlt.fish" ]; then
  lib_die "completions/ (mlt.bash, _mlt, mlt.fish) not found beside tests/"
fi
HAVE_ZSH=0
command -v zsh >/dev/null 2>&1 && HAVE_ZSH=1
HAVE_FISH=0
command -v fish >/dev/null 2>&1 && HAVE_FISH=1

# at N: the pinned clock N ms after T0_MS, for MLT_NOW_MS.
at() { echo $((T0_MS + $1)); }

# field JSON EXPR: jq -r EXPR of a JSON text.
field() { printf '%s' "$1" | jq -r "$2" 2>/dev/null; }

# ---------------------------------------------------------------------------------------------
# The protocol

cands=""       # the candidates' values of the last `comp`, one a line
directive=""   # its directive (the N of the last line ":N")

# comp WORD... CUR: mlt __complete WORD... CUR, and the checks every answer must pass: exit 0,
# nothing on stderr, a last line ":N", every candidate beginning with CUR, none twice, no empty
# line, descriptions of 80 characters at most. Sets $cands and $directive.
comp() {
  local cur="${*: -1}" last body line v
  run_mlt __complete "$@"
  last_cmd="mlt __complete $(printf '%q ' "$@")"
  last_cmd="${last_cmd% }"
  expect_rc 0
  expect_err_empty
  last="${out##*$'\n'}"
  [[ "$last" =~ ^:[0-9]+$ ]] || fail "the last line is :N" ":N" "$(lib_show "$last")"
  directive="${last#:}"
  cands=""
  if [[ "$out" == *$'\n'* ]]; then body="${out%$'\n'*}"; else body=""; fi
  [ -n "$body" ] || return 0
  while IFS= read -r line; do
    [ -n "$line" ] || { fail "no empty candidate line" "(none)" "an empty line"; continue; }
    v="${line%%$'\t'*}"
    case "$v" in "$cur"*) ;; *) fail "every candidate begins with CUR '$cur'" "'$cur...'" "'$v'" ;; esac
    if [[ "$line" == *$'\t'* ]]; then
      local d="${line#*$'\t'}"
      [ "${#d}" -le 80 ] || fail "descriptions are cut to 80 characters" "<= 80" "${#d}: $d"
    fi
    cands+="$v"$'\n'
  done <<<"$body"
  cands="${cands%$'\n'}"
  local dup
  dup="$(printf '%s\n' "$cands" | sort | uniq -d)"
  [ -z "$dup" ] || fail "no candidate twice" "(none)" "$dup"
}

# expect_cands V...: the candidates' values are exactly V..., in this order.
expect_cands() {
  local want=""
  [ $# -gt 0 ] && want="$(printf '%s\n' "$@")" && want="${want%$'\n'}"
  [ "$cands" = "$want" ] || fail "the candidates" "$(lib_show "$want")" "$(lib_show "$cands")"
}

# expect_cand V...: each V is a candidate.
expect_cand() {
  local v
  for v in "$@"; do
    printf '%s\n' "$cands" | grep -Fxq -- "$v" || fail "a candidate" "$(lib_show "$v")" "(not offered)"
  done
}

# expect_no_cand V...: no V is a candidate.
expect_no_cand() {
  local v
  for v in "$@"; do
    if printf '%s\n' "$cands" | grep -Fxq -- "$v"; then fail "not a candidate" "no $(lib_show "$v")" "offered"; fi
  done
}

expect_no_cands() { [ -z "$cands" ] || fail "no candidates" "(none)" "$(lib_show "$cands")"; }

expect_directive() { [ "$directive" = "$1" ] || fail "the directive" ":$1" ":$directive"; }

# expect_line LINE: stdout has LINE as one whole line (value<TAB>description).
expect_line() {
  printf '%s\n' "$out" | grep -Fxq -- "$1" || fail "stdout has the line" "$(lib_show "$1")" "(no such line)"
}

# tree_sum DIR: every path below DIR with, for files, size and sha256; the -shm file (SQLite's
# shared memory, whose read marks readers may move) by presence and size only.
tree_sum() {
  (cd "$1" && find . | LC_ALL=C sort | while IFS= read -r f; do
    if [ -d "$f" ]; then
      printf 'd %s\n' "$f"
    elif [ "${f%-shm}" != "$f" ]; then
      printf 'f %s %s (shm)\n' "$f" "$(wc -c <"$f" | tr -d ' ')"
    else
      printf 'f %s %s %s\n' "$f" "$(wc -c <"$f" | tr -d ' ')" "$(sha256sum <"$f" | cut -d' ' -f1)"
    fi
  done)
}

# expect_same_sum WHAT BEFORE AFTER: two tree_sum outputs are equal (else the diff is shown).
expect_same_sum() {
  [ "$2" = "$3" ] ||
    fail "$1" "no change" "$(diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | grep '^[<>]' | head -n 20)"
}

# many_completions: one of each kind of completion, in the current directory.
many_completions() {
  local a
  for a in "" "run show ''" "run show ${RUN:0:6}" "run restore ''" "exp rename ''" "exp restore ''" \
    "metrics fit ''" "run -p ''" "run -t te" "log metric ''" "registry show churn@" "registry show churn/" \
    "model show models:/churn@" "model show models:/churn/" "model show runs:/" "registry alias churn ''" \
    "registry alias churn champion ''" "data show train@" "data show ''" "deploy history ''" \
    "deploy rollback staging --to ''" "artifact ls fit ''" "artifact ls fit out/" "runs -s metrics." \
    "runs -f params." "lineage ''" "config set core.color ''" "-C . run show ''" "--color ''"; do
    local -a w
    eval "w=($a)"
    "$MLT_BIN" __complete "${w[@]}" </dev/null >/dev/null 2>&1 3>&-
  done
}

# ---------------------------------------------------------------------------------------------
# bash, headless: bash_complete LINE completes LINE (the cursor at its end) the way bash would:
# COMP_WORDS split at COMP_WORDBREAKS ($BASH_BREAKS when set: the non-blank ones), _mlt called,
# and the line that readline makes of COMPREPLY. Output: "reply VALUE" per candidate, "nospace
# 0|1", "filenames 0|1", "result LINE"; in $out.
cat >"$T/bashcomp.sh" <<'EOF'
script=$1 line=$2
shift 2
source "$script" || exit 9
breaks=${BASH_BREAKS-$'"\'@><=;|&(:'}
COMP_WORDBREAKS=$' \t\n'"$breaks"
nospace=0 filenames=0
compopt() {      # the builtin works only inside real completion; record what is asked
  local a
  for a in "$@"; do
    case $a in nospace) nospace=1 ;; filenames) filenames=1 ;; esac
  done
}
if [ "${1:-}" = --words ]; then   # COMP_WORDS given as they are
  shift
  COMP_WORDS=("$@")
else                              # split as bash splits: blanks separate, break characters stand alone
  COMP_WORDS=()
  tok="" kind=""
  for ((i = 0; i < ${#line}; i++)); do
    c=${line:i:1}
    if [[ $c == " " ]]; then
      [[ -n $tok ]] && COMP_WORDS+=("$tok")
      tok="" kind=""
    elif [[ -n $breaks && $breaks == *"$c"* ]]; then
      if [[ $kind == b ]]; then tok+=$c; else [[ -n $tok ]] && COMP_WORDS+=("$tok"); tok=$c kind=b; fi
    else
      if [[ $kind == b ]]; then COMP_WORDS+=("$tok"); tok="" kind=""; fi
      tok+=$c kind=w
    fi
  done
  COMP_WORDS+=("$tok")            # "" when the cursor follows a blank
fi
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE=$line
COMP_POINT=${#line}
COMPREPLY=()
printf 'words'; printf ' [%s]' "${COMP_WORDS[@]}"; printf '\n'
_mlt mlt "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf 'reply %s\n' "${COMPREPLY[@]}"
echo "nospace $nospace"
echo "filenames $filenames"
# readline replaces the text after the last break character (or blank) with the candidate, or
# with the candidates' longest common prefix when there are several
word=$line
for ((i = ${#line} - 1; i >= 0; i--)); do
  if [[ " $breaks" == *"${line:i:1}"* ]]; then word=${line:i+1}; break; fi
done
base=${line%"$word"}
if ((${#COMPREPLY[@]} == 1)); then
  result=$base${COMPREPLY[0]}
  ((nospace)) || result+=" "
elif ((${#COMPREPLY[@]} > 1)); then
  lcd=${COMPREPLY[0]}
  for r in "${COMPREPLY[@]}"; do
    while [[ ${r:0:${#lcd}} != "$lcd" ]]; do lcd=${lcd:0:${#lcd}-1}; done
  done
  if ((${#lcd} >= ${#word})); then result=$base$lcd; else result=$line; fi
else
  result=$line
fi
echo "result $result"
EOF

bash_complete() {
  run_cmd bash "$T/bashcomp.sh" "$COMPL/mlt.bash" "$@"
  last_cmd="bash completion of '$1'${2:+ (${*:2})}"
}

# expect_reply V...: the bash candidates (COMPREPLY) are exactly V... (in order).
expect_reply() {
  local got want=""
  got="$(printf '%s\n' "$out" | sed -n 's/^reply //p')"
  [ $# -gt 0 ] && want="$(printf '%s\n' "$@")" && want="${want%$'\n'}"
  [ "$got" = "$want" ] || fail "COMPREPLY" "$(lib_show "$want")" "$(lib_show "$got")"
}
expect_reply_has() {
  local v
  for v in "$@"; do
    printf '%s\n' "$out" | grep -Fxq -- "reply $v" || fail "COMPREPLY has" "$(lib_show "$v")" "(missing)"
  done
}
expect_result() { expect_line "result $1"; }

# ---------------------------------------------------------------------------------------------
# The fixture: project p with runs fit (experiment churn-exp: params lr, depth; tag team; metrics
# loss, acc; artifacts out/a.txt, out/sub/b.txt; a saved model), other, and gone (deleted); a
# deleted experiment old-exp; model churn with versions 1 and 2, aliases champion -> 1 and
# challenger -> 2; data versions train@v1 and train@v2; deployments staging (revisions 1, 2) and
# prod (revision 1). Every clock pinned.
new_project p
printf 'pickled weights\n' >model.pkl
MLT_NOW_MS=$(at 1000) run_mlt run -n fit -e churn-exp -p lr=0.1 -p depth=3 -t team=ml --no-git -- sh -c '
  mlt log metric loss=0.5 acc=0.9 &&
  mlt model save model.pkl --flavor sklearn --python 3.11.2 --uuid 0123456789abcdef0123456789abcdef &&
  mkdir -p out/sub && printf "hi\n" >out/a.txt && printf "x\n" >out/sub/b.txt && mlt log artifact out'
[ "$rc" = 0 ] || lib_die "the training run failed (exit $rc): $err"
RUN="$(field "$("$MLT_BIN" --json run show fit 2>/dev/null)" .id)"
[[ "$RUN" =~ ^[0-9a-f]{32}$ ]] || lib_die "no id for run fit: '$RUN'"
OTHER="$(MLT_NOW_MS=$(at 2000) must_mlt run start -n other --no-git)"
MLT_NOW_MS=$(at 2100) must_mlt -q run end other >/dev/null
GONE="$(MLT_NOW_MS=$(at 3000) must_mlt run start -n gone --no-git)"
MLT_NOW_MS=$(at 3100) must_mlt -q run end gone >/dev/null
must_mlt -q run rm gone >/dev/null
must_mlt -q exp create old-exp >/dev/null
must_mlt -q exp rm old-exp >/dev/null
MLT_NOW_MS=$(at 4000) must_mlt -q registry register "runs:/$RUN/model" churn >/dev/null
MLT_NOW_MS=$(at 4100) must_mlt -q registry register "runs:/$RUN/model" churn >/dev/null
must_mlt -q registry alias churn champion 1 >/dev/null
must_mlt -q registry alias churn challenger 2 >/dev/null
printf 'a,b\n1,2\n' >train.csv
MLT_NOW_MS=$(at 5000) must_mlt -q data add train.csv -n train >/dev/null 2>&1
printf 'a,b\n1,3\n' >train.csv
MLT_NOW_MS=$(at 5100) must_mlt -q data add train.csv -n train >/dev/null 2>&1
MLT_NOW_MS=$(at 6000) must_mlt -q deploy create staging models:/churn@champion --target docker >/dev/null
MLT_NOW_MS=$(at 6100) must_mlt -q deploy create staging models:/churn/2 --target docker >/dev/null
MLT_NOW_MS=$(at 6200) must_mlt -q deploy create prod models:/churn/1 --target kubernetes >/dev/null
mkdir -p somedir
lib_fold_subshell_failures
[ "$lib_test_failed" -eq 0 ] || lib_die "fixture setup failed"
{ [ -n "$OTHER" ] && [ -n "$GONE" ]; } || lib_die "fixture runs missing"
mkdir -p "$T/outside"      # no project here nor above ($T is a scratch directory under TMPDIR)

# =============================================================================================
# 1. The protocol

t "protocol: no words: every top-level command with its one-line help after a TAB; :4"
cd "$T/p"
comp ''
expect_directive 4
expect_cand init status config completion help exp run log runs metrics artifact check diff compare \
  plot model registry data lineage deploy
expect_no_cand __complete
expect_line $'registry\tRegister, version and promote models, with the history of every change.'
expect_line $'run\tRun CMD as a tracked run, or start, end, show and manage runs.'
comp reg
expect_cands registry
expect_directive 4
comp r
expect_cands run runs registry
run_mlt __complete                  # no CUR at all: as an empty one
expect_rc 0
expect_out_contains $'registry\t'
expect_out_match $'\n:4$'

t "protocol: subcommands, with their help (the man page's example)"
cd "$T/p"
comp registry al
expect_out_eq $'alias\tPoint ALIAS of model NAME at VERSION (moving it if it points elsewhere).\n:4'
comp run s
expect_cands start show
comp registry ''
expect_cand create register ls show alias unalias stage history tag describe rm
comp deploy ''
expect_cand render create ls history rollback diff

t "protocol: flags: -- at the root gives the global ones (--json, --color) with their help"
cd "$T/p"
comp --
expect_cand --help --json --color --quiet --no-pager
expect_line $'--json\tPrint one JSON document on stdout (errors as JSON on stderr).'
expect_directive 4
comp --c
expect_cands --color
comp -C
expect_cands -C
comp deploy create --t
expect_cands --target
comp run show --
expect_cand --json --color --help
comp runs --f
expect_cands --filter --format
comp registry alias --
expect_cand --git-tag --json
expect_no_cand --target --filter

t "protocol: flag values with fixed choices (--color, --format, --target, STAGE, SHELL, config values)"
cd "$T/p"
comp --color ''
expect_cands auto always never
expect_directive 4
comp --color=al
expect_cands --color=always
comp runs --format ''
expect_cands table json csv tsv
comp runs --format=c
expect_cands --format=csv
comp deploy create staging models:/churn/1 --target ''
expect_cands docker kubernetes kserve seldon compose
comp deploy render --target k
expect_cands kubernetes kserve
comp registry stage churn 1 ''
expect_cands Staging Production Archived None
comp completion ''
expect_out_eq $'bash\nzsh\nfish\n:4'
comp config set core.color ''
expect_cands auto always never
comp config set registry.git_tags ''
expect_cands true false
comp config get core.
expect_cand core.color core.pager
comp run end --status ''
expect_cands finished failed killed
comp help reg
expect_cands registry

t "protocol: runs: recent names when nothing is typed (name, short id, experiment, status)"
cd "$T/p"
comp run show ''
expect_out_eq "other	${OTHER:0:8}  Default  FINISHED
fit	${RUN:0:8}  churn-exp  FINISHED
:4"
comp run show f
expect_cand fit
comp run show "${RUN:0:6}"
expect_cands "$RUN"
expect_line "$RUN	fit  churn-exp  FINISHED"
comp metrics "${OTHER:0:5}"
expect_cands "$OTHER"
comp log tag --run o
expect_cand other
comp run show go
expect_no_cand gone
comp diff fit ''
expect_cand fit other
expect_no_cand gone

t "protocol: deleted runs only for run restore"
cd "$T/p"
comp run restore ''
expect_out_eq "gone	${GONE:0:8}  Default  FINISHED
:4"
comp run restore "${GONE:0:6}"
expect_cands "$GONE"
comp run restore "${RUN:0:6}"
expect_no_cands

t "protocol: experiment names (deleted ones only for exp restore)"
cd "$T/p"
comp runs -e ''
expect_cands Default churn-exp
comp exp rename c
expect_cands churn-exp
comp exp restore ''
expect_cands old-exp
comp run -e old
expect_no_cands

t "protocol: metric keys; K=V keys end in '=' with no space (:6)"
cd "$T/p"
comp metrics fit ''
expect_cands acc loss
expect_directive 4
comp plot fit --metric l
expect_cands loss
comp run -p ''
expect_cands depth= lr=
expect_directive 6
comp run --param=l
expect_cands --param=lr=
comp log param l
expect_cands lr=
expect_directive 6
comp log metric a
expect_cands acc=
expect_directive 6
comp run start -t te
expect_cands team=
expect_directive 6
comp run -p lr=
expect_no_cands
expect_directive 4

t "protocol: model names, NAME/VERSION and NAME@ALIAS"
cd "$T/p"
comp registry show ''
expect_cands churn
comp registry show churn/
expect_out_eq $'churn/2\tNone\nchurn/1\tNone\n:4'
comp registry show churn@
expect_out_eq $'churn@challenger\tversion 2\nchurn@champion\tversion 1\n:4'
comp registry show churn@cham
expect_cands churn@champion
comp registry history c
expect_cands churn

t "protocol: models:/NAME@ALIAS, models:/NAME/VERSION and runs:/RUN/PATH URIs"
cd "$T/p"
comp model show ''
expect_cands models:/churn runs:/
expect_directive 6
comp model show models:/
expect_cands models:/churn
expect_directive 6
comp model show models:/churn@
expect_cands models:/churn@challenger models:/churn@champion
comp model show models:/churn@ch
expect_cands models:/churn@challenger models:/churn@champion
comp model show models:/churn/
expect_cands models:/churn/2 models:/churn/1 models:/churn/latest models:/churn/Staging \
  models:/churn/Production models:/churn/Archived
comp deploy create staging models:/churn/1
expect_cands models:/churn/1
comp model show runs:/
expect_cands "runs:/$RUN/model"
comp lineage models:/churn@cham
expect_cands models:/churn@champion

t "protocol: the aliases and versions of the model named earlier on the line"
cd "$T/p"
comp registry alias churn ''
expect_out_eq $'challenger\tversion 2\nchampion\tversion 1\n:4'
comp registry alias churn champion ''
expect_cands 2 1
comp registry stage churn ''
expect_cands 2 1
comp registry unalias churn ch
expect_cands challenger champion
comp registry alias nosuch ''
expect_no_cands

t "protocol: data refs: NAME@ (no space), then NAME@vN and NAME@latest"
cd "$T/p"
comp data show ''
expect_cands train@
expect_directive 6
comp data show train@
expect_cands train@latest train@v2 train@v1
expect_directive 4
expect_line $'train@v1\t1 files, 8 bytes'
comp data show train@v
expect_cands train@v2 train@v1
comp data show train@l
expect_cands train@latest
comp log input tr
expect_cands train@
comp run --input train=tr
expect_cands train=train@
comp run --input train=train@v1
expect_cands train=train@v1
comp data ls ''
expect_cands train
comp lineage tr
expect_cand train@

t "protocol: deployment environments, and deploy rollback ENV --to revisions"
cd "$T/p"
comp deploy history ''
expect_out_eq $'prod\tkubernetes  models:/churn/1\nstaging\tdocker  models:/churn/2\n:4'
comp deploy rollback s
expect_cands staging
comp deploy rollback staging --to ''
expect_out_eq $'2\tcreate  models:/churn/2\n1\tcreate  models:/churn/1\n:4'
comp deploy rollback prod --to ''
expect_cands 1
comp deploy rollback staging --to=
expect_cands --to=2 --to=1

t "protocol: artifact paths of the run, one folder at a time (folders end in '/', no space)"
cd "$T/p"
comp artifact ls fit ''
expect_cand out/ model/
expect_directive 6
comp artifact ls fit out/
expect_out_eq $'out/a.txt\t3 bytes\nout/sub/\n:6'
comp artifact cat "$RUN" out/sub/
expect_cands out/sub/b.txt
comp artifact get fit o
expect_cands out/
comp artifact ls nosuch ''
expect_no_cands

t "protocol: search keys for filters, sort orders and columns"
cd "$T/p"
comp runs -s metrics.
expect_cands metrics.acc metrics.loss
expect_directive 4
comp runs -s ''
expect_cand metrics. params. tags. datasets. attributes.run_name attributes.status
expect_directive 6
comp runs -s -met
expect_cands -metrics.
comp runs -f params.
expect_cands params.depth params.lr
comp runs --columns tags.te
expect_cands tags.team
comp check metrics.l
expect_cands metrics.loss

t "protocol: -C DIR is honoured when finding the project"
cd "$T/outside"
comp -C "$T/p" run show ''
expect_cands other fit
comp -C ../p registry show ''
expect_cands churn
comp -C ../p --json data show train@v1
expect_cands train@v1
comp run show ''
expect_no_cands
comp -C "$T/nowhere" run show ''
expect_no_cands
MLT_DIR="$T/p/.mlt" comp run show ''        # found as every command finds it: MLT_DIR too
expect_cands other fit

t "protocol: directives: 0 for a FILE argument, 16 for a DIR, 0 after 'mlt run --'"
cd "$T/p"
comp log artifact ''
expect_no_cands
expect_directive 0
comp model save ''
expect_directive 0
comp model save model.pkl --signature ''
expect_directive 0
comp init ''
expect_no_cands
expect_directive 16
comp -C ''
expect_directive 16
comp deploy create staging models:/churn/1 --target docker -o ''
expect_directive 16
comp run -- ''
expect_no_cands
expect_directive 0
comp run -n x -p lr=1 -- python ''
expect_no_cands
expect_directive 0
comp run -- --
expect_no_cands
expect_directive 0
comp exp create ''
expect_no_cands
expect_directive 4

t "protocol: at most 200 values of a kind"
mkdir -p "$T/big" && cd "$T/big" && must_mlt -q init >/dev/null
must_mlt -q run start -n b --no-git >/dev/null
keys=()
for i in $(seq -w 0 204); do keys+=("k$i=1"); done
must_mlt -q log metric "${keys[@]}" --run b >/dev/null
comp metrics b ''
expect_eq "200 candidates" 200 "$(lines_of "$cands")"
comp metrics b k20
expect_cands k200 k201 k202 k203 k204

# =============================================================================================
# 2. Silence and safety

t "no project: values from a project give nothing (exit 0, no stderr); commands and choices still come"
cd "$T/outside"
for a in "run show ''" "run restore ''" "exp rename ''" "metrics x ''" "run -p ''" "registry show ''" \
  "registry show churn@" "model show models:/" "model show models:/churn@" "model show models:/churn/1" \
  "registry alias churn ''" "data show ''" "data show train@v" "deploy history ''" "deploy rollback staging --to ''" \
  "artifact ls fit ''" "runs -s metrics." "runs -f params."; do
  eval "set -- $a"
  comp "$@"
  expect_no_cands
done
comp reg
expect_cands registry
comp --color ''
expect_cands auto always never
comp model show ''
expect_cands runs:/

# corrupt_copy NAME: a copy of project p in $T/NAME (its directory becomes the working one).
corrupt_copy() {
  rm -rf "${T:?}/$1"
  cp -R "$T/p" "$T/$1"
  cd "$T/$1"
}

# expect_silent_everywhere: the dynamic completions give nothing, exit 0, nothing on stderr.
expect_silent_everywhere() {
  local a
  for a in "run show ''" "run show ${RUN:0:6}" "registry show churn@" "model show models:/churn/1" \
    "data show train@v" "data show ''" "deploy rollback staging --to ''" "artifact ls fit ''" "runs -s metrics." "run -p ''"; do
    local -a w
    eval "w=($a)"
    comp "${w[@]}"
    expect_no_cands
  done
  comp r
  expect_cands run runs registry
}

t "a corrupt database: silence (exit 0, nothing on stderr, no candidates from it)"
corrupt_copy pc
rm -f .mlt/mlt.db-wal .mlt/mlt.db-shm
printf 'this is not an SQLite database, not at all; just text standing in for one.\n%.0s' $(seq 1 100) >.mlt/mlt.db
expect_silent_everywhere

t "a truncated database: silence"
corrupt_copy pt
command -v sqlite3 >/dev/null 2>&1 && sqlite3 .mlt/mlt.db 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
rm -f .mlt/mlt.db-wal .mlt/mlt.db-shm
size=$(wc -c <.mlt/mlt.db)
head -c $((size / 2)) .mlt/mlt.db >.mlt/mlt.db.cut && mv .mlt/mlt.db.cut .mlt/mlt.db
expect_silent_everywhere

t "an unreadable database (a directory in its place; mode 000 when not root): silence"
corrupt_copy pu
rm -f .mlt/mlt.db .mlt/mlt.db-wal .mlt/mlt.db-shm
mkdir .mlt/mlt.db
expect_silent_everywhere
if [ "$(id -u)" != 0 ]; then
  corrupt_copy pm
  chmod 000 .mlt/mlt.db
  expect_silent_everywhere
  chmod 644 .mlt/mlt.db
else
  echo "note: running as root: mode 000 does not stop root; only the directory case was checked"
fi

t "a database with a newer schema: silence, and the schema is left as it was"
if command -v sqlite3 >/dev/null 2>&1; then
  corrupt_copy pn
  sqlite3 .mlt/mlt.db 'PRAGMA user_version = 999' >/dev/null
  before="$(tree_sum .mlt)"
  expect_silent_everywhere
  expect_eq "user_version after completions" 999 "$(sqlite3 .mlt/mlt.db 'PRAGMA user_version')"
  after="$(tree_sum .mlt)"
  expect_same_sum "nothing under .mlt changed" "$before" "$after"
else
  skip "sqlite3 not installed: the newer-schema case is not checked"
fi

t "__complete never writes to the project: every file under .mlt the same, -wal/-shm still there"
cd "$T/p"
"$MLT_BIN" -q runs >/dev/null 2>&1 # a reader first, as a shell session would have had
[ -e .mlt/mlt.db-wal ] || fail "the fixture has a -wal file (mlt leaves it)" "present" "absent"
before="$(tree_sum .mlt)"
many_completions
many_completions
after="$(tree_sum .mlt)"
expect_same_sum "the files under .mlt (paths, sizes, sha256; -shm by size)" "$before" "$after"
cd "$T/outside"
many_completions
[ ! -e "$T/outside/.mlt" ] || fail "no .mlt made outside a project" "no .mlt" "$(ls -a "$T/outside")"

t "__complete on a checkpointed project (no -wal, no -shm) creates neither"
if command -v sqlite3 >/dev/null 2>&1; then
  corrupt_copy pw
  sqlite3 .mlt/mlt.db 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
  if [ -e .mlt/mlt.db-wal ] || [ -e .mlt/mlt.db-shm ]; then
    fail "setup: sqlite3 removed -wal and -shm on close" "absent" "$(ls .mlt)"
  fi
  before="$(tree_sum .mlt)"
  comp run show ''
  expect_cands other fit
  many_completions
  after="$(tree_sum .mlt)"
  expect_same_sum "the files under .mlt" "$before" "$after"
else
  skip "sqlite3 not installed: the checkpointed-project case is not checked"
fi

# =============================================================================================
# 3. bash

t "bash: mlt completion bash is completions/mlt.bash; sourcing it registers _mlt for mlt"
cd "$T/p"
run_mlt completion bash
expect_rc 0
cmp -s "$T/.lib/stdout" "$COMPL/mlt.bash" || fail "mlt completion bash = completions/mlt.bash" "identical" "differs"
# shellcheck disable=SC2016  # $1 is the child's
run_cmd bash -c 'source "$1" && complete -p mlt' _ "$COMPL/mlt.bash"
expect_rc 0
expect_out_eq "complete -F _mlt mlt"
# shellcheck disable=SC2016  # $1 is the child's
run_cmd bash -c 'source <("$1" completion bash) && complete -p mlt' _ "$MLT_BIN"
expect_out_eq "complete -F _mlt mlt"

t "bash: commands, subcommands and flags (descriptions dropped)"
cd "$T/p"
bash_complete "mlt reg"
expect_reply registry
expect_result "mlt registry "
bash_complete "mlt r"
expect_reply run runs registry
expect_result "mlt r"
bash_complete "mlt registry al"
expect_reply alias
bash_complete "mlt "
expect_reply_has init run registry deploy
bash_complete "mlt --c"
expect_reply --color
expect_result "mlt --color "
bash_complete "mlt run show --j"
expect_result "mlt run show --json "
bash_complete "mlt --color=al"
expect_line "words [mlt] [--color] [=] [al]"
expect_result "mlt --color=always "
bash_complete "mlt runs --format "
expect_reply table json csv tsv

t "bash: run names and a run id from its prefix; models, versions, aliases"
cd "$T/p"
bash_complete "mlt run show "
expect_reply other fit
bash_complete "mlt run show ${RUN:0:6}"
expect_reply "$RUN"
expect_result "mlt run show $RUN "
bash_complete "mlt -C ../p run show ${RUN:0:6}"
expect_result "mlt -C ../p run show $RUN "
bash_complete "mlt registry show ch"
expect_result "mlt registry show churn "
bash_complete "mlt registry alias churn "
expect_reply challenger champion
expect_result "mlt registry alias churn cha"
bash_complete "mlt registry alias churn cham"
expect_result "mlt registry alias churn champion "
bash_complete "mlt registry alias churn champion "
expect_reply 2 1
bash_complete "mlt deploy rollback staging --to "
expect_reply 2 1
bash_complete "mlt deploy rollback staging --to=1"
expect_line "words [mlt] [deploy] [rollback] [staging] [--to] [=] [1]"
expect_result "mlt deploy rollback staging --to=1 "

t "bash: models:/ URIs, split by bash at ':' (models : /ch)"
cd "$T/p"
bash_complete "mlt model show models:/ch"
expect_line "words [mlt] [model] [show] [models] [:] [/ch]"
expect_reply /churn
expect_result "mlt model show models:/churn"   # no space: the URI goes on with /VERSION or @ALIAS
bash_complete "mlt model show models:/churn/"
expect_reply /churn/2 /churn/1 /churn/latest /churn/Staging /churn/Production /churn/Archived
bash_complete "mlt model show models:/churn/1"
expect_result "mlt model show models:/churn/1 "
bash_complete "mlt model show runs:/"
expect_reply "/$RUN/model"
expect_result "mlt model show runs:/$RUN/model "

t "bash: NAME@ALIAS words when '@' is not a word break (as the brief had it: models : /churn@)"
cd "$T/p"
BASH_BREAKS=$'"\'><=;|&(:' bash_complete "mlt model show models:/churn@cham"
expect_line "words [mlt] [model] [show] [models] [:] [/churn@cham]"
expect_result "mlt model show models:/churn@champion "
BASH_BREAKS=$'"\'><=;|&(:' bash_complete "mlt registry show churn@"
expect_reply churn@challenger churn@champion
BASH_BREAKS=$'"\'><=;|&(:' bash_complete "mlt data show train@v1"
expect_result "mlt data show train@v1 "

t "bash: NAME@ALIAS, models:/NAME@ALIAS, NAME@vN with bash's own COMP_WORDBREAKS, which has '@'"
cd "$T/p"
bash_complete "mlt registry show churn@cham"
expect_line "words [mlt] [registry] [show] [churn] [@] [cham]"
expect_result "mlt registry show churn@champion "
bash_complete "mlt registry show churn@"
expect_reply challenger champion
bash_complete "mlt model show models:/churn@cham"
expect_line "words [mlt] [model] [show] [models] [:] [/churn] [@] [cham]"
expect_result "mlt model show models:/churn@champion "
bash_complete "mlt data show train@v1"
expect_result "mlt data show train@v1 "
bash_complete "mlt run --input train@l"
expect_result "mlt run --input train@latest "

t "bash: directive 2 asks for nospace (compopt -o nospace), otherwise not"
cd "$T/p"
bash_complete "mlt run -p l"
expect_reply lr=
expect_line "nospace 1"
expect_result "mlt run -p lr="
bash_complete "mlt data show tr"
expect_reply train@
expect_line "nospace 1"
bash_complete "mlt artifact ls fit o"
expect_reply out/
expect_line "nospace 1"
expect_result "mlt artifact ls fit out/"
bash_complete "mlt run show f"
expect_line "nospace 0"

t "bash: file names for a FILE argument, directories for a DIR, files after 'mlt run --'"
cd "$T/p"
bash_complete "mlt log artifact mod"
expect_reply model.pkl
expect_line "filenames 1"
bash_complete "mlt init so"
expect_reply somedir
expect_line "filenames 1"
bash_complete "mlt init "
expect_reply_has somedir out
printf '%s\n' "$out" | grep -q '^reply .*model.pkl' && fail "mlt init offers directories only" "no model.pkl" "offered"
bash_complete "mlt run -- sh mod"
expect_reply model.pkl
bash_complete "mlt exp create "
expect_reply

# =============================================================================================
# 4. zsh

t "zsh: mlt completion zsh is completions/_mlt"
run_mlt completion zsh
expect_rc 0
cmp -s "$T/.lib/stdout" "$COMPL/_mlt" || fail "mlt completion zsh = completions/_mlt" "identical" "differs"

# zpty_complete MODE LINE...: an interactive `zsh -f -i` in a pseudo-terminal, with _mlt from
# $fpath (MODE fpath) or from `source <(mlt completion zsh)` after compinit (MODE source); each
# LINE typed, then TAB, then a key that writes the buffer as "[BUFFER]" to a file. Output: one
# such line per LINE (in $out).
cat >"$T/zpty.zsh" <<'EOF'
zmodload zsh/zpty || exit 3
mode=$1 fdir=$2 res=$3
shift 3
: >$res
zpty z 'zsh -f -i' || exit 4
if [[ $mode == fpath ]]; then
  zpty -w z "fpath=(${(q)fdir} \$fpath); autoload -U compinit; compinit -u -D"
else
  zpty -w z 'autoload -U compinit; compinit -u -D; source <(mlt completion zsh)'
fi
zpty -w z 'bindkey -e; PS1="> "; dumpbuf() { print -r -- "[$BUFFER]" >>'"${(q)res}"'; BUFFER=; }; zle -N dumpbuf; bindkey "^X^P" dumpbuf'
integer n=0 i
for line in "$@"; do
  zpty -n -w z "$line"$'\t'
  zpty -n -w z $'\C-x\C-p'
  (( n++ ))
  for (( i = 0; i < 150; i++ )); do
    (( $(wc -l <$res) >= n )) && break
    sleep 0.1
  done
  (( $(wc -l <$res) >= n )) || { print -r -- "timeout on: $line"; break; }
done
zpty -w z 'exit'
zpty -d z
cat $res
EOF

zpty_complete() {
  local mode=$1
  shift
  mkdir -p "$T/zfpath"
  cp "$COMPL/_mlt" "$T/zfpath/_mlt"
  run_cmd zsh -f "$T/zpty.zsh" "$mode" "$T/zfpath" "$T/zpty.res" "$@"
  last_cmd="zsh (zpty, $mode): $(printf "'%s' " "$@")"
}

if [ "$HAVE_ZSH" = 1 ] && zsh -fc 'zmodload zsh/zpty' 2>/dev/null; then
  t "zsh (zpty, _mlt from fpath): commands, a run id, a model name, an alias, a URI, K= with no space"
  cd "$T/p"
  zpty_complete fpath "mlt reg" "mlt run show ${RUN:0:6}" "mlt registry show ch" "mlt registry alias churn cham" \
    "mlt model show models:/churn@cham" "mlt run -p l" "mlt data show train@v1" "mlt --color=al" \
    "mlt registry alias churn champion 1 --g"
  expect_rc 0
  expect_out_eq "[mlt registry ]
[mlt run show $RUN ]
[mlt registry show churn ]
[mlt registry alias churn champion ]
[mlt model show models:/churn@champion ]
[mlt run -p lr=]
[mlt data show train@v1 ]
[mlt --color=always ]
[mlt registry alias churn champion 1 --git-tag ]"

  t "zsh (zpty, source <(mlt completion zsh)): commands and a run name"
  cd "$T/p"
  zpty_complete source "mlt dep" "mlt run show fi" "mlt deploy rollback staging --to 1"
  expect_rc 0
  expect_out_eq "[mlt deploy ]
[mlt run show fit ]
[mlt deploy rollback staging --to 1 ]"
else
  t "zsh: zpty completion"
  skip "zsh (with zsh/zpty) is not installed: the zsh completion is not checked"
fi

# zsh_capture WORD...: the words of the line (the last the current one), with _mlt called under
# stand-ins for _describe (prints "item ITEM" for each and "opts ARGS"), _files and _path_files.
cat >"$T/zcap.zsh" <<'EOF'
compdef() { print -r -- "compdef $*"; }
_describe() {
  local it
  for it in "${(@P)4}"; do print -r -- "item $it"; done
  print -r -- "opts ${(j: :)${(@qq)@[5,-1]}}"
}
_files() { print -r -- "files $*"; }
_path_files() { print -r -- "path_files $*"; }
source $1 || exit 9
shift
words=("$@")
CURRENT=$#words
_mlt
print -r -- "status $?"
EOF
zsh_capture() {
  run_cmd zsh -f "$T/zcap.zsh" "$COMPL/_mlt" mlt "$@"
  last_cmd="zsh _mlt with words: mlt $(printf "'%s' " "$@")"
}

if [ "$HAVE_ZSH" = 1 ]; then
  t "zsh (captured): items 'value:description' for commands, flags, runs and the model's aliases"
  cd "$T/p"
  zsh_capture reg
  expect_rc 0
  expect_out_eq "compdef _mlt mlt
item registry:Register, version and promote models, with the history of every change.
opts 
status 0"
  zsh_capture --c
  expect_line "item --color:Colour output: auto (on a terminal), always or never."
  zsh_capture run show "${RUN:0:6}"
  expect_line "item $RUN:fit  churn-exp  FINISHED"
  zsh_capture registry show ''
  expect_line "item churn"
  zsh_capture registry alias churn ''
  expect_line "item champion:version 1"
  expect_line "item challenger:version 2"
  zsh_capture registry alias churn champion ''
  expect_line "item 2:None"
  zsh_capture -C ../p run show ''
  expect_line "item fit:${RUN:0:8}  churn-exp  FINISHED"

  t "zsh (captured): ':' in values is escaped; directive 2 passes -S ''; 16 directories; 0 files; 4 nothing"
  cd "$T/p"
  zsh_capture model show models:/churn@
  expect_line 'item models\:/churn@champion:version 1'
  expect_line "opts "
  zsh_capture model show ''
  expect_line 'item models\:/churn'
  expect_line "opts '-S' ''"
  zsh_capture run -p ''
  expect_line "item lr="
  expect_line "opts '-S' ''"
  zsh_capture init ''
  expect_out_eq $'compdef _mlt mlt\npath_files -/\nstatus 0'
  zsh_capture log artifact ''
  expect_out_eq $'compdef _mlt mlt\nfiles \nstatus 0'
  zsh_capture run -- ''
  expect_line "files "
  zsh_capture exp create ''
  expect_out_eq $'compdef _mlt mlt\nstatus 1'
  cd "$T/outside"
  zsh_capture run show ''
  expect_out_eq $'compdef _mlt mlt\nstatus 1'
fi

# =============================================================================================
# 5. fish

# fish_complete LINE: fish's own `complete -C LINE` with completions/mlt.fish loaded (in $out:
# "value<TAB>description" lines, as fish prints them).
fish_complete() {
  # shellcheck disable=SC2016  # fish's $argv
  run_cmd fish --no-config -c 'source $argv[1]; and complete -C $argv[2]' "$COMPL/mlt.fish" "$1"
  last_cmd="fish: complete -C '$1'"
}

if [ "$HAVE_FISH" = 1 ]; then
  t "fish: mlt completion fish is completions/mlt.fish; math bitand works in this fish"
  run_mlt completion fish
  expect_rc 0
  cmp -s "$T/.lib/stdout" "$COMPL/mlt.fish" || fail "mlt completion fish = completions/mlt.fish" "identical" "differs"
  run_cmd fish --no-config -c 'math "bitand(6, 2)"; math "bitand(6, 1)"; math "bitand(16, 16)"'
  expect_rc 0
  expect_out_eq $'2\n0\n16'

  t "fish: commands, flags, choices"
  cd "$T/p"
  fish_complete "mlt reg"
  expect_rc 0
  expect_err_empty
  expect_out_eq $'registry\tRegister, version and promote models, with the history of every change.'
  fish_complete "mlt registry al"
  expect_out_eq $'alias\tPoint ALIAS of model NAME at VERSION (moving it if it points elsewhere).'
  fish_complete "mlt --c"
  expect_out_eq $'--color\tColour output: auto (on a terminal), always or never.'
  fish_complete "mlt --color "
  expect_out_eq $'always\nauto\nnever'
  fish_complete "mlt deploy create staging models:/churn/1 --target k"
  expect_out_eq $'kserve\nkubernetes'

  t "fish: run names and ids, models, versions, aliases, URIs, data refs, K="
  cd "$T/p"
  fish_complete "mlt run show "
  expect_line "fit	${RUN:0:8}  churn-exp  FINISHED"
  expect_line "other	${OTHER:0:8}  Default  FINISHED"
  expect_out_not_contains gone
  fish_complete "mlt run show ${RUN:0:6}"
  expect_out_eq "$RUN	fit  churn-exp  FINISHED"
  fish_complete "mlt registry show "
  expect_out_eq "churn"
  fish_complete "mlt registry show churn@"
  expect_out_eq $'churn@challenger\tversion 2\nchurn@champion\tversion 1'
  fish_complete "mlt registry alias churn "
  expect_out_eq $'challenger\tversion 2\nchampion\tversion 1'
  fish_complete "mlt registry alias churn champion "
  expect_out_eq $'1\tNone\n2\tNone'
  fish_complete "mlt model show models:/churn@cham"
  expect_out_eq $'models:/churn@champion\tversion 1'
  fish_complete "mlt data show train@"
  expect_line "train@latest"
  expect_line $'train@v1\t1 files, 8 bytes'
  fish_complete "mlt run -p "
  expect_out_eq $'depth=\nlr='
  fish_complete "mlt -C ../p registry show "
  expect_out_eq "churn"
  fish_complete "mlt deploy rollback staging --to="
  expect_out_eq $'--to=1\tcreate  models:/churn/1\n--to=2\tcreate  models:/churn/2'
  fish_complete "mlt artifact ls fit out/"
  expect_out_eq $'out/a.txt\t3 bytes\nout/sub/'

  t "fish: directories for a DIR, files for a FILE and after 'mlt run --'; nothing outside a project"
  cd "$T/p"
  fish_complete "mlt init so"
  expect_line $'somedir/\tDirectory'
  fish_complete "mlt init "
  expect_out_not_contains "model.pkl"
  fish_complete "mlt log artifact mod"
  expect_out_contains "model.pkl"
  fish_complete "mlt run -- sh mod"
  expect_out_contains "model.pkl"
  fish_complete "mlt exp create "
  expect_out_empty
  cd "$T/outside"
  fish_complete "mlt run show "
  expect_rc 0
  expect_out_empty
  expect_err_empty
else
  t "fish: complete -C"
  skip "fish is not installed: the fish completion is not checked"
fi

# =============================================================================================
# 6. mlt completion

t "mlt completion: each shell's script is the file of completions/; tcsh, none or two exit 2"
cd "$T/outside"
for pair in bash:mlt.bash zsh:_mlt fish:mlt.fish; do
  run_mlt completion "${pair%%:*}"
  expect_rc 0
  expect_err_empty
  cmp -s "$T/.lib/stdout" "$COMPL/${pair#*:}" || fail "mlt completion ${pair%%:*} = completions/${pair#*:}" "identical" "differs"
done
run_mlt completion tcsh
expect_rc 2
expect_out_empty
expect_err_contains tcsh
run_mlt completion
expect_rc 2
run_mlt completion bash zsh
expect_rc 2
run_mlt --help
expect_out_not_contains __complete

t "bash: names from the project are quoted for the shell (a space, \$(...))"
mkdir -p "$T/q" && cd "$T/q"
must_mlt -q init >/dev/null
must_mlt -q run -n 'x$(touch pwned)' --no-git -- true >/dev/null
must_mlt -q run -n 'my run' --no-git -- true >/dev/null
bash_complete "mlt run show x"
expect_reply 'x\$\(touch\ pwned\)'
bash_complete "mlt run show my"
expect_reply 'my\ run'
[ ! -e pwned ] || fail "no command substitution ran" "no file pwned" "pwned exists"

finish
