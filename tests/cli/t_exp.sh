# t_exp.sh: mlt exp create|ls|rename|rm|restore, the Default experiment, experiments of runs.
# shellcheck disable=SC2164  # every cd goes into a directory this suite just created
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

new_project p

# ---------------------------------------------------------------------------------------------
t "Default exists from init, with no runs"
cd "$T/p"
run_mlt --json exp ls
expect_rc 0
expect_json_valid
expect_json '.experiments | length' 1
expect_json '.experiments[0].name' Default
expect_json '.experiments[0].lifecycle' active
expect_json '.experiments[0].runs' 0
expect_json '.experiments[0].tags' '{}'

t "exp create prints only the name"
cd "$T/p"
run_mlt exp create baseline
expect_rc 0
expect_out_eq "baseline"

t "exp create --json: every field, pinned clock"
cd "$T/p"
MLT_NOW_MS=$T0_MS run_mlt --json exp create tuned -d "lr sweep on the small set" -t team=vision -t prio=2
expect_rc 0
expect_json_valid
expect_json .name tuned
expect_json .description "lr sweep on the small set"
expect_json .lifecycle active
expect_json .runs 0
expect_json .created "2023-11-14T22:13:20.000Z"
expect_json .created_ms "$T0_MS"
expect_json .updated "2023-11-14T22:13:20.000Z"
expect_json .updated_ms "$T0_MS"
expect_json .tags '{"prio":"2","team":"vision"}'

t "exp ls lists experiments in creation order with their run counts"
cd "$T/p"
must_mlt run start -e tuned >/dev/null
must_mlt run start -e tuned >/dev/null
must_mlt run start >/dev/null
gone=$(must_mlt run start -e tuned)
must_mlt -q run rm "$gone" >/dev/null
run_mlt --json exp ls
expect_rc 0
expect_json '[.experiments[].name]' '["Default","baseline","tuned"]'
expect_json '[.experiments[].runs]' '[1,0,2]'
expect_json '.experiments[2].description' "lr sweep on the small set"

t "exp ls (table) shows name, runs and description"
cd "$T/p"
run_mlt exp ls
expect_rc 0
expect_out_match 'NAME +RUNS +CREATED +DESCRIPTION'
expect_out_match $'\ntuned +2 +2023-11-14 22:13:20 UTC +lr sweep on the small set'
expect_out_match $'\nbaseline +0 '
expect_out_lines 4

t "exp create of an existing name exits 5"
cd "$T/p"
run_mlt exp create tuned
expect_rc 5
expect_out_empty
expect_err_contains "experiment 'tuned' already exists"
run_mlt exp create Default
expect_rc 5

t "exp create with an empty name, a control character or a bad tag exits 2"
cd "$T/p"
run_mlt exp create ""
expect_rc 2
run_mlt exp create "$(printf 'a\tb')"
expect_rc 2
run_mlt exp create x -t novalue
expect_rc 2
expect_err_contains "novalue"
run_mlt exp create x -t =v
expect_rc 2
run_mlt exp create "$(printf '%0251d' 0)"
expect_rc 2
run_mlt --json exp ls --all
expect_json '[.experiments[].name] | index("x")' null

t "exp create with a missing NAME or a bad flag exits 2"
cd "$T/p"
run_mlt exp create
expect_rc 2
run_mlt exp create y --bogus
expect_rc 2
run_mlt exp
expect_rc 2
run_mlt exp frob
expect_rc 2

# ---------------------------------------------------------------------------------------------
t "exp rename: the runs follow"
cd "$T/p"
run_mlt exp rename tuned tuned2
expect_rc 0
expect_out_empty
expect_err_contains "renamed experiment 'tuned' to 'tuned2'"
run_mlt --json runs -e tuned2
expect_rc 0
expect_json '.runs | length' 2
expect_json '[.runs[].experiment] | unique' '["tuned2"]'
run_mlt --json runs -e tuned
expect_rc 4

t "exp rename of an unknown experiment exits 4"
cd "$T/p"
run_mlt exp rename nope other
expect_rc 4
expect_err_contains "no experiment named 'nope'"

