# t_runs.sh: mlt runs (table, json, csv, tsv; -e, -n, --all, --deleted; param and metric columns),
# mlt metrics RUN [KEY]... (table, csv, json), and the run JSON document pinned field by field.
# shellcheck disable=SC2164  # every cd goes into a directory this suite just created
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

HOST="$(uname -n)"

# ---------------------------------------------------------------------------------------------
# One run with everything, on a pinned clock.
new_project p
P=$(MLT_NOW_MS=$T0_MS must_mlt run start -n pinned -e vision -p lr=0.01 -p model.depth=4 -t team=cv --no-git)
C=$(MLT_NOW_MS=$((T0_MS + 100)) must_mlt run start -n pinned-child --parent pinned --no-git)
must_mlt log metric --run pinned --step 0 --time $((T0_MS + 1000)) loss=0.9 acc=0.5 >/dev/null
must_mlt log metric --run pinned --step 1 --time $((T0_MS + 2000)) loss=0.7 acc=nan >/dev/null
must_mlt log metric --run pinned --step 2 --time $((T0_MS + 3000)) loss=0.8 acc=0.75 >/dev/null
must_mlt log metric --run pinned --step 3 --time $((T0_MS + 4000)) gnorm=nan >/dev/null
must_mlt log metric --run pinned --step 4 --time $((T0_MS + 4000)) up=inf down=-inf >/dev/null
must_mlt log metric --run pinned --step 5 --time $((T0_MS + 4500)) acc=nan >/dev/null
MLT_NOW_MS=$((T0_MS + 65432)) must_mlt -q run end pinned --status failed >/dev/null

t "run show --json: attributes, pinned field by field"
cd "$T/p"
run_mlt --json run show pinned
expect_rc 0
expect_json_valid
cp "$T/.lib/stdout" "$T/pinned.json"
expect_json .id "$P"
expect_json .name pinned
expect_json .experiment vision
expect_json .status FAILED
expect_json .lifecycle active
expect_json .parent_id null
expect_json .user mlt-tester
expect_json .start_time "2023-11-14T22:13:20.000Z"
expect_json .start_time_ms "$T0_MS"
expect_json .end_time "2023-11-14T22:14:25.432Z"
expect_json .end_time_ms $((T0_MS + 65432))
expect_json .duration_ms 65432
expect_json .exit_code null
expect_json .deleted_time null
expect_json .deleted_time_ms null
expect_json .children "[\"$C\"]"
expect_json .params '{"lr":"0.01","model.depth":"4"}'
expect_json .tags "{\"mlt.host\":\"$HOST\",\"mlt.source.cwd\":\".\",\"team\":\"cv\"}"
expect_json '.params.lr | type' string
expect_json '.start_time_ms | type' number

t "run show --json: metric summaries (last, step, time, time_ms, min, max, count)"
cd "$T/p"
run_mlt --json run show pinned
expect_json '.metrics | keys' '["acc","down","gnorm","loss","up"]'
expect_json .metrics.loss "{\"last\":0.8,\"step\":2,\"time\":\"2023-11-14T22:13:23.000Z\",\"time_ms\":$((T0_MS + 3000)),\"min\":0.7,\"max\":0.9,\"count\":3}"
expect_json '.metrics.loss | has("last_special")' false

t "run show --json: NaN as null with last_special \"nan\"; min/max ignore NaN"
cd "$T/p"
run_mlt --json run show pinned
expect_json .metrics.acc.last null
expect_json .metrics.acc.last_special nan
expect_json .metrics.acc.step 5
expect_json .metrics.acc.time "2023-11-14T22:13:24.500Z"
expect_json .metrics.acc.time_ms $((T0_MS + 4500))
expect_json .metrics.acc.min 0.5
expect_json .metrics.acc.max 0.75
expect_json .metrics.acc.count 4
expect_json '.metrics.acc | has("min_special")' false
expect_json .metrics.gnorm.last null
expect_json .metrics.gnorm.last_special nan
expect_json .metrics.gnorm.min null
expect_json .metrics.gnorm.max null
expect_json .metrics.gnorm.count 1

t "run show --json: inf and -inf as null with \"inf\"/\"-inf\" markers"
cd "$T/p"
run_mlt --json run show pinned
expect_json '[.metrics.up.last, .metrics.up.last_special, .metrics.up.min_special, .metrics.up.max_special]' '[null,"inf","inf","inf"]'
expect_json '[.metrics.down.last, .metrics.down.last_special, .metrics.down.min_special, .metrics.down.max_special]' '[null,"-inf","-inf","-inf"]'
expect_json .metrics.up.step 4

