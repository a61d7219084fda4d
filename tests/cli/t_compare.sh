# t_compare.sh: mlt check (a CI gate: exit 0/1/2, the values on stderr, --run and $MLT_RUN_ID,
# --json), mlt diff (two runs git-diff style: attributes, params, metrics with deltas, tags,
# artifacts by digest; exit 0 when equal, 1 when not; --json), and mlt compare (runs side by side,
# differing rows first, the best metric marked '*'; --json; fewer than two runs exits 2).
# shellcheck disable=SC2164  # every cd goes into a directory this suite just created
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

sid() { printf '%s' "${1:0:8}"; }

# ---------------------------------------------------------------------------------------------
# Four runs on a pinned clock. base and twin log the same params, tags, metrics and artifacts
# (mlt run start adds mlt.host and mlt.source.cwd, the same for both here); cand differs in each;
# third is still running, with a NaN loss.
new_project cmp
mkdir -p "$T/files/a" "$T/files/b"
printf 'weights v1\n' >"$T/files/a/weights.bin"
printf 'vocab\n' >"$T/files/a/vocab.txt"
printf 'same readme\n' >"$T/files/a/readme.md"
printf 'weights v2\n' >"$T/files/b/weights.bin"
printf 'same readme\n' >"$T/files/b/readme.md"
printf 'extra\n' >"$T/files/b/extra.txt"

BASE=$(MLT_NOW_MS=$T0_MS must_mlt run start -q -n base --no-git -p lr=0.1 -p bs=32 -t team=cv)
TWIN=$(MLT_NOW_MS=$((T0_MS + 500)) must_mlt run start -q -n twin --no-git -p lr=0.1 -p bs=32 -t team=cv)
CAND=$(MLT_NOW_MS=$((T0_MS + 1000)) must_mlt run start -q -n cand --no-git -p lr=0.01 -p bs=32 -p warmup=100 -t team=nlp)
THIRD=$(MLT_NOW_MS=$((T0_MS + 2000)) must_mlt run start -q -n third --no-git -p lr=0.001 -p bs=32 -t team=cv)
for r in base twin; do
  must_mlt log metric --run $r --step 0 --time 1 loss=0.5 acc=0.8 f1=0.7 epochs=10 power=5 >/dev/null
  must_mlt log metric --run $r --step 1 --time 2 loss=0.3 acc=0.85 >/dev/null
  must_mlt -q log artifact --run $r --as model "$T/files/a/weights.bin" "$T/files/a/vocab.txt" "$T/files/a/readme.md"
done
must_mlt log metric --run cand --step 0 --time 1 loss=0.2 acc=0.9 f1=0.7 epochs=10 val_loss=0.41 >/dev/null
must_mlt -q log artifact --run cand --as model "$T/files/b/weights.bin" "$T/files/b/readme.md" "$T/files/b/extra.txt"
must_mlt log metric --run third --step 0 --time 1 loss=nan acc=0.95 f1=0.6 epochs=10 power=3 >/dev/null
MLT_NOW_MS=$((T0_MS + 5000)) must_mlt -q run end base >/dev/null
MLT_NOW_MS=$((T0_MS + 7500)) must_mlt -q run end twin >/dev/null
MLT_NOW_MS=$((T0_MS + 9000)) must_mlt -q run end cand --status failed >/dev/null

# ---------------------------------------------------------------------------------------------
# mlt check

GATE="metrics.acc >= 0.85 AND params.lr <= 0.1 AND min(metrics.loss) < 0.4 AND count(metrics.val_loss) = 0 AND tags.team = 'cv' AND attributes.start_time > '2023-01-01' AND params.nope IS NULL AND metrics.acc > 0"

t "check: a matching run exits 0 and prints each key's value, then the verdict, on stderr"
cd "$T/cmp"
run_mlt check "$GATE" --run base
expect_rc 0
expect_out_empty
expect_err_eq "  metrics.acc = 0.85
  params.lr = 0.1
  min(metrics.loss) = 0.3
  count(metrics.val_loss) = 0
  tags.team = cv
  attributes.start_time = $T0_MS
  params.nope = (missing)
mlt: run $(sid "$BASE") (base) matches: $GATE"

