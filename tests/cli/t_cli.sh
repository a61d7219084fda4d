# t_cli.sh: what holds across commands. Relative run references (@, @~N) wherever a run is named;
# parse errors in mlt's words (missing arguments, bad values, unknown options, out-of-range
# numbers) with the command's help as the hint; errors in -s and --columns naming the option;
# '-o -' as standard output where one file is written and a clear error where a directory is;
# reserved mlt.* tags; one meaning per short flag (the old short forms still work, with a
# warning); one rule for "exit 1 when different" (diff, data diff, deploy diff, data status).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

at() { echo $((T0_MS + $1)); }
field() { printf '%s' "$1" | jq -r "$2" 2>/dev/null; }
tc() { t "$@"; cd "$T/p" || exit 2; }   # every case works in the project p

new_project p
tc "@ and @~N in an empty project: exit 4, saying there are no runs"
run_mlt run show @
expect_rc 4
expect_err_contains "no run matches '@': there are no runs yet"

A=$(MLT_NOW_MS=$(at 1000) must_mlt run start -n first --no-git -p lr=0.1)
B=$(MLT_NOW_MS=$(at 2000) must_mlt run start -n second --no-git -e other -p lr=0.2)
C=$(MLT_NOW_MS=$(at 3000) must_mlt run start -n third --no-git -p lr=0.3)

tc "@ is the newest run of every experiment, @~N the Nth before it, as 'mlt runs' lists them"
run_mlt --json run show @
expect_rc 0
expect_json .id "$C"
run_mlt --json run show @~0
expect_json .id "$C"
run_mlt --json run show @~1
expect_json .id "$B"                      # in another experiment: counted too
run_mlt --json run show @~
expect_json .id "$B"                      # @~ is @~1, as HEAD~ in git
run_mlt --json run show @~2
expect_json .id "$A"
run_mlt --json runs
expect_json '[.runs[].id]' "[\"$C\",\"$B\",\"$A\"]"

tc "@~N past the oldest run exits 4 and says how many runs there are"
run_mlt run show @~3
expect_rc 4
expect_err_contains "no run matches '@~3': there are only 3 runs ('@' to '@~2')"
run_mlt run show @~99999999999999999999999
expect_rc 4
expect_err_contains "there are only 3 runs"

tc "other text starting with @ is not a run reference (exit 2); a run name cannot start with @"
run_mlt run show @~x
expect_rc 2
expect_err_contains "'@~x' is not a run reference"
expect_err_contains "hint: '@' is the newest run"
run_mlt run start -n @mine --no-git
expect_rc 2
expect_err_contains "run name '@mine' starts with '@'"
run_mlt run rename first @
expect_rc 2
expect_err_contains "starts with '@'"

tc "@ works wherever a run is named: diff, --run, --parent, runs:/@/PATH, metrics, lineage"
run_mlt diff @~2 @
expect_rc 1
expect_out_contains "- lr = 0.1"
expect_out_contains "+ lr = 0.3"
run_mlt log metric --run @ loss=0.5
expect_rc 0
run_mlt --json metrics "$C"
expect_json '.metrics.loss[0].value' 0.5
printf 'hello\n' >note.txt
must_mlt -q log artifact note.txt --run @ >/dev/null
run_mlt artifact cat runs:/@/note.txt
expect_rc 0
expect_out_eq "hello"
run_mlt --json lineage @
expect_rc 0
expect_json '.nodes | map(select(.kind == "run")) | length >= 1' true
D=$(MLT_NOW_MS=$(at 4000) must_mlt run start -n child --no-git --parent @)
run_mlt --json run show "$D"
expect_json .parent_id "$C"

tc "deleted runs do not count; two runs started in the same millisecond: the later created is newer"
must_mlt -q run rm "$D" >/dev/null
run_mlt --json run show @
expect_json .id "$C"
E=$(MLT_NOW_MS=$(at 5000) must_mlt run start -n tie1 --no-git)
F=$(MLT_NOW_MS=$(at 5000) must_mlt run start -n tie2 --no-git)
run_mlt --json run show @
expect_json .id "$F"
run_mlt --json run show @~1
expect_json .id "$E"

tc "completion offers @ and @~1 for a run"
run_mlt __complete run show @
expect_rc 0
expect_out_contains "@"
expect_out_contains "@~1"

tc "parse errors: a missing argument names it by its placeholder and the hint is the command's help"
run_mlt diff @
expect_rc 2
expect_err_contains "mlt: error: missing RUN_B for 'mlt diff'"
expect_err_contains "hint: usage: mlt diff"
expect_err_contains "see 'mlt diff --help'"
expect_err_not_contains "is required"
run_mlt registry
expect_rc 2
expect_err_contains "'mlt registry' needs a subcommand"
run_mlt --json diff @
expect_rc 2
expect_err_json .error.message "missing RUN_B for 'mlt diff'"

tc "parse errors: unexpected arguments, unknown options (with a suggestion), values that do not convert"
run_mlt diff @ @~1 extra
expect_rc 2
expect_err_contains "unexpected argument 'extra' for 'mlt diff'"
expect_err_not_contains "was not expected"
run_mlt runs --limt 3
expect_rc 2
expect_err_contains "unknown option '--limt' for 'mlt runs'"
expect_err_contains "did you mean '--limit'?"
run_mlt runs --limit abc
expect_rc 2
expect_err_contains "invalid value 'abc' for '--limit'"
expect_err_not_contains "could not convert"
expect_err_not_contains "Could not convert"
run_mlt runs --limit
expect_rc 2
expect_err_contains "'--limit' needs a value"
run_mlt runs --all --deleted
expect_rc 2
expect_err_contains "'--all' and '--deleted' cannot be used together"
run_mlt runs --limit -1
expect_rc 2
expect_err_contains "invalid value '-1' for '--limit': must be 0 or more"

