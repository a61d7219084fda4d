# t_registry.sh: the model registry: mlt registry create|register|ls|show|alias|unalias|stage|
# history|tag|describe|rm (text and --json), every URI form (runs:/, models:/NAME/VERSION|@ALIAS|
# /STAGE|/latest, a model directory) also in mlt model show|get|verify, the history with a pinned
# clock and --at, --archive-existing, the pre-promote hook (allowing and refusing), git tag
# mirroring (--git-tag, registry.git_tags, outside git), concurrent registrations and alias moves,
# bad input (2), unknown names (4), conflicts (5), tampered models (6), rm and restore.
# shellcheck disable=SC2164  # every cd goes into a directory this suite just created

# lib.sh unsets every MLT_* variable it does not know: keep the fixtures' path (made absolute).
REG_FIXTURES="${MLT_FIXTURES:-}"
[ -n "$REG_FIXTURES" ] && REG_FIXTURES="$(cd "$REG_FIXTURES" 2>/dev/null && pwd -P)"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
if [ -z "$REG_FIXTURES" ] || [ ! -d "$REG_FIXTURES/mlflow/generated-models/sklearn_linreg" ]; then
  lib_die "MLT_FIXTURES is not set to tests/fixtures (CTest sets it; it holds mlflow/generated-models)"
fi

# Copies of the fixture models (nothing here may write into the source tree).
mkdir -p "$T/fx"
cp -R "$REG_FIXTURES/mlflow/generated-models/sklearn_linreg" "$REG_FIXTURES/mlflow/generated-models/pyfunc_minimal" "$T/fx/"
SK="$T/fx/sklearn_linreg"
PF="$T/fx/pyfunc_minimal"
mkdir -p "$T/fx/not_a_model"
printf 'no MLmodel here\n' >"$T/fx/not_a_model/readme.txt"
printf 'weights\n' >"$T/fx/weights.bin"

# at N: the pinned clock N ms after T0_MS, for MLT_NOW_MS.
at() { echo $((T0_MS + $1)); }

# field JSON EXPR: jq -r EXPR of a JSON text.
field() { printf '%s' "$1" | jq -r "$2" 2>/dev/null; }

# json_of ARG...: the stdout of `mlt --json ARG...` (for setup and before/after comparisons).
json_of() { "$MLT_BIN" --json "$@" </dev/null 2>/dev/null 3>&-; }

# events_of NAME: the model's history, one compact JSON line per event.
events_of() { json_of registry history "$1" | jq -c '.events[]' 2>&1; }

# expect_history_unchanged WHAT NAME BEFORE: the history of NAME is still BEFORE (from events_of).
expect_history_unchanged() {
  local now
  now="$(events_of "$2")"
  [ "$now" = "$3" ] ||
    fail "$1" "the history unchanged ($(lines_of "$3") events)" "$(lines_of "$now") events; last: $(printf '%s\n' "$now" | tail -n 1)"
}

new_project p
R=$(must_mlt run start -n r --no-git)
j=$(must_mlt --json model import "$SK")
SK_URI=$(field "$j" .uri)
SK_RUN=$(field "$j" .run)
SK_DIG=$(field "$j" .digest)
j=$(must_mlt --json model import "$PF")
PF_URI=$(field "$j" .uri)
PF_RUN=$(field "$j" .run)
PF_DIG=$(field "$j" .digest)
[ "$SK_DIG" != "$PF_DIG" ] || lib_die "the two fixture models have the same digest"

# ---------------------------------------------------------------------------------------------
t "registry create: prints NAME; -d sets the description; --json; an existing name exits 5"
cd "$T/p"
run_mlt registry create churn -d "Churn prediction"
expect_rc 0
expect_out_eq "churn"
run_mlt --json registry create empty
expect_rc 0
expect_json .name empty
run_mlt --json registry show churn
expect_rc 0
expect_json '[.name, .description, .versions, .aliases, .tags]' '["churn","Churn prediction",[],{},{}]'
run_mlt registry create churn -d "again"
expect_rc 5
expect_err_contains "exists"
run_mlt --json registry show churn
expect_json .description "Churn prediction"

t "invalid model names exit 2 (create, register, show, history) and create nothing"
cd "$T/p"
long="m$(printf 'x%.0s' $(seq 1 128))"      # 129 characters
for n in '-x' '.x' '_x' 'a..b' 'a.' 'x.lock' 'a b' 'a#b' 'a:b' 'caf'$'\xc3\xa9' "$long"; do
  run_mlt registry create -- "$n"
  expect_rc 2
  expect_err_contains "invalid model name"
  run_mlt registry register -- "$SK_URI" "$n"
  expect_rc 2
done
run_mlt registry create ''
expect_rc 2
run_mlt registry show 'a b'
expect_rc 2
run_mlt registry history 'a..b'
expect_rc 2
run_mlt --json registry ls
expect_json '[.models[].name]' '["churn","empty"]'
run_mlt registry create "m$(printf 'x%.0s' $(seq 1 127))"        # 128 characters: fine
expect_rc 0
must_mlt -q registry rm "m$(printf 'x%.0s' $(seq 1 127))" >/dev/null

t "register runs:/RUN/PATH (an imported model): prints 1, then 2; -d and -t are recorded"
cd "$T/p"
run_mlt registry register "$SK_URI" churn -d "first cut" -t team=growth -t data=2024-01
expect_rc 0
expect_out_eq "1"
run_mlt registry register "$PF_URI" churn
expect_rc 0
expect_out_eq "2"
expect_err_not_contains "created registered model"       # it existed (made by create)
run_mlt --json registry show churn/1
expect_rc 0
expect_json '[.version, .description, .tags]' '[1,"first cut",{"data":"2024-01","team":"growth"}]'
expect_json '[.source, .run, .path, .digest]' "[\"$SK_URI\",\"$SK_RUN\",\"model\",\"$SK_DIG\"]"
run_mlt --json registry show churn/2
expect_json '[.source, .digest, .description, .tags]' "[\"$PF_URI\",\"$PF_DIG\",\"\",{}]"
run_mlt registry register "$SK_URI" churn -t noequals
expect_rc 2
run_mlt --json registry show churn
expect_json '[.versions[].version]' '[1,2]'

t "register --json: name, version, uri, stage, aliases, source, run, path, digest, user, created"
cd "$T/p"
run_mlt --json registry register "$SK_URI" fresh -d "v one"
expect_rc 0
expect_json_valid
expect_json '[.name, .version, .uri, .stage, .aliases, .source]' "[\"fresh\",1,\"models:/fresh/1\",\"None\",[],\"$SK_URI\"]"
expect_json '[.run, .path, .digest, .description, .user, .git_commit]' "[\"$SK_RUN\",\"model\",\"$SK_DIG\",\"v one\",\"$USER\",null]"
expect_json '.created_ms | type' number
expect_json '.created | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$")' true
expect_err_contains "created registered model 'fresh'"
MLT_NOW_MS=$(at 123) run_mlt --json registry register "$PF_URI" fresh
expect_json '[.version, .created_ms, .created]' '[2,1700000000123,"2023-11-14T22:13:20.123Z"]'