t "check: a run that does not match exits 1"
cd "$T/cmp"
run_mlt check "$GATE" --run cand
expect_rc 1
expect_out_empty
expect_err_contains "  count(metrics.val_loss) = 1"
expect_err_contains "  tags.team = nlp"
expect_err_contains "mlt: run $(sid "$CAND") (cand) does not match: $GATE"
run_mlt check "metrics.acc > 0.9" --run cand
expect_rc 1
run_mlt check "metrics.acc >= 0.9" --run cand
expect_rc 0
run_mlt check "params.lr > 0.05" --run "$(sid "$CAND")"
expect_rc 1
run_mlt check "params.lr > 0.05" --run "${BASE:0:6}"
expect_rc 0

t "check: NaN, missing keys, OR and NOT in a gate"
cd "$T/cmp"
run_mlt check "metrics.loss < 1" --run third
expect_rc 1
expect_err_eq "  metrics.loss = nan
mlt: run $(sid "$THIRD") (third) does not match: metrics.loss < 1"
run_mlt check "metrics.loss IS NOT NULL AND NOT metrics.loss >= -inf" --run third
expect_rc 0
run_mlt check "metrics.val_loss < 1" --run base
expect_rc 1
expect_err_contains "  metrics.val_loss = (missing)"
run_mlt check "metrics.val_loss < 1 OR metrics.loss < 0.4" --run base
expect_rc 0
run_mlt check "NOT metrics.val_loss >= 1" --run base
expect_rc 0
run_mlt check "attributes.end_time IS NULL AND attributes.status = 'running'" --run third
expect_rc 0
expect_err_contains "  attributes.end_time = (missing)"
expect_err_contains "  attributes.status = RUNNING"
run_mlt check "attributes.duration = 5000 AND attributes.end_time = $((T0_MS + 5000))" --run base
expect_rc 0
expect_err_contains "  attributes.duration = 5000
  attributes.end_time = $((T0_MS + 5000))"

t "check: a key named twice is printed once, in canonical form"
cd "$T/cmp"
run_mlt check "metric.acc > 0.5 AND (metrics.acc < 0.9 OR attr.status = 'FINISHED') AND param.lr = 0.1" --run base
expect_rc 0
expect_err_eq "  metrics.acc = 0.85
  attributes.status = FINISHED
  params.lr = 0.1
mlt: run $(sid "$BASE") (base) matches: metric.acc > 0.5 AND (metrics.acc < 0.9 OR attr.status = 'FINISHED') AND param.lr = 0.1"

t "check: the run from \$MLT_RUN_ID; --run wins over it"
cd "$T/cmp"
MLT_RUN_ID=$CAND run_mlt check "params.lr = 0.01"
expect_rc 0
expect_err_contains "(cand) matches"
MLT_RUN_ID=$CAND run_mlt check "params.lr = 0.01" --run base
expect_rc 1
expect_err_contains "(base) does not match"
MLT_RUN_ID=base run_mlt check "params.lr = 0.1"
expect_rc 0

t "check: no run given and no \$MLT_RUN_ID exits 2; an unknown run exits 4"
cd "$T/cmp"
run_mlt check "params.lr = 0.1"
expect_rc 2
expect_err_contains "no run given"
run_mlt check "params.lr = 0.1" --run nosuchrun
expect_rc 4
MLT_RUN_ID=nosuchrun run_mlt check "params.lr = 0.1"
expect_rc 4

t "check: an invalid filter exits 2, with a caret, before the run is looked up"
cd "$T/cmp"
run_mlt check "metrics.acc >= " --run base
expect_rc 2
expect_out_empty
expect_err_contains "invalid filter at column 16"
expect_err_contains "
  metrics.acc >= 
                 ^"
run_mlt check "metrics.acc >= " --run nosuchrun
expect_rc 2
run_mlt check "metrics.acc >= 0.9 AND" 
expect_rc 2
expect_err_contains "invalid filter at column 23"
run_mlt check "min(params.lr) < 1" --run base
expect_rc 2
run_mlt check "attributes.start_time > 'soon'" --run base
expect_rc 2
run_mlt check
expect_rc 2