t "exp rename onto an existing name exits 5 and changes nothing"
cd "$T/p"
run_mlt exp rename baseline tuned2
expect_rc 5
expect_err_contains "'tuned2' already exists"
run_mlt --json exp ls
expect_json '[.experiments[].name]' '["Default","baseline","tuned2"]'

t "exp rename to an invalid name exits 2"
cd "$T/p"
run_mlt exp rename baseline ""
expect_rc 2

# ---------------------------------------------------------------------------------------------
t "exp rm hides the experiment; ls --deleted and --all show it"
cd "$T/p"
run_mlt exp rm baseline
expect_rc 0
expect_out_empty
expect_err_contains "deleted experiment 'baseline'"
run_mlt --json exp ls
expect_json '[.experiments[].name]' '["Default","tuned2"]'
run_mlt --json exp ls --deleted
expect_rc 0
expect_json '[.experiments[].name]' '["baseline"]'
expect_json '.experiments[0].lifecycle' deleted
run_mlt --json exp ls --all
expect_rc 0
expect_json '[.experiments[].name]' '["Default","baseline","tuned2"]'
expect_json '[.experiments[].lifecycle]' '["active","deleted","active"]'
run_mlt exp ls --all
expect_out_contains "baseline (deleted)"

t "exp rm of a deleted experiment says so and exits 0"
cd "$T/p"
run_mlt exp rm baseline
expect_rc 0
expect_err_contains "experiment 'baseline' is already deleted"

t "a deleted experiment's name stays reserved"
cd "$T/p"
run_mlt exp create baseline
expect_rc 5
expect_err_contains "experiment 'baseline' exists and is deleted"
expect_err_contains "mlt exp restore baseline"
run_mlt exp rename tuned2 baseline
expect_rc 5

t "a run cannot start in a deleted experiment (exit 5)"
cd "$T/p"
run_mlt run start -e baseline
expect_rc 5
expect_out_empty
expect_err_contains "experiment 'baseline' is deleted"
run_mlt --json runs --all -e baseline
expect_json '.runs' '[]'

t "exp restore brings it back"
cd "$T/p"
run_mlt exp restore baseline
expect_rc 0
expect_err_contains "restored experiment 'baseline'"
run_mlt --json exp ls
expect_json '[.experiments[].name]' '["Default","baseline","tuned2"]'
expect_json '.experiments[1].lifecycle' active
run_mlt exp restore baseline
expect_rc 0
expect_err_contains "experiment 'baseline' is already active"

t "exp rm / restore of an unknown experiment exits 4"
cd "$T/p"
run_mlt exp rm nope
expect_rc 4
expect_err_contains "no experiment named 'nope'"
run_mlt exp restore nope
expect_rc 4

t "Default cannot be removed (exit 2), even after a rename"
cd "$T/p"
run_mlt exp rm Default
expect_rc 2
expect_err_contains "the default experiment 'Default' cannot be removed"
run_mlt exp rename Default Main
expect_rc 0
run_mlt exp rm Main
expect_rc 2
run_mlt --json exp ls
expect_json '.experiments[0].name' Main
expect_json '.experiments[0].lifecycle' active

t "runs without -e go to the default experiment under its new name"
cd "$T/p"
id=$(must_mlt run start)
run_mlt --json run show "$id"
expect_rc 0
expect_json .experiment Main

t "run start -e NEW creates the experiment"
cd "$T/p"
run_mlt run start -e fresh
expect_rc 0
expect_out_match '^[0-9a-f]{32}$'
expect_err_contains "created experiment 'fresh'"
rid="$out"
run_mlt --json exp ls
expect_json '[.experiments[].name] | index("fresh") != null' true
run_mlt --json run show "$rid"
expect_json .experiment fresh

t "exp ls --json: [] tags not omitted, description defaults to empty"
cd "$T/p"
run_mlt --json exp ls
expect_json '.experiments[] | select(.name=="fresh") | .description' ""
expect_json '.experiments[] | select(.name=="fresh") | .tags' '{}'
expect_json '.experiments[] | select(.name=="fresh") | .runs' 1

finish