t "register a model made by 'mlt model save' (runs:/RUN/NAME it printed)"
cd "$T/p"
GEN_URI=$(must_mlt model save "$T/fx/weights.bin" --flavor generic --python 3.11.2 -n gen)
run_mlt registry register "$GEN_URI" saved
expect_rc 0
expect_out_eq "1"
run_mlt --json registry show saved/1
expect_json '[.source, .path]' "[\"$GEN_URI\",\"gen\"]"
run_mlt model verify models:/saved/1
expect_rc 0

t "register a model directory: imported into a new finished run first; --run RUN imports into RUN"
cd "$T/p"
run_mlt registry register "$PF" dirmodel
expect_rc 0
expect_out_eq "1"
expect_err_contains "importing"
run_mlt --json registry show dirmodel/1
expect_json '[.digest, .path]' "[\"$PF_DIG\",\"model\"]"
newrun=$(jq_out .run)
if [ -z "$newrun" ] || [ "$newrun" = "$PF_RUN" ]; then
  fail "a new run holds the import" "a run other than $PF_RUN" "$newrun"
fi
run_mlt --json run show "$newrun"
expect_rc 0
expect_json .status FINISHED
run_mlt --json registry register "$SK" dirmodel --run r
expect_rc 0
expect_json '[.version, .run, .digest]' "[2,\"$R\",\"$SK_DIG\"]"
run_mlt --json model ls --run r
expect_json '[.models[].uri]' "[\"runs:/$R/model\"]"
E=$(must_mlt run start -n envrun --no-git)
MLT_RUN_ID=$E run_mlt --json registry register "$PF" dirmodel      # $MLT_RUN_ID: the run to import into
expect_rc 0
expect_json '[.version, .run]' "[3,\"$E\"]"

t "register models:/NAME/VERSION: a new version of another model pinned to the same package"
cd "$T/p"
run_mlt --json registry register models:/churn/1 churn-copy
expect_rc 0
expect_json '[.version, .source, .digest]' "[1,\"$SK_URI\",\"$SK_DIG\"]"
run_mlt registry register models:/churn@nosuch churn-copy
expect_rc 4
run_mlt registry register models:/churn/99 churn-copy
expect_rc 4
run_mlt --json registry show churn-copy
expect_json '[.versions[].version]' '[1]'

t "show NAME: a table of the versions, newest first; --json; a model without versions"
cd "$T/p"
run_mlt registry show churn
expect_rc 0
expect_out_contains "model:    churn"
expect_out_contains "about:    Churn prediction"
expect_out_match $'VERSION +STAGE +ALIASES +SOURCE +DIGEST +CREATED\n2 +None +- +'"${PF_RUN:0:8}/model +${PF_DIG:7:12}"
expect_out_match $'\n1 +None +- +'"${SK_RUN:0:8}/model +${SK_DIG:7:12}"
run_mlt --json registry show churn
expect_json_valid
expect_json '[.name, [.versions[] | [.version, .uri, .digest]]]' \
  "[\"churn\",[[1,\"models:/churn/1\",\"$SK_DIG\"],[2,\"models:/churn/2\",\"$PF_DIG\"]]]"
run_mlt registry show empty
expect_rc 0
expect_err_contains "no versions"
run_mlt registry show empty/latest
expect_rc 4

t "show NAME/VERSION, NAME@ALIAS, NAME/STAGE, NAME/latest, NAME@latest, NAME@vN (also as models:/...)"
cd "$T/p"
must_mlt -q registry alias churn champion 1 >/dev/null
must_mlt -q registry stage churn 2 Staging >/dev/null
for ref in churn/1 models:/churn/1 churn@champion models:/churn@champion churn@v1 models:/churn@V1 \
  churn/2 churn/staging models:/churn/STAGING churn/latest models:/churn/latest churn@latest models:/churn@LATEST; do
  case "$ref" in *churn/1 | *churn@champion | *churn@v1 | *churn@V1) want=1 ;; *) want=2 ;; esac
  run_mlt --json registry show "$ref"
  expect_rc 0
  expect_json '[.name, .version]' "[\"churn\",$want]"
done
run_mlt registry show churn@champion
expect_rc 0
expect_out_contains "version:  1"
expect_out_contains "uri:      models:/churn/1"
expect_out_contains "aliases:  champion"
expect_out_contains "digest:   $SK_DIG"
expect_out_contains "about:    first cut"
expect_out_contains "tag:      team=growth"
run_mlt registry show churn/production
expect_rc 4
expect_err_contains "Production"

t "ls: every live model with its latest version, aliases and stages (table and --json)"
cd "$T/p"
run_mlt registry ls
expect_rc 0
expect_out_match 'NAME +LATEST +ALIASES +STAGES +UPDATED'
expect_out_match $'\nchurn +v2 +champion=v1 +Staging=v2 +'
expect_out_match $'\nempty +- +- +- +'
run_mlt --json registry ls
expect_rc 0
expect_json '[.models[].name]' '["churn","churn-copy","dirmodel","empty","fresh","saved"]'
expect_json '.models[] | select(.name == "churn") | [.latest_version, .versions, .aliases, .stages, .description]' \
  '[2,2,{"champion":1},{"2":"Staging"},"Churn prediction"]'
expect_json '.models[] | select(.name == "empty") | [.latest_version, .versions]' '[null,0]'
mkdir -p "$T/lsempty"
cd "$T/lsempty"
must_mlt -q init >/dev/null
run_mlt registry ls
expect_rc 0
expect_out_empty
expect_err_contains "no registered models"
run_mlt --json registry ls
expect_json . '{"models":[]}'

t "alias: sets, moves (previous_version), takes vN; unalias removes it (--json)"
cd "$T/p"
run_mlt --json registry alias churn best 2
expect_rc 0
expect_json '[.name, .alias, .version, .previous_version]' '["churn","best",2,null]'
run_mlt --json registry alias churn best v1
expect_rc 0
expect_json '[.version, .previous_version]' '[1,2]'
run_mlt registry alias churn best 2
expect_rc 0
expect_out_empty
expect_err_contains "v1 -> v2"
run_mlt --json registry show churn/2
expect_json .aliases '["best"]'
run_mlt --json registry unalias churn best
expect_rc 0
expect_json '[.name, .alias, .previous_version]' '["churn","best",2]'
run_mlt registry show churn@best
expect_rc 4
run_mlt registry unalias churn best
expect_rc 4
run_mlt --json registry show churn
expect_json .aliases '{"champion":1}'