t "check -q: nothing printed, the exit code tells"
cd "$T/cmp"
run_mlt -q check "metrics.acc >= 0.85" --run base
expect_rc 0
expect_out_empty
expect_err_empty
run_mlt -q check "metrics.acc >= 0.9" --run base
expect_rc 1
expect_out_empty
expect_err_empty

t "check --json: run, filter, match and values (null for a missing key)"
cd "$T/cmp"
run_mlt --json check "$GATE" --run base
expect_rc 0
expect_json_valid
expect_json .run "$BASE"
expect_json .filter "$GATE"
expect_json .match true
expect_json '.values | keys' '["attributes.start_time","count(metrics.val_loss)","metrics.acc","min(metrics.loss)","params.lr","params.nope","tags.team"]'
expect_json '.values["metrics.acc"]' 0.85
expect_json '.values["metrics.acc"] | type' string
expect_json '.values["count(metrics.val_loss)"]' 0
expect_json '.values["attributes.start_time"]' "$T0_MS"
expect_json '.values["params.nope"]' null
expect_json '.values["tags.team"]' cv
expect_err_empty
run_mlt --json check "metrics.loss < 1 AND params.warmup > 50" --run third
expect_rc 1
expect_json .match false
expect_json .run "$THIRD"
expect_json .values '{"metrics.loss":"nan","params.warmup":null}'
run_mlt --json check "metrics.loss <" --run third
expect_rc 2
expect_out_empty
expect_err_json .error.code 2

t "check: a deleted run can still be checked"
new_project gone
must_mlt run start -q -n old --no-git -p lr=0.5 >/dev/null
must_mlt -q run rm old >/dev/null
run_mlt check "params.lr = 0.5" --run old
expect_rc 0
run_mlt check "params.lr = 0.4" --run old
expect_rc 1

# ---------------------------------------------------------------------------------------------
# mlt diff

t "diff: runs with the same params, metrics, tags and artifacts exit 0"
cd "$T/cmp"
run_mlt diff base twin
expect_rc 0
expect_out_eq "--- run $BASE (base)
+++ run $TWIN (twin)"
expect_err_contains "the runs have the same params, metrics, tags and artifacts"
run_mlt diff base base
expect_rc 0
run_mlt -q diff twin "$(sid "$BASE")"
expect_rc 0
expect_err_empty

t "diff --json of equal runs: equal true, every list empty"
cd "$T/cmp"
run_mlt --json diff base twin
expect_rc 0
expect_json_valid
expect_json .a "$BASE"
expect_json .b "$TWIN"
expect_json .equal true
expect_json '[.attributes, .params, .metrics, .tags, .artifacts]' '[[],[],[],[],[]]'

t "diff: what differs, section by section, git-diff style; exit 1"
cd "$T/cmp"
run_mlt diff base cand
expect_rc 1
expect_out_eq "--- run $BASE (base)
+++ run $CAND (cand)
attributes:
- status = FINISHED
+ status = FAILED
params:
- lr = 0.1
+ lr = 0.01
+ warmup = 100
metrics:
~ acc: last 0.85 -> 0.9 (+0.05), min 0.8 -> 0.9, max 0.85 -> 0.9
~ loss: last 0.3 -> 0.2 (-0.1), min 0.3 -> 0.2, max 0.5 -> 0.2
- power: last 5
+ val_loss: last 0.41
tags:
- team = cv
+ team = nlp
artifacts:
A model/extra.txt
D model/vocab.txt
M model/weights.bin"

t "diff: reversed, the signs turn"
cd "$T/cmp"
run_mlt diff cand base
expect_rc 1
expect_out_contains "- lr = 0.01
+ lr = 0.1
- warmup = 100
metrics:
~ acc: last 0.9 -> 0.85 (-0.05), min 0.9 -> 0.8, max 0.9 -> 0.85"
expect_out_contains "+ power: last 5
- val_loss: last 0.41"
expect_out_contains "artifacts:
D model/extra.txt
A model/vocab.txt
M model/weights.bin"