t "run show --json: the child run"
cd "$T/p"
run_mlt --json run show pinned-child
expect_rc 0
expect_json .parent_id "$P"
expect_json .status RUNNING
expect_json .experiment Default
expect_json .start_time_ms $((T0_MS + 100))
expect_json .end_time null
expect_json .end_time_ms null
expect_json .duration_ms null
expect_json .exit_code null
expect_json .params '{}'
expect_json .metrics '{}'
expect_json .children '[]'

t "run show --json of mlt run -- CMD: exit_code, command tag, duration on a pinned clock"
cd "$T/p"
MLT_NOW_MS=$((T0_MS + 200000)) run_mlt run -n wrapped --no-git -- sh -c 'mlt log metric --step 0 m=1.5; exit 2'
expect_rc 2
run_mlt --json run show wrapped
expect_json .status FAILED
expect_json .exit_code 2
expect_json .start_time_ms $((T0_MS + 200000))
expect_json .end_time_ms $((T0_MS + 200000))
expect_json .duration_ms 0
expect_json .metrics.m "{\"last\":1.5,\"step\":0,\"time\":\"2023-11-14T22:16:40.000Z\",\"time_ms\":$((T0_MS + 200000)),\"min\":1.5,\"max\":1.5,\"count\":1}"
expect_json '.tags["mlt.source.command"]' "sh -c 'mlt log metric --step 0 m=1.5; exit 2'"

t "runs --json holds the same run documents as run show --json"
cd "$T/p"
run_mlt --json runs
expect_rc 0
expect_json_valid
expect_json "[.runs[] | select(.id == \"$P\")] | length" 1
v=$(jq -n --slurpfile a "$T/pinned.json" --slurpfile b "$T/.lib/stdout" \
  "(\$b[0].runs[] | select(.id == \"$P\")) == \$a[0]")
expect_eq "runs --json entry == run show --json" true "$v"
expect_json "[.runs[] | select(.id == \"$P\") | .children[]]" "[\"$C\"]"
expect_json "[.runs[] | select(.id == \"$C\") | .parent_id][0]" "$P"

# ---------------------------------------------------------------------------------------------
new_project list
A=$(MLT_NOW_MS=$T0_MS must_mlt run start -n alpha --no-git -p lr=0.1 -p bs=32)
B=$(MLT_NOW_MS=$((T0_MS + 1000)) must_mlt run start -n beta -e tune --no-git -p lr=0.2 -p "opt=adam,w \"x\"")
G=$(MLT_NOW_MS=$((T0_MS + 2000)) must_mlt run start -n gamma -e tune --no-git)
Dl=$(MLT_NOW_MS=$((T0_MS + 3000)) must_mlt run start -n delta --no-git)
must_mlt log metric --run alpha --step 0 --time 1 loss=0.5 >/dev/null
must_mlt log metric --run alpha --step 1 --time 2 loss=0.25 >/dev/null
must_mlt log metric --run beta --step 0 --time 1 acc=nan loss=1.5 >/dev/null
MLT_NOW_MS=$((T0_MS + 2500)) must_mlt -q run end beta >/dev/null
MLT_NOW_MS=$((T0_MS + 4000)) must_mlt -q run end gamma --status killed >/dev/null
must_mlt -q run rm delta >/dev/null

t "runs (table): newest first, params and last metrics as columns (pinned clock)"
cd "$T/list"
MLT_NOW_MS=$((T0_MS + 90000)) run_mlt runs
expect_rc 0
expect_out_eq "ID        NAME   EXPERIMENT  STATUS    START                    DURATION  params.bs  params.lr  params.opt  metrics.acc  metrics.loss
${G:0:8}  gamma  tune        KILLED    2023-11-14 22:13:22 UTC  2.0s      -          -          -           -            -
${B:0:8}  beta   tune        FINISHED  2023-11-14 22:13:21 UTC  1.5s      -          0.2        adam,w \"x\"  nan          1.5
${A:0:8}  alpha  Default     RUNNING   2023-11-14 22:13:20 UTC  1m30s     32         0.1        -           -            0.25"