t "stage: any case; NAME/STAGE is the highest version in it; --archive-existing archives the others"
cd "$T/p"
for i in 1 2 3 4; do must_mlt -q registry register "$SK_URI" staged >/dev/null; done
run_mlt --json registry stage staged 1 production
expect_rc 0
expect_json '[.name, .version, .stage, .previous_stage, .archived]' '["staged",1,"Production","None",[]]'
run_mlt registry stage staged 2 PRODUCTION
expect_rc 0
expect_err_contains "None -> Production"
run_mlt --json registry show staged/production
expect_json .version 2
run_mlt --json registry stage staged 3 Production --archive-existing
expect_rc 0
expect_json '[.previous_stage, .archived]' '["None",[1,2]]'
run_mlt --json registry show staged
expect_json '[.versions[] | [.version, .stage]]' '[[1,"Archived"],[2,"Archived"],[3,"Production"],[4,"None"]]'
run_mlt registry stage staged 4 staging --archive-existing          # nothing in Staging: nothing archived
expect_rc 0
run_mlt --json registry stage staged 4 Production --archive-existing
expect_json '[.previous_stage, .archived]' '["Staging",[3]]'
run_mlt --json registry show staged/production
expect_json .version 4
run_mlt --json registry show staged/archived
expect_json .version 3
run_mlt --json registry stage staged 3 None
expect_json '[.stage, .previous_stage]' '["None","Archived"]'
run_mlt --json registry ls
expect_json '.models[] | select(.name == "staged") | .stages' '{"1":"Archived","2":"Archived","4":"Production"}'

t "tag and describe: on the model and on one version, recorded in show and history"
cd "$T/p"
run_mlt registry tag churn owner=ml-team
expect_rc 0
run_mlt registry tag churn/2 validated=yes
expect_rc 0
run_mlt registry tag churn/2 validated=no
expect_rc 0
run_mlt registry describe churn "Predicts churn"
expect_rc 0
run_mlt registry describe churn/2 "the pyfunc one"
expect_rc 0
run_mlt --json registry show churn
expect_json '[.description, .tags]' '["Predicts churn",{"owner":"ml-team"}]'
expect_json '.versions[] | select(.version == 2) | [.description, .tags]' '["the pyfunc one",{"validated":"no"}]'
expect_json '.versions[] | select(.version == 1) | .tags' '{"data":"2024-01","team":"growth"}'
run_mlt --json registry history churn
expect_json '[.events[] | select(.action == "tag") | [.version, .target, .from, .to]]' \
  '[[null,"owner",null,"ml-team"],[2,"validated",null,"yes"],[2,"validated","yes","no"]]'
expect_json '[.events[] | select(.action == "describe") | [.version, .from, .to]]' \
  '[[null,"Churn prediction","Predicts churn"],[2,"","the pyfunc one"]]'
run_mlt registry tag churn/9 a=b
expect_rc 4
run_mlt registry tag churn@champion a=b
expect_rc 2
run_mlt registry tag churn notakv
expect_rc 2
run_mlt registry describe nosuch "x"
expect_rc 4

t "tag, describe and rm with --json print one JSON document (CLI.md: --json)"
cd "$T/p"
must_mlt -q registry register "$SK_URI" jsonout >/dev/null
must_mlt -q registry register "$SK_URI" jsonout >/dev/null
run_mlt --json registry tag jsonout/1 k=v
expect_rc 0
expect_json_valid
expect_json '[.name, .version]' '["jsonout",1]'
run_mlt --json registry tag jsonout team=x
expect_rc 0
expect_json_valid
expect_json '[.name, .version]' '["jsonout",null]'
run_mlt --json registry describe jsonout "text"
expect_rc 0
expect_json_valid
expect_json .name jsonout
run_mlt --json registry rm jsonout/2
expect_rc 0
expect_json_valid
expect_json '[.name, .version]' '["jsonout",2]'
run_mlt --json registry rm jsonout
expect_rc 0
expect_json_valid
expect_json '[.name, .version]' '["jsonout",null]'

t "models:/ URIs in mlt model show, get and verify: /VERSION, @ALIAS, /STAGE, /latest"
cd "$T/p"
for ref in models:/churn/1 models:/churn@champion models:/churn/staging models:/churn/latest; do
  case "$ref" in */1 | *@champion) want="$SK_DIG" ;; *) want="$PF_DIG" ;; esac
  run_mlt --json model show "$ref"
  expect_rc 0
  expect_json .digest "$want"
  run_mlt model verify "$ref"
  expect_rc 0
done
mkdir -p "$T/p/get"
cd "$T/p/get"
run_mlt model get models:/churn@champion -o champ --no-digests
expect_rc 0
d="$(diff -r "$SK" "$T/p/get/champ" 2>&1)" || fail "model get models:/churn@champion --no-digests equals the fixture" "no differences" "$d"
run_mlt model get models:/churn/latest -o latest
expect_rc 0
d="$(diff -r -x MLmodel "$PF" "$T/p/get/latest" 2>&1)" || fail "model get models:/churn/latest equals the fixture (MLmodel aside)" "no differences" "$d"
run_mlt model get models:/churn@nosuch -o none
expect_rc 4
[ -e none ] && fail "nothing written for an unknown alias" "no ./none" "$(ls -ld none)"
run_mlt model show models:/churn/7
expect_rc 4
run_mlt model verify models:/nosuch/latest
expect_rc 4
run_mlt model show models:/churn/production
expect_rc 4

# ---------------------------------------------------------------------------------------------
# A model with a pinned history: T0+1000 create ... T0+9000 unalias.
cd "$T/p"
MLT_NOW_MS=$(at 1000) must_mlt -q registry create hist -d "history" >/dev/null
MLT_NOW_MS=$(at 2000) must_mlt -q registry register "$SK_URI" hist >/dev/null
MLT_NOW_MS=$(at 3000) must_mlt -q registry alias hist champion 1 >/dev/null
MLT_NOW_MS=$(at 4000) must_mlt -q registry register "$PF_URI" hist >/dev/null
MLT_NOW_MS=$(at 5000) USER=alice must_mlt -q registry alias hist champion 2 >/dev/null
MLT_NOW_MS=$(at 6000) USER=bob must_mlt -q registry stage hist 2 Production >/dev/null
MLT_NOW_MS=$(at 7000) USER=bob must_mlt -q registry stage hist 1 Staging >/dev/null
MLT_NOW_MS=$(at 8000) must_mlt -q registry stage hist 1 Production --archive-existing >/dev/null
MLT_NOW_MS=$(at 9000) must_mlt -q registry unalias hist champion >/dev/null