t "diff --json: params, metrics with delta_last, tags, artifacts with change and digests"
cd "$T/cmp"
run_mlt --json diff base cand
expect_rc 1
expect_json_valid
expect_json .a "$BASE"
expect_json .b "$CAND"
expect_json .equal false
expect_json .attributes '[{"key":"status","a":"FINISHED","b":"FAILED"}]'
expect_json .params '[{"key":"lr","a":"0.1","b":"0.01"},{"key":"warmup","a":null,"b":"100"}]'
expect_json '[.metrics[].key]' '["acc","loss","power","val_loss"]'
expect_json '.metrics[1].a' '{"last":0.3,"min":0.3,"max":0.5,"count":2}'
expect_json '.metrics[1].b' '{"last":0.2,"min":0.2,"max":0.2,"count":1}'
expect_json '.metrics[1].delta_last | . * 1000 | round' -100
expect_json '.metrics[0].delta_last | . * 1000 | round' 50
expect_json '.metrics[2] | [.a.last, .b, has("delta_last")]' '[5,null,false]'
expect_json '.metrics[3] | [.a, .b.last, has("delta_last")]' '[null,0.41,false]'
expect_json .tags '[{"key":"team","a":"cv","b":"nlp"}]'
expect_json '[.artifacts[] | [.path, .change]]' '[["model/extra.txt","added"],["model/vocab.txt","removed"],["model/weights.bin","modified"]]'
w1="sha256:$(sha256sum "$T/files/a/weights.bin" | cut -c1-64)"
w2="sha256:$(sha256sum "$T/files/b/weights.bin" | cut -c1-64)"
vocab="sha256:$(sha256sum "$T/files/a/vocab.txt" | cut -c1-64)"
extra="sha256:$(sha256sum "$T/files/b/extra.txt" | cut -c1-64)"
expect_json '.artifacts[2] | [.a, .b]' "[\"$w1\",\"$w2\"]"
expect_json '.artifacts[1] | [.a, .b]' "[\"$vocab\",null]"
expect_json '.artifacts[0] | [.a, .b]' "[null,\"$extra\"]"

t "diff: experiment and exit code are attributes; mlt run's command tag differs"
new_project wrapped
MLT_NOW_MS=$T0_MS run_mlt run -n ok --no-git -- true
expect_rc 0
MLT_NOW_MS=$T0_MS run_mlt run -n bad -e other --no-git -- sh -c 'exit 3'
expect_rc 3
run_mlt diff ok bad
expect_rc 1
expect_out_contains "attributes:
- exit_code = 0
+ exit_code = 3
- experiment = Default
+ experiment = other
- status = FINISHED
+ status = FAILED
tags:
- mlt.source.command = true
+ mlt.source.command = sh -c 'exit 3'"
expect_out_not_contains "params:"
expect_out_not_contains "metrics:"
expect_out_not_contains "artifacts:"
run_mlt --json diff ok bad
expect_json '[.attributes[].key]' '["exit_code","experiment","status"]'
expect_json '[.tags[].key]' '["mlt.source.command"]'

t "diff: a NaN last value equals NaN; a changed count alone is no difference"
new_project nans
must_mlt run start -q -n p --no-git >/dev/null
must_mlt run start -q -n q --no-git >/dev/null
must_mlt log metric --run p --step 0 --time 1 m=1 g=nan >/dev/null
must_mlt log metric --run q --step 0 --time 1 m=1 g=nan >/dev/null
must_mlt log metric --run q --step 1 --time 2 m=1 >/dev/null
run_mlt diff p q
expect_rc 0
must_mlt log metric --run q --step 1 --time 2 g=2 >/dev/null
run_mlt diff p q
expect_rc 1
expect_out_contains "~ g: last nan -> 2 "
expect_out_contains ", min nan -> 2, max nan -> 2"

t "diff: an unknown run exits 4; other than two runs exits 2"
cd "$T/cmp"
run_mlt diff base nosuchrun
expect_rc 4
run_mlt diff base
expect_rc 2
run_mlt diff base twin cand
expect_rc 2
run_mlt diff
expect_rc 2

# ---------------------------------------------------------------------------------------------
# mlt compare