t "runs --format csv: full ids, RFC 3339 start, duration_ms, quoted cells"
cd "$T/list"
run_mlt runs --format csv
expect_rc 0
expect_out_eq "id,name,experiment,status,start,duration_ms,params.bs,params.lr,params.opt,metrics.acc,metrics.loss
$G,gamma,tune,KILLED,2023-11-14T22:13:22.000Z,2000,,,,,
$B,beta,tune,FINISHED,2023-11-14T22:13:21.000Z,1500,,0.2,\"adam,w \"\"x\"\"\",nan,1.5
$A,alpha,Default,RUNNING,2023-11-14T22:13:20.000Z,,32,0.1,,,0.25"

t "runs --format tsv"
cd "$T/list"
run_mlt runs --format tsv
expect_rc 0
tab=$'\t'
expect_out_eq "id${tab}name${tab}experiment${tab}status${tab}start${tab}duration_ms${tab}params.bs${tab}params.lr${tab}params.opt${tab}metrics.acc${tab}metrics.loss
$G${tab}gamma${tab}tune${tab}KILLED${tab}2023-11-14T22:13:22.000Z${tab}2000${tab}${tab}${tab}${tab}${tab}
$B${tab}beta${tab}tune${tab}FINISHED${tab}2023-11-14T22:13:21.000Z${tab}1500${tab}${tab}0.2${tab}adam,w \"x\"${tab}nan${tab}1.5
$A${tab}alpha${tab}Default${tab}RUNNING${tab}2023-11-14T22:13:20.000Z${tab}${tab}32${tab}0.1${tab}${tab}${tab}0.25"

t "runs --format json (and --json): the runs, newest first"
cd "$T/list"
run_mlt runs --format json
expect_rc 0
expect_json_valid
expect_json '[.runs[].id]' "[\"$G\",\"$B\",\"$A\"]"
expect_json '.runs[1].metrics.acc.last_special' nan
expect_json '.runs[1].metrics.loss.last' 1.5
expect_json '.runs[2].metrics.loss.last' 0.25
expect_json '.runs[2].metrics.loss.count' 2
run_mlt --json runs
expect_json '[.runs[].name]' '["gamma","beta","alpha"]'

t "runs -e EXP (repeatable) selects experiments"
cd "$T/list"
run_mlt --json runs -e tune
expect_rc 0
expect_json '[.runs[].name]' '["gamma","beta"]'
run_mlt --json runs -e Default
expect_json '[.runs[].name]' '["alpha"]'
run_mlt --json runs -e Default -e tune
expect_json '[.runs[].name]' '["gamma","beta","alpha"]'
run_mlt runs -e tune --format csv
expect_out_lines 3

t "runs -e of an unknown experiment exits 4"
cd "$T/list"
run_mlt runs -e nope
expect_rc 4
expect_err_contains "'nope'"

t "runs -n LIMIT keeps the newest"
cd "$T/list"
run_mlt --json runs -n 2
expect_rc 0
expect_json '[.runs[].name]' '["gamma","beta"]'
run_mlt --json runs -n 0
expect_json '.runs' '[]'
run_mlt runs -n 1 --format csv
expect_out_lines 2
expect_out_contains "$G,gamma"

t "runs --deleted and --all"
cd "$T/list"
run_mlt --json runs --deleted
expect_rc 0
expect_json '[.runs[].id]' "[\"$Dl\"]"
expect_json '.runs[0].lifecycle' deleted
run_mlt --json runs --all
expect_json '[.runs[].name]' '["delta","gamma","beta","alpha"]'
MLT_NOW_MS=$((T0_MS + 90000)) run_mlt runs --all
expect_out_contains "delta (deleted)"

t "runs: bad flags and values exit 2"
cd "$T/list"
run_mlt runs --format xml
expect_rc 2
expect_err_contains "xml"
run_mlt runs -n -1
expect_rc 2
run_mlt runs -n abc
expect_rc 2
run_mlt runs --bogus
expect_rc 2
run_mlt --json runs --format xml
expect_rc 2
expect_err_json .error.code 2

t "runs on a project without runs: table says so on stderr; json []; csv header only"
new_project empty
run_mlt runs
expect_rc 0
expect_out_empty
expect_err_contains "no runs"
run_mlt --json runs
expect_rc 0
expect_json .runs '[]'
run_mlt runs --format csv
expect_rc 0
expect_out_eq "id,name,experiment,status,start,duration_ms"