t "history: every change in order, with the pinned times, the user (\$USER), action and what"
cd "$T/p"
run_mlt --json registry history hist
expect_rc 0
expect_json '[.events[] | [.time_ms, .user, .action, .version, .target, .from, .to]]' "$(jq -nc \
  --arg sk "$SK_URI" --arg skd "$SK_DIG" --arg pf "$PF_URI" --arg pfd "$PF_DIG" '[
  [1700000001000,"mlt-tester","create",null,null,null,"history"],
  [1700000002000,"mlt-tester","register",1,$sk,null,$skd],
  [1700000003000,"mlt-tester","alias",1,"champion",null,"1"],
  [1700000004000,"mlt-tester","register",2,$pf,null,$pfd],
  [1700000005000,"alice","alias",2,"champion","1","2"],
  [1700000006000,"bob","stage",2,"stage","None","Production"],
  [1700000007000,"bob","stage",1,"stage","None","Staging"],
  [1700000008000,"mlt-tester","stage",1,"stage","Staging","Production"],
  [1700000008000,"mlt-tester","stage",2,"stage","Production","Archived"],
  [1700000009000,"mlt-tester","unalias",2,"champion","2",null]]')"
expect_json '.events | .[0].time' "2023-11-14T22:13:21.000Z"
expect_json '[.events[].id] | . == (sort | unique)' true          # ids ascending, in the order of the changes
run_mlt registry history hist
expect_rc 0
expect_out_match '^TIME +USER +ACTION +WHAT'
expect_out_match $'\n2023-11-14 22:13:21 UTC +mlt-tester +create'
expect_out_match $'\n2023-11-14 22:13:22 UTC +mlt-tester +register +v1 from '"$SK_URI \\($SK_DIG\\)"
expect_out_match $'\n2023-11-14 22:13:23 UTC +mlt-tester +alias +champion -> v1\n'
expect_out_match $'\n2023-11-14 22:13:25 UTC +alice +alias +champion: v1 -> v2\n'
expect_out_match $'\n2023-11-14 22:13:26 UTC +bob +stage +v2: None -> Production\n'
expect_out_match $'\n2023-11-14 22:13:28 UTC +mlt-tester +stage +v2: Production -> Archived\n'
expect_out_match $'\n2023-11-14 22:13:29 UTC +mlt-tester +unalias +champion \\(was v2\\)$'
expect_out_lines 11
run_mlt registry history nosuch
expect_rc 4

t "history --at: the aliases and stages as they were at a past time (ms, RFC 3339, date)"
cd "$T/p"
run_mlt --json registry history hist --at "$(at 1500)"
expect_rc 0
expect_json '[.name, .at_ms, .aliases, .versions]' '["hist",1700000001500,{},[]]'
run_mlt --json registry history hist --at "$(at 3500)"
expect_json '[.aliases, .versions]' '[{"champion":1},[{"version":1,"stage":"None"}]]'
run_mlt --json registry history hist --at "$(at 5000)"          # an event at exactly TIME counts
expect_json '[.aliases, .versions]' '[{"champion":2},[{"version":1,"stage":"None"},{"version":2,"stage":"None"}]]'
run_mlt --json registry history hist --at 2023-11-14T22:13:26.500Z
expect_json '[.at_ms, .aliases, .versions]' '[1700000006500,{"champion":2},[{"version":1,"stage":"None"},{"version":2,"stage":"Production"}]]'
run_mlt --json registry history hist --at "$(at 8500)"
expect_json '[.aliases, .versions]' '[{"champion":2},[{"version":1,"stage":"Production"},{"version":2,"stage":"Archived"}]]'
run_mlt --json registry history hist --at "$(at 99000)"
expect_json '[.aliases, .versions]' '[{},[{"version":1,"stage":"Production"},{"version":2,"stage":"Archived"}]]'
run_mlt --json registry history hist --at 2023-11-14
expect_json '[.at_ms, .versions]' '[1699920000000,[]]'
run_mlt registry history hist --at "$(at 6500)"
expect_rc 0
expect_out_contains "hist as of 2023-11-14T22:13:26.500Z"
expect_out_match $'VERSION +STAGE +ALIASES\n2 +Production +champion\n1 +None +-'
run_mlt registry history hist --at "$(at 500)"
expect_rc 0
expect_err_contains "no versions"

t "show NAME@ALIAS|NAME/STAGE|NAME/VERSION --at TIME: the version it named then; none yet -> 4"
cd "$T/p"
run_mlt --json registry show hist@champion --at "$(at 3500)"
expect_rc 0
expect_json '[.version, .digest, .at_ms]' "[1,\"$SK_DIG\",1700000003500]"
run_mlt --json registry show models:/hist@champion --at "$(at 5500)"
expect_json .version 2
run_mlt registry show hist@champion --at 2023-11-14T22:13:23Z
expect_rc 0
expect_out_contains "as of:    2023-11-14T22:13:23.000Z"
expect_out_contains "version:  1"
run_mlt registry show hist@champion --at "$(at 2500)"             # before the alias existed
expect_rc 4
expect_out_empty
expect_err_contains "champion"
run_mlt registry show hist@champion --at "$(at 9500)"             # after unalias
expect_rc 4
run_mlt registry show hist@champion                               # now: no such alias
expect_rc 4
run_mlt --json registry show hist/production --at "$(at 6500)"
expect_json .version 2
run_mlt --json registry show hist/production --at "$(at 8500)"
expect_json .version 1
run_mlt --json registry show hist/staging --at "$(at 7500)"
expect_json .version 1
run_mlt registry show hist/staging --at "$(at 8500)"
expect_rc 4
run_mlt registry show hist/production --at "$(at 5500)"
expect_rc 4
run_mlt --json registry show hist/latest --at "$(at 3500)"
expect_json .version 1
run_mlt --json registry show hist --at "$(at 4500)"
expect_json .version 2
run_mlt registry show hist/2 --at "$(at 3500)"                    # v2 was registered at T0+4000
expect_rc 4
run_mlt registry show hist/latest --at "$(at 1500)"
expect_rc 4

t "--at that is not a time exits 2"
cd "$T/p"
for bad in yesterday 2023-13-45 12:00 ''; do
  run_mlt registry show hist@champion --at "$bad"
  [ -z "$bad" ] && continue        # an empty --at is 'no --at' or a usage error; either is fine
  expect_rc 2
  expect_err_contains "--at"
  run_mlt registry history hist --at "$bad"
  expect_rc 2
done