t "compare two runs: differing rows first, the best metric marked '*'"
cd "$T/cmp"
run_mlt compare base cand
expect_rc 0
expect_err_contains "no best marked for power: whether higher or lower is better is not known from the name"
expect_out_eq "KEY               $(sid "$BASE") base  $(sid "$CAND") cand
status            FINISHED       FAILED
duration          5.0s           8.0s
params.lr         0.1            0.01
params.warmup     -              100
metrics.acc       0.85           0.9 *
metrics.loss      0.3            0.2 *
metrics.power     5              -
metrics.val_loss  -              0.41 *
params.bs         32             32
metrics.epochs    10             10
metrics.f1        0.7            0.7"

t "compare three runs: lower is better for losses, higher for accuracies, unknown names unmarked; NaN and missing never best; ties go left"
cd "$T/cmp"
run_mlt compare base cand third
expect_rc 0
expect_out_eq "KEY               $(sid "$BASE") base  $(sid "$CAND") cand  $(sid "$THIRD") third
status            FINISHED       FAILED         RUNNING
duration          5.0s           8.0s           -
params.lr         0.1            0.01           0.001
params.warmup     -              100            -
metrics.acc       0.85           0.9            0.95 *
metrics.f1        0.7 *          0.7            0.6
metrics.loss      0.3            0.2 *          nan
metrics.power     5              -              3
metrics.val_loss  -              0.41 *         -
params.bs         32             32             32
metrics.epochs    10             10             10"

t "compare --json: runs in the order given; rows with values, differs and best"
cd "$T/cmp"
run_mlt --json compare third base cand
expect_rc 0
expect_json_valid
expect_json .runs "[\"$THIRD\",\"$BASE\",\"$CAND\"]"
expect_json '[.rows[].key]' '["status","duration","params.lr","params.warmup","metrics.acc","metrics.f1","metrics.loss","metrics.power","metrics.val_loss","params.bs","metrics.epochs"]'
expect_json '.rows[0]' '{"key":"status","values":["RUNNING","FINISHED","FAILED"],"differs":true,"best":null}'
expect_json '.rows[1].values' '[null,"5.0s","8.0s"]'
expect_json '.rows[3]' '{"key":"params.warmup","values":[null,null,"100"],"differs":true,"best":null}'
expect_json '.rows[4]' '{"key":"metrics.acc","values":["0.95","0.85","0.9"],"differs":true,"best":0,"goal":"higher"}'
expect_json '.rows[5]' '{"key":"metrics.f1","values":["0.6","0.7","0.7"],"differs":true,"best":1,"goal":"higher"}'
expect_json '.rows[6]' '{"key":"metrics.loss","values":["nan","0.3","0.2"],"differs":true,"best":2,"goal":"lower"}'
expect_json '.rows[7]' '{"key":"metrics.power","values":["3","5",null],"differs":true,"best":null,"goal":null}'
expect_json '.rows[8].best' 2
expect_json '.rows[9]' '{"key":"params.bs","values":["32","32","32"],"differs":false,"best":null}'
expect_json '.rows[10]' '{"key":"metrics.epochs","values":["10","10","10"],"differs":false,"best":null,"goal":null}'

t "compare: which way is better, from whole words of the key (split at _ . - / and camelCase)"
new_project dirs
must_mlt run start -q -n x --no-git >/dev/null
must_mlt run start -q -n y --no-git >/dev/null
KEYS="val_loss Train_Loss word_error_rate mse rmse mae perplexity wer cer latency_ms power accuracy f1 auc throughput bleu
  valLoss F1Score top1Acc train/acc eval.rouge-l inference-time tower answer lossless errorbar mapping acc_loss"
for k in $KEYS; do
  must_mlt log metric --run x --step 0 --time 1 "$k=1" >/dev/null
  must_mlt log metric --run y --step 0 --time 1 "$k=2" >/dev/null
done
run_mlt --json compare x y
expect_rc 0
expect_json '[.rows[] | select(.key | startswith("metrics.")) | "\(.key[8:])=\(.best)"] | join(" ")' \
  "F1Score=1 Train_Loss=0 acc_loss=0 accuracy=1 answer=null auc=1 bleu=1 cer=0 errorbar=null eval.rouge-l=1 f1=1 inference-time=0 latency_ms=0 lossless=null mae=0 mapping=null mse=0 perplexity=0 power=null rmse=0 throughput=1 top1Acc=1 tower=null train/acc=1 valLoss=0 val_loss=0 wer=0 word_error_rate=0"