t "runs --format csv: values with newlines are quoted; tsv flattens them"
new_project quoting
Q=$(MLT_NOW_MS=$T0_MS must_mlt run start -n q --no-git -p "note=line1
line2" -p "tabbed=a	b")
MLT_NOW_MS=$T0_MS run_mlt runs --format csv
expect_out_eq "id,name,experiment,status,start,duration_ms,params.note,params.tabbed
$Q,q,Default,RUNNING,2023-11-14T22:13:20.000Z,,\"line1
line2\",a	b"
MLT_NOW_MS=$T0_MS run_mlt runs --format tsv
expect_out_eq "id${tab}name${tab}experiment${tab}status${tab}start${tab}duration_ms${tab}params.note${tab}params.tabbed
$Q${tab}q${tab}Default${tab}RUNNING${tab}2023-11-14T22:13:20.000Z${tab}${tab}line1 line2${tab}a b"

# ---------------------------------------------------------------------------------------------
t "metrics RUN --format csv: the full history, by key then step"
cd "$T/p"
run_mlt metrics pinned --format csv
expect_rc 0
expect_out_eq "key,step,time_ms,value
acc,0,$((T0_MS + 1000)),0.5
acc,1,$((T0_MS + 2000)),nan
acc,2,$((T0_MS + 3000)),0.75
acc,5,$((T0_MS + 4500)),nan
down,4,$((T0_MS + 4000)),-inf
gnorm,3,$((T0_MS + 4000)),nan
loss,0,$((T0_MS + 1000)),0.9
loss,1,$((T0_MS + 2000)),0.7
loss,2,$((T0_MS + 3000)),0.8
up,4,$((T0_MS + 4000)),inf"

t "metrics RUN KEY... selects keys"
cd "$T/p"
run_mlt metrics "${P:0:8}" loss up --format csv
expect_rc 0
expect_out_eq "key,step,time_ms,value
loss,0,$((T0_MS + 1000)),0.9
loss,1,$((T0_MS + 2000)),0.7
loss,2,$((T0_MS + 3000)),0.8
up,4,$((T0_MS + 4000)),inf"

t "metrics --format csv: keys with a comma or a quote are quoted the CSV way"
new_project csvkeys
must_mlt run start -n ck --no-git >/dev/null
must_mlt log metric --run ck --step 0 --time 5 'we"ird,key=1' 'comma,key=2' plain=3 >/dev/null
run_mlt metrics ck --format csv
expect_rc 0
expect_out_eq 'key,step,time_ms,value
"comma,key",0,5,2
plain,0,5,3
"we""ird,key",0,5,1'

t "metrics RUN (table)"
cd "$T/p"
run_mlt metrics pinned loss
expect_rc 0
expect_out_eq "KEY       STEP  TIME                           VALUE
loss         0  2023-11-14 22:13:21 UTC        0.9
loss         1  2023-11-14 22:13:22 UTC        0.7
loss         2  2023-11-14 22:13:23 UTC        0.8"

t "metrics RUN --format json (and --json)"
cd "$T/p"
run_mlt metrics pinned acc loss --format json
expect_rc 0
expect_json_valid
expect_json .run "$P"
expect_json .name pinned
expect_json '.metrics | keys' '["acc","loss"]'
expect_json '.metrics.loss[0]' "{\"step\":0,\"time\":\"2023-11-14T22:13:21.000Z\",\"time_ms\":$((T0_MS + 1000)),\"value\":0.9}"
expect_json '[.metrics.loss[].value]' '[0.9,0.7,0.8]'
expect_json '[.metrics.acc[].step]' '[0,1,2,5]'
expect_json '.metrics.acc[1].value' null
expect_json '.metrics.acc[1].value_special' nan
expect_json '.metrics.acc[0] | has("value_special")' false
run_mlt --json metrics pinned
expect_rc 0
expect_json '.metrics | keys' '["acc","down","gnorm","loss","up"]'
expect_json '.metrics.down[0].value_special' "-inf"

t "metrics of a run without metrics"
cd "$T/p"
run_mlt --json metrics pinned-child
expect_rc 0
expect_json_valid
expect_json .metrics '{}'
run_mlt metrics pinned-child --format csv
expect_rc 0
expect_out_eq "key,step,time_ms,value"

t "metrics: unknown run or key exits 4; bad format or no RUN exits 2"
cd "$T/p"
run_mlt metrics nosuchrun
expect_rc 4
run_mlt metrics pinned nosuchkey
expect_rc 4
expect_err_contains "'nosuchkey'"
run_mlt metrics pinned --format xml
expect_rc 2
run_mlt metrics
expect_rc 2
run_mlt metrics pinned --bogus
expect_rc 2

finish