# ---------------------------------------------------------------------------------------------
# The pre-promote hook: records its environment, prints a line, refuses TARGET 'blocked' and any
# change while $T/hook.deny exists.
mkdir -p "$T/hk"
cd "$T/hk"
must_mlt -q init >/dev/null
HK_URI=$(must_mlt model import "$SK")
must_mlt -q registry register "$HK_URI" hm >/dev/null
must_mlt -q registry register "$HK_URI" hm >/dev/null
mkdir -p "$T/hk/.mlt/hooks"
cat >"$T/hk/.mlt/hooks/pre-promote" <<EOF
#!/bin/sh
env | grep '^MLT_' | sort >"$T/hookenv.\$MLT_ACTION"
echo "hook: \$MLT_ACTION \$MLT_TARGET of \$MLT_MODEL v\$MLT_VERSION"
if [ "\$MLT_TARGET" = blocked ] || [ -e "$T/hook.deny" ]; then
  echo "policy: \$MLT_MODEL_URI may not become \$MLT_TARGET" >&2
  exit 3
fi
exit 0
EOF
chmod +x "$T/hk/.mlt/hooks/pre-promote"
HK_RUN=$(field "$(json_of registry show hm/1)" .run)
HK_DIG=$(field "$(json_of registry show hm/1)" .digest)

# hook_env ACTION VAR: VAR's value as the hook saw it for ACTION ("(unset)" when it was not set).
hook_env() {
  local line
  line=$(grep "^$2=" "$T/hookenv.$1" 2>/dev/null) || { echo "(unset)"; return; }
  echo "${line#*=}"
}

t "pre-promote hook: alias, stage and unalias run it with the MLT_* variables; its output on stderr"
cd "$T/hk"
rm -f "$T"/hookenv.*
run_mlt registry alias hm prod 2
expect_rc 0
expect_out_empty
expect_err_contains "hook: alias prod of hm v2"
for kv in MLT_MODEL=hm MLT_VERSION=2 MLT_RUN_ID="$HK_RUN" MLT_ACTION=alias MLT_TARGET=prod MLT_ALIAS=prod \
  MLT_MODEL_URI=models:/hm/2 MLT_MODEL_DIGEST="$HK_DIG" MLT_STAGE="(unset)"; do
  expect_eq "alias hook: ${kv%%=*}" "${kv#*=}" "$(hook_env alias "${kv%%=*}")"
done
run_mlt registry stage hm 1 staging
expect_rc 0
expect_out_empty
expect_err_contains "hook: stage Staging of hm v1"
for kv in MLT_MODEL=hm MLT_VERSION=1 MLT_RUN_ID="$HK_RUN" MLT_ACTION=stage MLT_TARGET=Staging MLT_STAGE=Staging \
  MLT_MODEL_URI=models:/hm/1 MLT_MODEL_DIGEST="$HK_DIG" MLT_ALIAS="(unset)"; do
  expect_eq "stage hook: ${kv%%=*}" "${kv#*=}" "$(hook_env stage "${kv%%=*}")"
done
run_mlt registry unalias hm prod
expect_rc 0
for kv in MLT_MODEL=hm MLT_VERSION=2 MLT_ACTION=unalias MLT_TARGET=prod MLT_ALIAS=prod MLT_MODEL_URI=models:/hm/2; do
  expect_eq "unalias hook: ${kv%%=*}" "${kv#*=}" "$(hook_env unalias "${kv%%=*}")"
done
run_mlt --json registry alias hm prod 1
expect_rc 0
expect_json_valid
expect_json .version 1
expect_err_contains "hook: alias prod"
run_mlt --json registry show hm
expect_json '[.aliases, [.versions[] | .stage]]' '[{"prod":1},["Staging","None"]]'

t "pre-promote hook refusing: exit 1, the hook's output on stderr, nothing changed (state, history)"
cd "$T/hk"
before_hist="$(events_of hm)"
before_show="$(json_of registry show hm)"
run_mlt registry alias hm blocked 1
expect_rc 1
expect_out_empty
expect_err_contains "hook: alias blocked of hm v1"
expect_err_contains "policy: models:/hm/1 may not become blocked"
expect_err_contains "pre-promote"
touch "$T/hook.deny"
run_mlt registry alias hm prod 2
expect_rc 1
expect_err_contains "policy: models:/hm/2 may not become prod"
run_mlt registry stage hm 2 production --archive-existing
expect_rc 1
expect_err_contains "policy: models:/hm/2 may not become Production"
run_mlt registry unalias hm prod
expect_rc 1
run_mlt --json registry stage hm 1 none
expect_rc 1
expect_out_empty
expect_err_contains "policy: models:/hm/1 may not become None"
# the hook's lines come first; the last line of stderr is the JSON error
expect_eq "the JSON error after the hook's output" 1 "$(tail -n 1 "$T/.lib/stderr" | jq -r .error.code 2>&1)"
rm -f "$T/hook.deny"
expect_history_unchanged "history after refused changes" hm "$before_hist"
expect_eq "registry show hm after refused changes" "$before_show" "$(json_of registry show hm)"
run_mlt registry show hm@blocked
expect_rc 4

t "unalias of a reserved alias ('latest', 'v1') exits 2 without running the hook"
cd "$T/hk"
before_hist="$(events_of hm)"
for a in latest v1 V2; do
  rm -f "$T/hookenv.unalias"
  run_mlt registry unalias hm "$a"
  expect_rc 2
  expect_err_contains "reserved"
  expect_err_not_contains "hook:"
  [ -e "$T/hookenv.unalias" ] && fail "no pre-promote hook for 'unalias hm $a'" "the hook not run" "it ran: $(tr '\n' ' ' <"$T/hookenv.unalias")"
done
expect_history_unchanged "history after unalias of reserved aliases" hm "$before_hist"

t "pre-promote hook: not executable -> skipped with a warning, the change is made"
cd "$T/hk"
chmod -x "$T/hk/.mlt/hooks/pre-promote"
run_mlt registry alias hm blocked 1
expect_rc 0
expect_err_contains "warning"
expect_err_contains "pre-promote"
expect_err_not_contains "hook: alias"
run_mlt --json registry show hm@blocked
expect_json .version 1
chmod +x "$T/hk/.mlt/hooks/pre-promote"