expect_json '[.rows[] | select(.key == "metrics.power" or .key == "metrics.valLoss" or .key == "metrics.top1Acc") | .goal]' '[null,"higher","lower"]'
run_mlt compare x y
expect_rc 0
expect_err_contains "no best marked for answer, errorbar, lossless, mapping, power, tower:"
run_mlt -q compare x y
expect_rc 0
expect_err_empty

t "compare: NaN and +-inf are never best"
new_project infs
must_mlt run start -q -n a --no-git >/dev/null
must_mlt run start -q -n b --no-git >/dev/null
must_mlt run start -q -n c --no-git >/dev/null
must_mlt log metric --run a --step 0 --time 1 loss=-inf acc=inf >/dev/null
must_mlt log metric --run b --step 0 --time 1 loss=0.5 acc=0.7 >/dev/null
must_mlt log metric --run c --step 0 --time 1 loss=nan acc=0.6 >/dev/null
run_mlt --json compare a b c
expect_rc 0
expect_json '[.rows[] | select(.key | startswith("metrics.")) | "\(.key[8:])=\(.best)"] | join(" ")' "acc=1 loss=1"
must_mlt log metric --run b --step 1 --time 2 loss=inf acc=-inf >/dev/null
run_mlt --json compare a b c
expect_rc 0
expect_json '[.rows[] | select(.key | startswith("metrics.")) | "\(.key[8:])=\(.best)"] | join(" ")' "acc=2 loss=null"

t "compare --higher and --lower: per metric, repeatable or comma-separated; they win over the name"
cd "$T/dirs"
run_mlt --json compare x y --higher power --lower accuracy,metrics.tower --lower val_loss --higher f1
expect_rc 0
expect_json '[.rows[] | select(.key == "metrics.power" or .key == "metrics.accuracy" or .key == "metrics.tower" or .key == "metrics.val_loss" or .key == "metrics.f1") | "\(.key[8:])=\(.best)/\(.goal)"] | join(" ")' \
  "accuracy=0/lower f1=1/higher power=1/higher tower=0/lower val_loss=0/lower"
run_mlt compare x y --higher power --lower power
expect_rc 2
expect_out_empty
expect_err_contains "metric 'power' is given as both higher and lower is better"

t "compare: the settings compare.higher and compare.lower; flags win over them"
cd "$T/dirs"
must_mlt config set compare.lower "power, tower" >/dev/null
must_mlt config set compare.higher accuracy >/dev/null
run_mlt --json compare x y
expect_rc 0
expect_json '[.rows[] | select(.key == "metrics.power" or .key == "metrics.tower" or .key == "metrics.accuracy") | "\(.key[8:])=\(.best)"] | join(" ")' \
  "accuracy=1 power=0 tower=0"
run_mlt --json compare x y --higher power
expect_rc 0
expect_json '[.rows[] | select(.key == "metrics.power") | .best]' '[1]'
MLT_COMPARE_HIGHER=tower run_mlt --json compare x y
expect_rc 2
expect_err_contains "metric 'tower' is given as both higher and lower is better"
must_mlt config unset compare.lower >/dev/null
MLT_COMPARE_HIGHER=tower run_mlt --json compare x y
expect_rc 0
expect_json '[.rows[] | select(.key == "metrics.tower") | .best]' '[1]'
must_mlt config unset compare.higher >/dev/null

t "compare --color always: the best value in bold green"
cd "$T/cmp"
run_mlt --color always compare base cand
expect_rc 0
expect_out_contains $'\033[1;32m0.2 *\033[0m'
expect_out_contains $'\033[1;32m0.9 *\033[0m'
expect_out_not_contains $'\033[1;32m0.3'
run_mlt --color never compare base cand
expect_out_not_contains $'\033['

t "compare: fewer than two runs exits 2; an unknown run exits 4"
cd "$T/cmp"
run_mlt compare base
expect_rc 2
expect_out_empty
expect_err_contains "at least two runs"
run_mlt compare
expect_rc 2
run_mlt --json compare base
expect_rc 2
expect_err_json .error.code 2
run_mlt compare base nosuchrun
expect_rc 4

finish