tc "numbers too large say 'out of range'"
run_mlt runs --limit 1e999
expect_rc 2
expect_err_contains "value '1e999' of '--limit' is out of range"
run_mlt deploy rollback prod --to 1e999
expect_rc 2
expect_err_contains "out of range"
run_mlt log metric --run @ loss=1e999
expect_rc 2
expect_err_contains "metric 'loss' has value '1e999', which is out of range"
run_mlt log metric --run @ loss=1 --step 99999999999999999999
expect_rc 2
expect_err_contains "--step '99999999999999999999' is out of range"
run_mlt log metric --run @ loss=1 --time 1e999
expect_rc 2
expect_err_contains "--time '1e999' is out of range"
run_mlt log metric --run @ loss=abc
expect_rc 2
expect_err_contains "which is not a number"

tc "an error in -s or --columns names that option, not 'filter'"
run_mlt runs -s 'metrics.loss SIDEWAYS'
expect_rc 2
expect_err_contains "invalid '-s' order key at column"
expect_err_not_contains "invalid filter"
run_mlt runs --columns 'params.lr,bogus.key'
expect_rc 2
expect_err_contains "invalid '--columns' key at column"
expect_err_not_contains "invalid filter"
run_mlt runs -f 'metrics.loss <'
expect_rc 2
expect_err_contains "invalid filter at column"

tc "-o - writes a single file to standard output; a directory cannot go there (exit 2)"
mkdir -p d/sub
printf 'a\n' >d/a.txt
printf 'b\n' >d/sub/b.txt
must_mlt -q log artifact d --run @ >/dev/null
run_mlt artifact get @ d/a.txt -o -
expect_rc 0
expect_out_eq "a"
expect_eq "no file named '-' is written" "" "$(ls -A -- - 2>/dev/null)"
run_mlt artifact get @ d -o -
expect_rc 2
expect_err_contains "'d' is a directory; '-o -' writes a single file"
run_mlt --json artifact get @ d/a.txt -o -
expect_rc 2
printf 'x,y\n1,2\n' >table.csv
must_mlt -q data add table.csv >/dev/null
run_mlt data checkout table.csv@v1 -o -
expect_rc 0
expect_out_eq "x,y
1,2"
must_mlt -q data add d -n dir >/dev/null
run_mlt data checkout dir@v1 -o -
expect_rc 2
expect_err_contains "is a directory; '-o -' writes a single file"
run_mlt model get runs:/@/model -o -
expect_rc 2
expect_err_contains "cannot hold a model"
run_mlt deploy create prod models:/none/1 --target kubernetes -o -
expect_rc 2
expect_err_contains "'-o -' (standard output) cannot hold a directory"

tc "mlt.* tags are mlt's: mlt log tag and -t refuse them (exit 2), the recorded value stays"
G=$(must_mlt run start -n tagged)
run_mlt log tag --run "$G" mlt.host=elsewhere
expect_rc 2
expect_err_contains "tag 'mlt.host' is reserved"
run_mlt --json run show "$G"
expect_json '.tags["mlt.host"] != "elsewhere"' true
run_mlt log tag --run "$G" mlt.note=hi
expect_rc 2
expect_err_contains "mlt run note"
run_mlt run start -t mlt.source.command=fake --no-git
expect_rc 2
expect_err_contains "tag 'mlt.source.command' is reserved"
run_mlt log tag --run "$G" mltx=1 team.mlt=2
expect_rc 0

tc "short flags: -n names, -f filters; the old -n (limit) and -f (force, file) still work with a warning"
run_mlt runs --help
expect_out_not_contains "-n,"
expect_out_contains "--limit"
run_mlt --json runs -n 1
expect_rc 0
expect_json '.runs | length' 1
expect_err_contains "'-n' is deprecated here"
expect_err_contains "use '--limit'"
run_mlt --json runs --limit 1
expect_err_empty
printf 'lr: 0.5\n' >p.yaml
run_mlt log param -f p.yaml --run "$G"
expect_rc 0
expect_err_contains "use '--file'"
run_mlt artifact get "$F" d/a.txt -o out.txt
expect_rc 0
run_mlt artifact get "$F" d/a.txt -o out.txt -f
expect_rc 0
expect_err_contains "use '--force'"
run_mlt gc -n
expect_rc 0
expect_err_contains "use '--dry-run'"

tc "exit 1 when different: diff, data diff, data status (text and --json); 0 when the same"
run_mlt diff "$E" "$E"
expect_rc 0
run_mlt --json diff "$A" "$C"
expect_rc 1
printf 'x,y\n1,3\n' >table.csv
must_mlt -q data add table.csv >/dev/null
run_mlt data diff table.csv@v1 table.csv@v2
expect_rc 1
run_mlt --json data diff table.csv@v1 table.csv@v2
expect_rc 1
run_mlt data diff table.csv@v2 table.csv@v2
expect_rc 0
run_mlt data status table.csv
expect_rc 0
printf 'x,y\n9,9\n' >table.csv
run_mlt data status table.csv
expect_rc 1
run_mlt --json data status
expect_rc 1
rm table.csv
run_mlt data status table.csv
expect_rc 1
expect_out_contains "is missing"

finish