# ---------------------------------------------------------------------------------------------
# git: a repository with a commit C1 (where the run was started) and a later commit C2 (HEAD).
have_git=0
command -v git >/dev/null 2>&1 && have_git=1
if [ "$have_git" = 1 ]; then
  mkdir -p "$T/g"
  cd "$T/g"
  git init -q . && git config user.name "Repo User" && git config user.email repo@example.com
  printf 'a\n' >code.py && git add code.py && git commit -q -m one
  C1=$(git rev-parse HEAD)
  must_mlt -q init >/dev/null
  G1=$(must_mlt run start -n gitrun1)
  printf 'b\n' >>code.py && git commit -q -am two
  C2=$(git rev-parse HEAD)
  G2=$(must_mlt run start -n gitrun2)
  GM1=$(must_mlt model import "$SK" --run gitrun1)
  GM2=$(must_mlt model import "$PF" --run gitrun2)
else
  echo "note: git not installed; git cases skipped"
fi

# expect_tag TAG COMMIT TEXT...: TAG is an annotated tag on COMMIT whose message holds each TEXT.
expect_tag() {
  local tag="$1" commit="$2" msg
  shift 2
  run_cmd git cat-file -t "$tag"
  expect_rc 0
  expect_out_eq "tag"
  run_cmd git rev-parse "$tag^{commit}"
  expect_out_eq "$commit"
  run_cmd git tag -l --format='%(contents)' "$tag"
  msg="$out"
  for text in "$@"; do
    case "$msg" in *"$text"*) ;; *) fail "the message of tag $tag mentions '$text'" "$text" "$msg" ;; esac
  done
}

t "git tags: register, alias and stage --git-tag: annotated tags on the run's commit, URI and digest"
if [ "$have_git" = 1 ]; then
  cd "$T/g"
  run_mlt registry register "$GM1" gm --git-tag
  expect_rc 0
  expect_out_eq "1"
  expect_err_contains "gm@v1.0.0"
  run_mlt --json registry show gm/1
  expect_json '[.git_commit, .run]' "[\"$C1\",\"$G1\"]"
  expect_tag gm@v1.0.0 "$C1" "models:/gm/1" "$SK_DIG" "$GM1"
  run_mlt --json registry register "$GM2" gm --git-tag
  expect_rc 0
  expect_json '[.version, .git_commit, .run]' "[2,\"$C2\",\"$G2\"]"
  expect_tag gm@v2.0.0 "$C2" "models:/gm/2" "$PF_DIG"
  run_mlt registry alias gm prod 1 --git-tag
  expect_rc 0
  expect_tag 'gm#prod#1' "$C1" "models:/gm/1" "$SK_DIG" "prod"
  run_mlt registry stage gm 1 production --git-tag
  expect_rc 0
  expect_tag 'gm#production#1' "$C1" "models:/gm/1" "$SK_DIG" "Production"
  run_mlt registry alias gm prod 2 --git-tag                # the second assignment of prod
  expect_rc 0
  expect_tag 'gm#prod#2' "$C2" "models:/gm/2" "$PF_DIG"
  run_mlt registry stage gm 2 Production --archive-existing --git-tag
  expect_rc 0
  expect_tag 'gm#production#2' "$C2" "models:/gm/2" "$PF_DIG"
  run_cmd git tag -l
  expect_eq "every tag" "$(printf '%s\n' 'gm#prod#1' 'gm#prod#2' 'gm#production#1' 'gm#production#2' gm@v1.0.0 gm@v2.0.0)" "$out"
  run_cmd git status --porcelain --untracked-files=no
  expect_out_empty
  expect_eq "HEAD unchanged" "$C2" "$(git rev-parse HEAD)"
fi

t "git tags: none without --git-tag; registry.git_tags: true in .mlt/config.yaml tags without it"
if [ "$have_git" = 1 ]; then
  cd "$T/g"
  tags_before="$(git tag -l)"
  run_mlt registry register "$GM1" gm
  expect_rc 0
  expect_out_eq "3"
  run_mlt registry alias gm noflag 3
  expect_rc 0
  expect_eq "tags after changes without --git-tag" "$tags_before" "$(git tag -l)"
  MLT_REGISTRY_GIT_TAGS=true run_mlt registry alias gm viaenv 3
  expect_rc 0
  expect_tag 'gm#viaenv#1' "$C1" "models:/gm/3"
  printf 'registry:\n  git_tags: true\n' >>"$T/g/.mlt/config.yaml"
  tags_before="$(git tag -l)"
  MLT_REGISTRY_GIT_TAGS=false run_mlt registry alias gm envoff 3     # the environment beats the file
  expect_rc 0
  expect_eq "tags after MLT_REGISTRY_GIT_TAGS=false" "$tags_before" "$(git tag -l)"
  run_mlt registry register "$GM1" gm
  expect_rc 0
  expect_out_eq "4"
  expect_tag gm@v4.0.0 "$C1" "models:/gm/4" "$SK_DIG"
  run_mlt registry alias gm viaconfig 4
  expect_rc 0
  expect_tag 'gm#viaconfig#1' "$C1" "models:/gm/4"
  run_mlt registry stage gm 4 staging
  expect_rc 0
  expect_tag 'gm#staging#1' "$C1" "models:/gm/4"
fi

t "git tags: an alias named like a stage ('production') still gets a tag of its own"
if [ "$have_git" = 1 ]; then
  cd "$T/g"
  n_before=$(git tag -l | wc -l)
  run_mlt registry alias gm production 1 --git-tag
  expect_rc 0
  expect_err_not_contains "no git tag"
  expect_eq "tags after 'alias gm production 1 --git-tag'" $((n_before + 1)) "$(git tag -l | wc -l)"
fi

t "git tags: 16 parallel 'alias --git-tag' moves of one alias: 16 tags NAME#ALIAS#1..16, none lost"
if [ "$have_git" = 1 ]; then
  cd "$T/g"
  mkdir -p "$T/gconc"
  pids=()
  for i in $(seq 1 16); do
    "$MLT_BIN" registry alias gm racy $((i % 2 + 1)) --git-tag </dev/null >/dev/null 2>"$T/gconc/err.$i" 3>&- &
    pids+=($!)
    track_bg $!
  done
  bad=0
  for pid in "${pids[@]}"; do wait "$pid" || bad=$((bad + 1)); done
  last_cmd="16 x mlt registry alias gm racy 1|2 --git-tag (concurrently)"
  out="" err="$(cat "$T"/gconc/err.*)" rc=""
  expect_eq "alias moves that exited non-zero" 0 "$bad"
  expect_err_not_contains "no git tag"
  expect_eq "tags gm#racy#N" "$(seq 1 16 | tr '\n' ' ')" "$(git tag -l 'gm#racy#*' | sed 's/.*#//' | sort -n | tr '\n' ' ')"
  run_mlt --json registry history gm
  expect_json '[.events[] | select(.action == "alias" and .target == "racy")] | length' 16
fi

t "--git-tag in a project outside git: a warning, the version is still registered (exit 0)"
if git -C "$T" rev-parse --git-dir >/dev/null 2>&1; then
  echo "note: the scratch directory is inside a git repository; case skipped"
else
  cd "$T/p"
  run_mlt registry register "$SK_URI" nogit --git-tag
  expect_rc 0
  expect_out_eq "1"
  expect_err_contains "warning"
  expect_err_contains "git"
  run_mlt registry alias nogit prod 1 --git-tag
  expect_rc 0
  expect_err_contains "warning"
  run_mlt registry stage nogit 1 production --git-tag
  expect_rc 0
  run_mlt --json registry show nogit/1
  expect_json '[.git_commit, .aliases, .stage]' '[null,["prod"],"Production"]'
fi

# ---------------------------------------------------------------------------------------------
t "concurrency: 16 parallel 'registry register' of one URI get exactly versions 1..16"
cd "$T/p"
mkdir -p "$T/conc"
pids=()
for i in $(seq 1 16); do
  "$MLT_BIN" registry register "$SK_URI" conc </dev/null >"$T/conc/out.$i" 2>"$T/conc/err.$i" 3>&- &
  pids+=($!)
  track_bg $!
done
bad=0
for pid in "${pids[@]}"; do wait "$pid" || bad=$((bad + 1)); done
last_cmd="16 x mlt registry register $SK_URI conc (concurrently)"
out="$(cat "$T"/conc/out.*)" err="$(cat "$T"/conc/err.*)" rc=""
expect_eq "registrations that exited non-zero" 0 "$bad"
expect_err_not_contains "locked"
expect_eq "version numbers printed" "$(seq 1 16 | tr '\n' ' ')" "$(sort -n "$T"/conc/out.* | tr '\n' ' ')"
run_mlt --json registry show conc
expect_json '[.versions[].version]' "$(seq 1 16 | jq -sc .)"
expect_json '[.versions[].digest] | unique' "[\"$SK_DIG\"]"
run_mlt --json registry history conc
expect_json '[.events[] | select(.action == "create")] | length' 1
expect_json '[.events[] | select(.action == "register") | .version] | sort' "$(seq 1 16 | jq -sc .)"

t "concurrency: 8 parallel alias moves of one alias: 8 alias events, each from the previous one"
cd "$T/p"
pids=()
for i in $(seq 1 8); do
  "$MLT_BIN" registry alias conc champ "$i" </dev/null >/dev/null 2>"$T/conc/aerr.$i" 3>&- &
  pids+=($!)
  track_bg $!
done
bad=0
for pid in "${pids[@]}"; do wait "$pid" || bad=$((bad + 1)); done
last_cmd="8 x mlt registry alias conc champ N (concurrently)"
out="" err="$(cat "$T"/conc/aerr.*)" rc=""
expect_eq "alias moves that exited non-zero" 0 "$bad"
expect_err_not_contains "locked"
run_mlt --json registry history conc
expect_json '[.events[] | select(.action == "alias" and .target == "champ")] | length' 8
expect_json '[.events[] | select(.action == "alias") | .to | tonumber] | sort' '[1,2,3,4,5,6,7,8]'
# serialized: every move starts where the one before it ended
# shellcheck disable=SC2016  # $i is a jq variable
expect_json '[.events[] | select(.action == "alias")] | [.[0].from] + [range(1; length) as $i | .[$i].from == .[$i - 1].to]' \
  '[null,true,true,true,true,true,true,true]'
last_to="$(jq_out '[.events[] | select(.action == "alias")] | last | .to')"
run_mlt --json registry show conc@champ
expect_json .version "$last_to"

# ---------------------------------------------------------------------------------------------
t "bad input exits 2: reserved aliases, bad aliases, bad stage, bad version, bad reference"
cd "$T/p"
before_hist="$(events_of churn)"
for a in latest LATEST Latest v3 V3 v0 'a.b' 'a b' 'a@b' ''; do
  run_mlt registry alias churn "$a" 1
  expect_rc 2
done
run_mlt registry alias churn latest 1
expect_err_contains "reserved"
for s in prod live 'Production2' ''; do
  run_mlt registry stage churn 1 "$s"
  expect_rc 2
done
run_mlt registry stage churn 1 prod
expect_err_contains "unknown stage 'prod'"
for v in 0 -1 abc 1.5 v ''; do
  run_mlt registry alias churn ok "$v"
  expect_rc 2
  run_mlt registry stage churn "$v" Staging
  expect_rc 2
done
for ref in 'churn/prod' 'churn/0' 'churn@' 'churn/1/2' '/1' '@a' 'models:/' 'churn@v0' 'churn@a.b'; do
  run_mlt registry show "$ref"
  expect_rc 2
done
run_mlt registry show churn/prod
expect_err_contains "invalid model reference"
run_mlt registry rm churn@champion
expect_rc 2
expect_history_unchanged "history of churn after bad input" churn "$before_hist"

t "unknown model, version or alias exits 4"
cd "$T/p"
for c in "show nosuch" "show nosuch/1" "show nosuch@a" "history nosuch" "alias nosuch a 1" "unalias nosuch a" \
  "stage nosuch 1 Staging" "tag nosuch k=v" "describe nosuch x" "rm nosuch" "rm nosuch/1" \
  "show churn/99" "show churn@nosuch" "alias churn a 99" "stage churn 99 Staging" "unalias churn nosuch" \
  "tag churn/99 k=v" "describe churn/99 x" "rm churn/99"; do
  # shellcheck disable=SC2086  # the words of $c are the arguments
  run_mlt registry $c
  expect_rc 4
done
run_mlt --json registry show churn/99
expect_rc 4
expect_err_json .error.code 4
expect_err_json '.error.message | contains("99")' true

t "register what is not a model exits 2 and says why; nothing registered, no run left behind"
cd "$T/p"
printf 'just text\n' >"$T/plain.txt"
must_mlt -q log artifact --run r "$T/plain.txt" >/dev/null
runs_before=$(json_of runs | jq '.runs | length')
run_mlt registry register "runs:/$R/plain.txt" notmodel
expect_rc 2
expect_err_contains "not a model"
run_mlt registry register "runs:/r/plain.txt" notmodel
expect_rc 2
run_mlt registry register "$T/fx/not_a_model" notmodel
expect_rc 2
expect_err_contains "MLmodel"
run_mlt registry register "$T/fx/weights.bin" notmodel
expect_rc 2
run_mlt registry register "$T/fx/no-such-dir" notmodel       # a missing source, as in log artifact: 2
expect_rc 2
expect_err_contains "no-such-dir"
run_mlt registry register "runs:/$R/no/such/path" notmodel
expect_rc 4
run_mlt registry register "runs:/nosuchrun/model" notmodel
expect_rc 4
run_mlt registry show notmodel
expect_rc 4
expect_eq "runs after failed registrations" "$runs_before" "$(json_of runs | jq '.runs | length')"

t "registering a tampered model exits 6 and registers nothing; models:/ of it no longer verifies"
mkdir -p "$T/tp"
cd "$T/tp"
must_mlt -q init >/dev/null
TP_URI=$(must_mlt model import "$SK")
must_mlt -q registry register "$TP_URI" good >/dev/null
h=$(sha256sum <"$SK/model.pkl" | cut -c1-64)
obj="$T/tp/.mlt/objects/${h:0:2}/${h:2}"
if [ -f "$obj" ]; then
  chmod u+w "$obj"
  size=$(wc -c <"$obj")
  last=$(tail -c 1 "$obj" | od -An -tx1 | tr -d ' ')
  if [ "$last" = 41 ]; then printf 'B'; else printf 'A'; fi | dd of="$obj" bs=1 seek=$((size - 1)) conv=notrunc 2>/dev/null
else
  fail "the object of model.pkl is at .mlt/objects/XX/..." "a file $obj" "$(find "$T/tp/.mlt/objects" -type f | head -n 3)"
fi
run_mlt registry register "$TP_URI" tampered
expect_rc 6
expect_err_contains "model.pkl"
run_mlt registry show tampered
expect_rc 4
run_mlt registry register "$TP_URI" good
expect_rc 6
run_mlt --json registry show good
expect_json '[.versions[].version]' '[1]'
run_mlt model verify models:/good/1
expect_rc 6

# ---------------------------------------------------------------------------------------------
t "rm NAME/VERSION: show exits 4, its aliases go, version numbers are not reused"
cd "$T/p"
for i in 1 2 3; do MLT_NOW_MS=$(at $((20000 + i))) must_mlt -q registry register "$SK_URI" rmv >/dev/null; done
MLT_NOW_MS=$(at 21000) must_mlt -q registry alias rmv onthree 3 >/dev/null
MLT_NOW_MS=$(at 21000) must_mlt -q registry alias rmv onone 1 >/dev/null
MLT_NOW_MS=$(at 21000) must_mlt -q registry stage rmv 3 Staging >/dev/null
MLT_NOW_MS=$(at 22000) run_mlt registry rm rmv/3
expect_rc 0
expect_out_empty
expect_err_contains "removed"
run_mlt registry show rmv/3
expect_rc 4
run_mlt registry show rmv@onthree
expect_rc 4
run_mlt --json registry show rmv/latest
expect_json .version 2
run_mlt --json registry show rmv
expect_json '[[.versions[].version], .aliases]' '[[1,2],{"onone":1}]'
run_mlt registry register "$SK_URI" rmv
expect_rc 0
expect_out_eq "4"
run_mlt registry rm rmv/3
expect_rc 4
run_mlt registry alias rmv x 3
expect_rc 4
run_mlt --json registry history rmv
expect_json '[.events[] | select(.action == "rm" or .action == "unalias") | [.action, .version, .target]]' \
  '[["unalias",3,"onthree"],["rm",3,null]]'

t "show --at a time before a removal: the removed version as it was then (stage, aliases)"
cd "$T/p"
run_mlt --json registry show rmv/3 --at "$(at 21500)"
expect_rc 0
expect_json '[.version, .stage, .aliases, .digest]' "[3,\"Staging\",[\"onthree\"],\"$SK_DIG\"]"
run_mlt --json registry show rmv@onthree --at "$(at 21500)"
expect_rc 0
expect_json .version 3
run_mlt --json registry show rmv/staging --at "$(at 21500)"
expect_json .version 3
run_mlt registry show rmv/3 --at "$(at 22500)"
expect_rc 4
run_mlt --json registry history rmv --at "$(at 21500)"
expect_json '[.aliases, [.versions[] | [.version, .stage]]]' '[{"onone":1,"onthree":3},[[1,"None"],[2,"None"],[3,"Staging"]]]'

t "rm NAME: show exits 4, ls leaves it out, history is kept; register or create restores it"
cd "$T/p"
MLT_NOW_MS=$(at 30000) run_mlt registry rm rmv
expect_rc 0
run_mlt registry show rmv
expect_rc 4
run_mlt registry show rmv/1
expect_rc 4
run_mlt --json registry ls
expect_json '[.models[].name | select(. == "rmv")]' '[]'
run_mlt --json registry history rmv
expect_rc 0
expect_json '.events | last | [.action, .version]' '["rm",null]'
expect_json '.name' rmv
expect_json '[.events[] | select(.action == "unalias") | [.version, .target, .from]] | last' '[1,"onone","1"]'
n_events=$(jq_out '.events | length')
run_mlt registry register "$PF_URI" rmv
expect_rc 0
expect_out_eq "5"
run_mlt --json registry show rmv
expect_rc 0
expect_json '[[.versions[].version], .aliases, .versions[0].digest]' "[[5],{},\"$PF_DIG\"]"
run_mlt --json registry show rmv@onone --at "$(at 29000)"        # before the model was removed
expect_rc 0
expect_json '[.version, .aliases]' '[1,["onone"]]'
run_mlt --json registry history rmv
expect_json ".events | length > $n_events" true
expect_json '[.events[] | .action] | .[-2:]' '["restore","register"]'
run_mlt --json registry ls
expect_json '[.models[].name | select(. == "rmv")]' '["rmv"]'
run_mlt registry rm rmv
expect_rc 0
run_mlt registry create rmv -d "back again"
expect_rc 0
run_mlt --json registry show rmv
expect_json '[.description, .versions]' '["back again",[]]'
run_mlt registry register "$SK_URI" rmv
expect_out_eq "6"

t "register: a package identical to an earlier version is registered with a warning; --json duplicate_of"
cd "$T/p"
run_mlt --json registry register "$SK_URI" dup
expect_rc 0
expect_json .duplicate_of null
expect_err_not_contains "identical"
run_mlt --json registry register "$PF_URI" dup
expect_json .duplicate_of null
run_mlt registry register "$SK_URI" dup
expect_rc 0
expect_out_eq "3"
expect_err_contains "mlt: warning: version 3 of 'dup' is identical to version 1 (sha256:"
run_mlt --json registry register "$SK_URI" dup
expect_rc 0
expect_json '[.version, .duplicate_of]' '[4,3]'

t "outside a project: registry commands exit 3"
mkdir -p "$T/noproj"
cd "$T/noproj"
run_mlt registry ls
expect_rc 3
run_mlt registry show churn
expect_rc 3
run_mlt registry register "$SK" x
expect_rc 3
expect_eq "files written outside the project" "" "$(ls -A "$T/noproj")"

finish
