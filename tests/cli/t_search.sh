# t_search.sh: the filter language end to end, on golden data. A fixed set of 30 runs with known
# params, metrics (several points, NaN, missing keys), tags, statuses, deleted runs and two
# experiments, on a pinned clock; then, for each filter and order, the exact names and order of
# the runs that `mlt runs` returns (null handling, OR/NOT precedence, LIKE/ILIKE, IN, params as
# numbers or text, aggregates, times, deleted runs, -e, -n, several -s), --columns in table, CSV
# and TSV, and the errors (exit 2, with a caret under the column).
# shellcheck disable=SC2164  # every cd goes into a directory this suite just created
# shellcheck disable=SC2016  # backticks in single quotes are filter syntax, not commands
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# expect_names "NAME..." ARG...: in the golden project, `mlt --json runs ARG...` exits 0 and lists
# exactly these runs, in this order (names joined with single spaces; "" for none).
expect_names() {
  local want="$1" got
  shift
  cd "$T/s"
  run_mlt --json runs "$@"
  expect_rc 0
  got="$(jq_out '[.runs[].name] | join(" ")')" || got="(stdout is not {\"runs\": [...]})"
  expect_eq "run names, in order" "$want" "$got"
}

# expect_caret TEXT COL: stderr shows TEXT on a line of its own, and a caret under column COL.
expect_caret() {
  local pad
  pad="$(printf '%*s' $(($2 - 1)) '')"
  expect_err_contains "
  $1
  $pad^"
}

# ---------------------------------------------------------------------------------------------
# The golden data: 30 runs in two experiments, started one minute apart on a pinned clock (run N
# at T0 + N min), each ended N seconds after it started (unless still running). Columns:
#   N | name | experiment | params | tags | metrics (key=v0;v1;... by step) | status | del
# Three runs are deleted; 29 and 30 are wrapped commands (exit 0 and 3, duration 0).
GOLDEN='
1|base-sgd|vision|lr=0.1,opt=sgd,bs=32|team=cv|loss=0.9;0.7;0.6 acc=0.70|finished|
2|base-adam|vision|lr=0.01,opt=adam,bs=32|team=cv|loss=0.8;0.5;0.55 acc=0.80|finished|
3|wide-adam|vision|lr=0.001,opt=adam,bs=64|team=cv|loss=0.7;0.4;0.45;0.42 acc=0.85|finished|
4|deep-adam|vision|lr=1e-3,opt=Adam,bs=128|team=CV|loss=0.6;0.35 acc=0.88|finished|
5|deep-adamw|vision|lr=3e-4,opt=adamw,bs=128|team=cv|loss=0.5;0.3;0.32 acc=0.90|finished|
6|nan-run|vision|lr=1,opt=sgd,bs=32|team=cv|loss=0.9;nan acc=nan|failed|
7|all-nan|vision|lr=10,opt=sgd,bs=16||loss=nan;nan|failed|
8|no-metrics|vision|lr=0.1,opt=ADAM,bs=32|team=cv||killed|
9|no-params|vision||team=cv|loss=0.65 acc=0.75|finished|
10|auto-lr|vision|lr=auto,opt=adam,bs=32|team=cv|loss=0.4;0.38 acc=0.86|finished|
11|bert-base|nlp|lr=2e-5,opt=adamw,bs=16|team=nlp|loss=2.0;1.5;1.2;1.1;1.05 acc=0.60|finished|
12|bert-large|nlp|lr=1e-5,opt=adamw,bs=8|team=nlp|loss=2.2;1.4;1.0 acc=0.65|finished|
13|gpt-tiny|nlp|lr=0.0005,opt=adam,bs=64|team=nlp|loss=3.0;2.5 acc=0.40|running|
14|gpt-small|nlp|lr=5e-4,opt=Adam,bs=64|team=NLP|loss=2.8;2.1;2.4 acc=0.45|running|
15|t5-base|nlp|lr=0.001,opt=adafactor,bs=32|team=nlp|loss=1.8;1.3 acc=0.55|finished|
16|lstm|nlp|lr=0.5,opt=sgd,bs=32.0||loss=1.5;1.6;1.7 acc=0.30|failed|
17|rnn-nan|nlp|lr=0.05,opt=sgd,bs=32|team=nlp|loss=1.2;nan;1.0 acc=0.35|finished|
18|cnn-small|vision|lr=0.02,opt=sgd,bs=256|team=cv|loss=0.75 acc=0.78|finished|
19|cnn-large|vision|lr=0.02,opt=momentum,bs=256|team=cv|loss=0.72;0.71 acc=0.79|finished|
20|vit-base|vision|lr=5e-4,opt=adamw,bs=512|team=cv|loss=0.55;0.33;0.31 acc=0.91|finished|
21|vit-huge|vision|lr=1e-4,opt=adamw,bs=1024|team=cv|loss=0.5;0.29 acc=0.93|finished|
22|vit_tiny|vision|lr=1e-3,opt=adam_w,bs=64|team=cv|loss=0.6 acc=0.80|finished|
23|vitXtiny|vision|lr=1e-3,opt=adamXw,bs=64|team=cv|loss=0.61 acc=0.81|finished|
24|ViT-Mixed|vision|lr=1e-3,opt=adam,bs=64|team=cv|loss=0.59 acc=0.82|finished|
25|del-one|vision|lr=0.1,opt=sgd,bs=32|team=cv|loss=0.1 acc=0.99|finished|del
26|del-two|nlp|lr=0.01,opt=adam,bs=16|team=nlp|loss=nan|failed|del
27|del-three|vision||||running|del
28|seed-run|vision|lr=0.1,opt=sgd,bs=32,seed=42|team=cv|loss=0.62;0.58 acc=0.77|finished|
'
MIN=60000
declare -A ID   # run name -> full id

t "setup: 30 golden runs"

new_project s
while IFS='|' read -r n name exp params tags metrics status del; do
  [ -n "$n" ] || continue
  start=$((T0_MS + n * MIN))
  args=(run start -q -n "$name" -e "$exp" --no-git)
  IFS=',' read -r -a kvs <<<"$params"
  for kv in "${kvs[@]}"; do args+=(-p "$kv"); done
  IFS=',' read -r -a kvs <<<"$tags"
  for kv in "${kvs[@]}"; do args+=(-t "$kv"); done
  ID[$name]=$(MLT_NOW_MS=$start must_mlt "${args[@]}")
  # one mlt log metric per step, with every key that has a value at that step
  read -r -a series <<<"$metrics"
  for step in 0 1 2 3 4; do
    pts=()
    for s in "${series[@]}"; do
      IFS=';' read -r -a vals <<<"${s#*=}"
      [ "$step" -lt "${#vals[@]}" ] && pts+=("${s%%=*}=${vals[$step]}")
    done
    [ "${#pts[@]}" -gt 0 ] || break
    must_mlt log metric --run "$name" --step "$step" --time $((start + step)) "${pts[@]}" >/dev/null
  done
  [ "$status" = running ] || MLT_NOW_MS=$((start + n * 1000)) must_mlt -q run end "$name" --status "$status" >/dev/null
  [ "$del" = del ] && must_mlt -q run rm "$name" >/dev/null
done <<<"$GOLDEN"
MLT_NOW_MS=$((T0_MS + 29 * MIN)) must_mlt run -n ok-wrapped -e vision -p lr=0.3 --no-git -- \
  sh -c 'mlt log metric --step 0 loss=0.66 acc=0.7' >/dev/null
MLT_NOW_MS=$((T0_MS + 30 * MIN)) run_mlt run -n bad-wrapped -e nlp -p lr=0.3 --no-git -- sh -c 'exit 3'
expect_rc 3
for name in ok-wrapped bad-wrapped; do
  ID[$name]=$(must_mlt --json run show "$name" | jq -r .id)
done
run_mlt --json runs --all
expect_json '.runs | length' 30
expect_json '[.runs[] | select(.lifecycle == "deleted") | .name]' '["del-three","del-two","del-one"]'
expect_json '[.runs[] | select(.name == "rnn-nan") | .metrics.loss | .last, .min, .max, .count]' '[1,1,1.2,3]'
expect_json '[.runs[] | select(.name == "bad-wrapped") | .exit_code, .status]' '[3,"FAILED"]'

# ---------------------------------------------------------------------------------------------
# Golden filters and orders: the expected lists were worked out from the table above and the
# semantics of mlt-runs(1), newest first unless -s says otherwise.
t "golden: last value below a threshold"
expect_names 'vit-huge vit-base auto-lr deep-adamw deep-adam wide-adam' \
  -f 'metrics.loss < 0.5'
t "golden: missing metric matches IS NULL"
expect_names 'bad-wrapped no-metrics' \
  -f 'metrics.loss IS NULL'
t "golden: missing metric IS NULL, deleted runs included"
expect_names 'bad-wrapped del-three no-metrics' \
  --all -f 'metrics.loss IS NULL'
t "golden: NaN last value: present, fails every comparison"
expect_names 'all-nan nan-run' \
  -f 'metrics.loss IS NOT NULL AND NOT metrics.loss >= -inf'
t "golden: NaN and missing fail != too"
expect_names 'ok-wrapped seed-run ViT-Mixed vitXtiny vit-huge vit-base cnn-large cnn-small rnn-nan lstm t5-base gpt-small gpt-tiny bert-large bert-base auto-lr no-params deep-adamw deep-adam wide-adam base-sgd' \
  -f 'metrics.acc != 0.8'
t "golden: NOT of a comparison matches NaN and missing"
expect_names 'bad-wrapped rnn-nan lstm gpt-small gpt-tiny no-metrics all-nan nan-run' \
  -f 'NOT metrics.acc >= 0.5'
t "golden: count() of a missing metric is 0"
expect_names 'bad-wrapped no-metrics all-nan' \
  -f 'count(metrics.acc) = 0'
t "golden: count() counts NaN points"
expect_names 'vit-base rnn-nan lstm gpt-small bert-large bert-base deep-adamw wide-adam base-adam base-sgd' \
  -f 'count(metrics.loss) >= 3'
t "golden: min() and last together (ended worse than its best)"
expect_names 'vit-base deep-adamw' \
  -f 'min(metrics.loss) < 0.35 AND metrics.loss > 0.3'
t "golden: max() over the history"
expect_names 'gpt-small gpt-tiny' \
  -f 'max(metrics.loss) >= 2.5'
t "golden: min() ignores NaN points"
expect_names 'nan-run' \
  -f 'min(metrics.loss) = 0.9'
t "golden: numeric param: 0.001 and 1e-3 are one number"
expect_names 'ViT-Mixed vitXtiny vit_tiny t5-base deep-adam wide-adam' \
  -f 'params.lr = 0.001'
t "golden: quoted param compares as text"
expect_names 't5-base wide-adam' \
  -f "params.lr = '0.001'"
t "golden: numeric param range"
expect_names 'vit-huge vit-base gpt-small gpt-tiny bert-large bert-base deep-adamw' \
  -f 'params.lr < 1e-3 AND params.lr > 0'
t "golden: param as text: byte order"
expect_names 'bad-wrapped ok-wrapped ViT-Mixed vitXtiny vit_tiny vit-huge vit-base lstm gpt-small bert-large bert-base auto-lr all-nan nan-run deep-adamw deep-adam' \
  -f "params.lr > '0.1'"
t "golden: numeric param: a text value fails, as if missing"
expect_names 'bad-wrapped ok-wrapped seed-run ViT-Mixed vitXtiny vit_tiny vit-huge vit-base cnn-large cnn-small rnn-nan lstm t5-base gpt-small gpt-tiny bert-large bert-base no-metrics all-nan nan-run deep-adamw deep-adam wide-adam base-adam base-sgd' \
  -f 'params.lr >= 0'
t "golden: IN with numbers compares as numbers"
expect_names 'seed-run ViT-Mixed vitXtiny vit_tiny t5-base no-metrics deep-adam wide-adam base-sgd' \
  -f 'params.lr IN (0.1, 1E-3)'
t "golden: IN with a string compares as text, numbers as written"
expect_names 'seed-run auto-lr no-metrics base-sgd' \
  -f "params.lr IN (0.1, 'auto')"
t "golden: numeric = matches 32.0"
expect_names 'seed-run rnn-nan lstm t5-base auto-lr no-metrics nan-run base-adam base-sgd' \
  -f 'params.bs = 32'
t "golden: text = does not match 32.0"
expect_names 'seed-run rnn-nan t5-base auto-lr no-metrics nan-run base-adam base-sgd' \
  -f "params.bs = '32'"
t "golden: NOT IN excludes runs lacking the key"
expect_names 'vitXtiny vit_tiny cnn-large t5-base gpt-small no-metrics deep-adam' \
  -f "params.opt NOT IN ('sgd', 'adam', 'adamw')"
t "golden: NOT (... IN ...) includes runs lacking the key"
expect_names 'bad-wrapped ok-wrapped vitXtiny vit_tiny cnn-large t5-base gpt-small no-params no-metrics deep-adam' \
  -f "NOT params.opt IN ('sgd', 'adam', 'adamw')"
t "golden: LIKE is case-sensitive"
expect_names 'ViT-Mixed vitXtiny vit_tiny vit-huge vit-base gpt-tiny bert-large bert-base auto-lr deep-adamw wide-adam base-adam' \
  -f "params.opt LIKE 'adam%'"
t "golden: ILIKE ignores case"
expect_names 'ViT-Mixed gpt-small gpt-tiny auto-lr no-metrics deep-adam wide-adam base-adam' \
  -f "params.opt ILIKE 'adam'"
t "golden: NOT ILIKE"
expect_names 'seed-run cnn-large cnn-small rnn-nan lstm all-nan nan-run base-sgd' \
  -f "params.opt NOT ILIKE '%a%'"
t "golden: LIKE with an escaped _"
expect_names 'vit_tiny' \
  -f 'params.opt LIKE "adam\\_%"'
t "golden: LIKE with _ as any character"
expect_names 'vitXtiny vit_tiny' \
  -f "attributes.name LIKE 'vit_tiny'"
t "golden: param IS NOT NULL"
expect_names 'seed-run' \
  -f 'params.seed IS NOT NULL'
t "golden: param IS NULL"
expect_names 'no-params' \
  -f 'params.lr IS NULL'
t "golden: tag ILIKE"
expect_names 'seed-run ViT-Mixed vitXtiny vit_tiny vit-huge vit-base cnn-large cnn-small auto-lr no-params no-metrics nan-run deep-adamw deep-adam wide-adam base-adam base-sgd' \
  -f "tags.team ILIKE 'CV'"
t "golden: tag missing"
expect_names 'bad-wrapped ok-wrapped lstm all-nan' \
  -f 'tags.team IS NULL'
t "golden: tag !=: missing never matches"
expect_names 'rnn-nan t5-base gpt-small gpt-tiny bert-large bert-base deep-adam' \
  -f "tags.team != 'cv'"
t "golden: a OR b AND c is a OR (b AND c)"
expect_names 'seed-run vit-huge vit-base cnn-small rnn-nan lstm all-nan nan-run base-sgd' \
  -f "params.opt = 'sgd' OR params.opt = 'adamw' AND metrics.acc > 0.9"
t "golden: (a OR b) AND c"
expect_names 'vit-huge vit-base' \
  -f "(params.opt = 'sgd' OR params.opt = 'adamw') AND metrics.acc > 0.9"
t "golden: NOT a AND b is (NOT a) AND b"
expect_names 'bad-wrapped lstm gpt-small gpt-tiny' \
  -f "NOT attributes.status = 'FINISHED' AND attributes.experiment = 'nlp'"
t "golden: NOT (a AND b)"
expect_names 'bad-wrapped rnn-nan lstm t5-base gpt-small gpt-tiny bert-large bert-base no-metrics all-nan nan-run' \
  -f "NOT (attributes.status = 'FINISHED' AND attributes.experiment = 'vision')"
t "golden: keywords in any case, aliases"
expect_names 'cnn-large' \
  -f "Metric.loss < 1 and NOT run.STATUS = 'finished' or param.opt == 'momentum'"
t "golden: status compares ignoring case; IN too"
expect_names 'bad-wrapped lstm no-metrics all-nan nan-run' \
  -f "attributes.status IN ('failed', 'Killed')"
t "golden: run_name ILIKE"
expect_names 'ViT-Mixed vitXtiny vit_tiny vit-huge vit-base' \
  -f "attributes.run_name ILIKE 'vit%'"
t "golden: run_name LIKE"
expect_names 'vitXtiny vit_tiny vit-huge vit-base' \
  -f "attributes.run_name LIKE 'vit%'"
t "golden: start_time between two UTC times"
expect_names 'ok-wrapped seed-run ViT-Mixed vitXtiny vit_tiny vit-huge vit-base' \
  -f "attributes.start_time >= '2023-11-14T22:33:20' AND attributes.start_time < '2023-11-14 22:43:20Z'"
t "golden: start_time in epoch ms"
expect_names 'wide-adam base-adam base-sgd' \
  -f 'attributes.start_time <= 1700000180000'
t "golden: duration in ms; running runs lack it"
expect_names 'bad-wrapped ok-wrapped seed-run ViT-Mixed vitXtiny vit_tiny vit-huge' \
  -f 'attributes.duration > 20000 OR attributes.duration < 1000'
t "golden: end_time IS NULL: running"
expect_names 'gpt-small gpt-tiny' \
  -f 'attributes.end_time IS NULL'
t "golden: end_time IS NULL: running, deleted included"
expect_names 'del-three gpt-small gpt-tiny' \
  --all -f 'attributes.end_time IS NULL'
t "golden: exit_code"
expect_names 'bad-wrapped' \
  -f 'attributes.exit_code != 0'
t "golden: experiment and a metric"
expect_names 'rnn-nan bert-large bert-base' \
  -f "attributes.experiment = 'nlp' AND metrics.loss <= 1.05"
t "golden: backtick and double-quoted names"
expect_names 'vit-huge vit-base deep-adamw' \
  -f 'metrics.`loss` < 0.4 AND params."opt" = "adamw"'
t "golden: deleted runs only"
expect_names 'del-two del-one' \
  --deleted -f 'metrics.loss IS NOT NULL'
t "golden: all runs: numeric param"
expect_names 'seed-run del-one no-metrics base-sgd' \
  --all -f 'params.lr = 0.1'
t "golden: -e: one experiment"
expect_names 't5-base bert-large bert-base' \
  -e nlp -f 'metrics.acc > 0.5'
t "golden: an empty filter matches every run"
expect_names 'bad-wrapped ok-wrapped seed-run ViT-Mixed vitXtiny vit_tiny vit-huge vit-base cnn-large cnn-small rnn-nan lstm t5-base gpt-small gpt-tiny bert-large bert-base auto-lr no-params no-metrics all-nan nan-run deep-adamw deep-adam wide-adam base-adam base-sgd' \
  -f ''
t "golden: -s metrics.loss: numbers, then NaN, then missing"
expect_names 'vit-huge vit-base deep-adamw deep-adam auto-lr wide-adam base-adam seed-run ViT-Mixed vit_tiny base-sgd vitXtiny no-params ok-wrapped cnn-large cnn-small rnn-nan bert-large bert-base t5-base lstm gpt-small gpt-tiny all-nan nan-run bad-wrapped no-metrics' \
  -s metrics.loss
t "golden: -s \"metrics.loss DESC\": numbers, then NaN, then missing"
expect_names 'gpt-tiny gpt-small lstm t5-base bert-base rnn-nan bert-large cnn-small cnn-large ok-wrapped no-params vitXtiny vit_tiny base-sgd ViT-Mixed seed-run base-adam wide-adam auto-lr deep-adam deep-adamw vit-base vit-huge all-nan nan-run bad-wrapped no-metrics' \
  -s 'metrics.loss DESC'
t "golden: -s metrics.acc DESC -s metrics.loss -n 8 (ties broken by the second key)"
expect_names 'vit-huge vit-base deep-adamw deep-adam auto-lr wide-adam ViT-Mixed vitXtiny' \
  -s 'metrics.acc DESC' -s metrics.loss -n 8
t "golden: -s \"params.lr DESC\": numbers, then text, then missing"
expect_names 'all-nan nan-run lstm bad-wrapped ok-wrapped seed-run no-metrics base-sgd rnn-nan cnn-large cnn-small auto-lr no-params' \
  -f "params.lr > 0.01 OR params.lr IS NULL OR params.lr = 'auto'" -s 'params.lr DESC'
t "golden: -s \"params.lr DESC\" in one experiment"
expect_names 'lstm bad-wrapped rnn-nan t5-base gpt-small gpt-tiny bert-base bert-large' \
  -e nlp -s 'params.lr DESC'
t "golden: -s params.opt -s \"attributes.name DESC\""
expect_names 'no-metrics gpt-small deep-adam t5-base wide-adam gpt-tiny base-adam auto-lr ViT-Mixed vitXtiny vit_tiny vit-huge vit-base deep-adamw bert-large bert-base cnn-large seed-run rnn-nan nan-run lstm cnn-small base-sgd all-nan ok-wrapped no-params bad-wrapped' \
  -s params.opt -s 'attributes.name DESC'
t "golden: -s \"count(metrics.loss) DESC\" -n 6"
expect_names 'bert-base wide-adam vit-base rnn-nan lstm gpt-small' \
  -s 'count(metrics.loss) DESC' -n 6
t "golden: -s min(metrics.loss) -f ... -n 5"
expect_names 'vit-huge deep-adamw vit-base deep-adam auto-lr' \
  -f 'attributes.status = "FINISHED"' -s 'min(metrics.loss)' -n 5
t "golden: -s attributes.name (byte order)"
expect_names 'ViT-Mixed all-nan auto-lr bad-wrapped base-adam base-sgd bert-base bert-large cnn-large cnn-small deep-adam deep-adamw gpt-small gpt-tiny lstm nan-run no-metrics no-params ok-wrapped rnn-nan seed-run t5-base vit-base vit-huge vitXtiny vit_tiny wide-adam' \
  -s attributes.name
t "golden: -s \"attributes.duration DESC\": running runs last"
expect_names 'rnn-nan lstm t5-base bert-large bert-base bad-wrapped gpt-small gpt-tiny' \
  -s 'attributes.duration DESC' -f 'attributes.experiment = "nlp"'
t "golden: --all -s metrics.loss -n 3"
expect_names 'del-one vit-huge vit-base' \
  --all -s metrics.loss -n 3
t "golden: --deleted -s \"metrics.loss DESC\""
expect_names 'del-one del-two del-three' \
  --deleted -s 'metrics.loss DESC'
t "golden: -s tags.team"
expect_names 'gpt-small rnn-nan t5-base gpt-tiny bert-large bert-base bad-wrapped lstm' \
  -s tags.team -f 'attributes.experiment = "nlp"'
t "golden: -n without -s: the newest"
expect_names 'bad-wrapped ok-wrapped seed-run' \
  -n 3

# ---------------------------------------------------------------------------------------------
# --columns: the chosen keys, in table, CSV and TSV, exact

COLS='params.lr,metrics.loss,min(metrics.loss),max(metrics.loss),count(metrics.acc),attr.status,tags.team,attributes.duration,attributes.start_time,metrics.acc'
PICK="params.opt = 'sgd' AND attributes.experiment = 'vision' OR attributes.name IN ('no-params', 'gpt-tiny', 'bad-wrapped', 'all-nan')"
sid() { printf '%s' "${ID[$1]:0:8}"; }

t "runs --columns (table): canonical headers, short numbers, local times, '-' for missing"
cd "$T/s"
run_mlt runs -f "$PICK" -s metrics.loss --columns "$COLS"
expect_rc 0
expect_err_empty
expect_out_eq "ID        NAME         params.lr  metrics.loss  min(metrics.loss)  max(metrics.loss)  count(metrics.acc)  attributes.status  tags.team  attributes.duration  attributes.start_time    metrics.acc
$(sid seed-run)  seed-run     0.1        0.58          0.58               0.62               1                   FINISHED           cv         28.0s                2023-11-14 22:41:20 UTC  0.77
$(sid base-sgd)  base-sgd     0.1        0.6           0.6                0.9                1                   FINISHED           cv         1.0s                 2023-11-14 22:14:20 UTC  0.7
$(sid no-params)  no-params    -          0.65          0.65               0.65               1                   FINISHED           cv         9.0s                 2023-11-14 22:22:20 UTC  0.75
$(sid cnn-small)  cnn-small    0.02       0.75          0.75               0.75               1                   FINISHED           cv         18.0s                2023-11-14 22:31:20 UTC  0.78
$(sid gpt-tiny)  gpt-tiny     0.0005     2.5           2.5                3                  1                   RUNNING            nlp        -                    2023-11-14 22:26:20 UTC  0.4
$(sid all-nan)  all-nan      10         nan           nan                nan                0                   FAILED             -          7.0s                 2023-11-14 22:20:20 UTC  -
$(sid nan-run)  nan-run      1          nan           0.9                0.9                1                   FAILED             cv         6.0s                 2023-11-14 22:19:20 UTC  nan
$(sid bad-wrapped)  bad-wrapped  0.3        -             -                  -                  0                   FAILED             -          0ms                  2023-11-14 22:43:20 UTC  -"

t "runs --columns --format csv: full ids, full numbers, RFC 3339, ms, empty for missing"
cd "$T/s"
run_mlt runs -f "$PICK" -s metrics.loss --columns "$COLS" --format csv
expect_rc 0
expect_out_eq "id,name,params.lr,metrics.loss,min(metrics.loss),max(metrics.loss),count(metrics.acc),attributes.status,tags.team,attributes.duration,attributes.start_time,metrics.acc
${ID[seed-run]},seed-run,0.1,0.58,0.58,0.62,1,FINISHED,cv,28000,2023-11-14T22:41:20.000Z,0.77
${ID[base-sgd]},base-sgd,0.1,0.6,0.6,0.9,1,FINISHED,cv,1000,2023-11-14T22:14:20.000Z,0.7
${ID[no-params]},no-params,,0.65,0.65,0.65,1,FINISHED,cv,9000,2023-11-14T22:22:20.000Z,0.75
${ID[cnn-small]},cnn-small,0.02,0.75,0.75,0.75,1,FINISHED,cv,18000,2023-11-14T22:31:20.000Z,0.78
${ID[gpt-tiny]},gpt-tiny,0.0005,2.5,2.5,3,1,RUNNING,nlp,,2023-11-14T22:26:20.000Z,0.4
${ID[all-nan]},all-nan,10,nan,nan,nan,0,FAILED,,7000,2023-11-14T22:20:20.000Z,
${ID[nan-run]},nan-run,1,nan,0.9,0.9,1,FAILED,cv,6000,2023-11-14T22:19:20.000Z,nan
${ID[bad-wrapped]},bad-wrapped,0.3,,,,0,FAILED,,0,2023-11-14T22:43:20.000Z,"

t "runs --columns --format tsv"
cd "$T/s"
run_mlt runs -f "$PICK" -s "metrics.loss DESC" -n 3 --columns "param.lr, count(metrics.loss),run.name" --format tsv
expect_rc 0
tab=$'\t'
expect_out_eq "id${tab}name${tab}params.lr${tab}count(metrics.loss)${tab}attributes.name
${ID[gpt-tiny]}${tab}gpt-tiny${tab}0.0005${tab}2${tab}gpt-tiny
${ID[cnn-small]}${tab}cnn-small${tab}0.02${tab}1${tab}cnn-small
${ID[no-params]}${tab}no-params${tab}${tab}1${tab}no-params"

t "runs --columns: JSON output ignores it and holds whole run documents"
cd "$T/s"
run_mlt runs -f "attributes.name = 'seed-run'" --columns params.lr --format json
expect_rc 0
expect_json '[.runs[].name]' '["seed-run"]'
expect_json '.runs[0].params.seed' 42
expect_json '.runs[0].metrics.loss.count' 2

t "runs --columns: a name that needs quoting is shown in backticks; the table rounds, CSV does not"
new_project cols
must_mlt run start -q -n precise --no-git -p "batch size=64" -t "owner name=ada" >/dev/null
must_mlt log metric --run precise --step 0 --time 1 "val loss=0.123456789" big=1234567890123 >/dev/null
run_mlt runs --columns 'metrics.`val loss`,params."batch size",tags.`owner name`,metrics.big' --format csv
expect_rc 0
expect_out_match $'^id,name,metrics.`val loss`,params.`batch size`,tags.`owner name`,metrics.big\n[0-9a-f]{32},precise,0.123456789,64,ada,1234567890123$'
run_mlt runs -f 'metrics."val loss" > 0.1234567 AND metrics.`val loss` < 0.1234568' --columns 'metrics.`val loss`'
expect_rc 0
expect_out_contains "metrics.\`val loss\`"
expect_out_contains "0.123457"
expect_out_not_contains "0.123456789"

# ---------------------------------------------------------------------------------------------
# No match, and errors

t "runs -f with no match: table says so on stderr; JSON []; CSV the header only"
cd "$T/s"
run_mlt runs -f "metrics.loss < 0"
expect_rc 0
expect_out_empty
expect_err_contains "no runs match the filter"
expect_names "" -f "metrics.loss < 0"
run_mlt runs -f "metrics.loss < 0" --columns params.lr --format csv
expect_rc 0
expect_out_eq "id,name,params.lr"

t "runs -f: an invalid filter exits 2 before printing, with the column and a caret"
cd "$T/s"
run_mlt runs -f "metrics.loss < 0.3 AND params.lr ="
expect_rc 2
expect_out_empty
expect_err_contains "invalid filter at column 35: expected a value: a number or a 'quoted string'"
expect_caret "metrics.loss < 0.3 AND params.lr =" 35
run_mlt runs -f "params.opt = 'adam' AND (metrics.loss < 1 OR metrics.acc > 0.5"
expect_rc 2
expect_out_empty
expect_err_contains "invalid filter at column 63: expected ')'"
expect_caret "params.opt = 'adam' AND (metrics.loss < 1 OR metrics.acc > 0.5" 63
run_mlt runs -f "metrics.loss < 0.3 params.lr = 1"
expect_rc 2
expect_err_contains "column 20: expected AND, OR or the end of the filter"
expect_caret "metrics.loss < 0.3 params.lr = 1" 20

t "runs -f: each kind of invalid filter exits 2"
cd "$T/s"
for f in "params.seed = NULL" "metrics.loss LIKE '0.%'" "min(params.lr) < 1" "datasets.size = 'x'" \
  "foo.bar = 1" "attributes.colour = 'red'" "params.opt = 'adam" "metrics.loss = 'low'" "metrics.loss" \
  "NOT" "params.lr IN ()" "metrics.loss <> " "   "; do
  run_mlt runs -f "$f"
  expect_rc 2
  expect_out_empty
  expect_err_contains "invalid filter at column "
  expect_err_contains "  $f
"
done

t "runs -f: a value that does not suit its key exits 2, naming it"
cd "$T/s"
run_mlt runs -f "attributes.start_time > 'last tuesday'"
expect_rc 2
expect_out_empty
expect_err_contains "'last tuesday'"
run_mlt runs -f "attributes.duration > 'long'"
expect_rc 2
expect_err_contains "'long'"

t "runs --json -f BAD: the error is JSON on stderr, its message with the caret"
cd "$T/s"
run_mlt --json runs -f "metrics.loss <"
expect_rc 2
expect_out_empty
expect_err_json .error.code 2
expect_err_json .error.message "invalid filter at column 15: expected a value: a number or a 'quoted string'
  metrics.loss <
                ^"

t "runs -s: a bad order key exits 2 with a caret under the order key"
cd "$T/s"
run_mlt runs -s "metrics.loss SIDEWAYS"
expect_rc 2
expect_out_empty
expect_err_contains "invalid '-s' order key at column 14: expected ASC, DESC or the end of the order key"
expect_caret "metrics.loss SIDEWAYS" 14
run_mlt runs -s metrics.loss -s "min(params.lr)"
expect_rc 2
expect_err_contains "min() takes a metric"
run_mlt runs -s ""
expect_rc 2
run_mlt runs -s "metrics.loss DESC ASC"
expect_rc 2

t "runs --columns: a bad column exits 2 and shows that column"
cd "$T/s"
run_mlt runs --columns "params.lr,foo.x"
expect_rc 2
expect_out_empty
expect_err_contains "invalid '--columns' key at column 1: unknown key type 'foo'"
expect_caret "foo.x" 1

t "runs: -e of an unknown experiment exits 4, --all with --deleted exits 2"
cd "$T/s"
run_mlt runs -e nope -f "metrics.loss < 1"
expect_rc 4
run_mlt runs --all --deleted -f "metrics.loss < 1"
expect_rc 2

t "runs -e twice: runs of either experiment"
expect_names "ok-wrapped seed-run cnn-large cnn-small lstm no-params base-sgd" -e nlp -e vision -f "metrics.acc >= 0.7 AND metrics.acc < 0.8 OR metrics.acc = 0.3"

# ---------------------------------------------------------------------------------------------
# MLflow's spellings (issue 15): back-quoted prefixes, attributes without a prefix

t "MLflow: back-quoted prefixes in -f, -s and --columns"
expect_names 'vit-huge' -f '`metrics`.loss < 0.3'
expect_names 'vit-huge vit-base bert-large bert-base deep-adamw' -f '`params`.opt = '\''adamw'\'''
expect_names 'vit-huge vit-base' -f '`metric`.acc > 0.9'
expect_names 'gpt-small' -f '`tags`.team = '\''NLP'\'' AND `parameter`.bs = 64'
expect_names 'gpt-small gpt-tiny' -f '`attributes`.status = '\''RUNNING'\'''
expect_names 'vit-huge vit-base' -s '`metrics`.acc DESC' -n 2
cd "$T/s"
run_mlt runs -f "attributes.name = 'lstm'" --columns '`params`.lr,`run`.status' --format csv
expect_rc 0
expect_out_eq "id,name,params.lr,attributes.status
${ID[lstm]},lstm,0.5,FAILED"

t "MLflow: a back-quoted tag name after a back-quoted prefix"
new_project bq
must_mlt run start -q -n nb --no-git -t "source name=notebook" >/dev/null
must_mlt run start -q -n job --no-git -t "source name=job" >/dev/null
run_mlt --json runs -f '`tags`.`source name` = '\''notebook'\'''
expect_rc 0
expect_json '[.runs[].name]' '["nb"]'

t "MLflow: attributes without a prefix"
expect_names 'lstm' -f "run_name = 'lstm'"
expect_names 'gpt-small gpt-tiny' -f "status = 'RUNNING'"
expect_names 'lstm t5-base' -f "run_id IN ('${ID[t5-base]}', '${ID[lstm]}')"
expect_names 'gpt-small gpt-tiny' -f "end_time IS NULL AND user_id IS NOT NULL"
expect_names 'seed-run ViT-Mixed' -f "start_time >= $((T0_MS + 24 * MIN)) AND start_time <= $((T0_MS + 28 * MIN)) AND status != 'RUNNING'"
expect_names 'seed-run ViT-Mixed' -f "created >= $((T0_MS + 24 * MIN)) AND Created <= $((T0_MS + 28 * MIN))"
expect_names 'lstm' -f '`Run name` = '\''lstm'\'''
expect_names 'ViT-Mixed all-nan auto-lr' -s run_name -n 3
expect_names 'lstm' -f "experiment = 'nlp' AND exit_code IS NULL AND status = 'failed'"

t "MLflow: an unknown name without a prefix is an error that suggests the prefixes"
cd "$T/s"
run_mlt runs -f "lr = 0.1"
expect_rc 2
expect_out_empty
expect_err_contains "invalid filter at column 1: unknown attribute 'lr'"
expect_err_contains "did you mean params.lr, metrics.lr or tags.lr?"
run_mlt runs -f "metrics.loss < 1 AND stauts = 'FINISHED'"
expect_rc 2
expect_err_contains "column 22: unknown attribute 'stauts'"
expect_err_contains "did you mean 'status'?"
run_mlt runs -f "artifact_uri LIKE 'file:%'"
expect_rc 2
expect_err_contains "no artifact_uri"

t "LIKE: a backslash makes only the next % or _ literal"
new_project esc
must_mlt run start -q -n plain --no-git -p opt=adamw -p 'path=C:temp' >/dev/null
must_mlt run start -q -n slash --no-git -p 'opt=adam\w' -p 'path=C:\temp\data' >/dev/null
must_mlt run start -q -n pct --no-git -p 'opt=50%' -p 'path=C:\%x' >/dev/null
esc_names() {
  run_mlt --json runs -f "$1"
  expect_rc 0
  expect_eq "runs matching $1" "$2" "$(jq_out '[.runs[].name] | join(" ")')"
}
esc_names 'params.opt LIKE '\''adam\w'\''' 'slash'
esc_names 'params.opt ILIKE '\''ADAM\W'\''' 'slash'
esc_names 'params.path LIKE '\''C:\temp%'\''' 'slash'
esc_names 'params.path LIKE '\''C:\temp\data'\''' 'slash'
esc_names 'params.opt LIKE '\''50\%'\''' 'pct'
esc_names 'params.path LIKE '\''C:\\\\%'\''' 'pct slash'
esc_names 'params.path LIKE '\''C:\\\\\%x'\''' 'pct'
esc_names 'params.opt LIKE '\''adam_'\''' 'plain'

# ---------------------------------------------------------------------------------------------
# Hostile nesting (issue 15): an error naming the column, never a crash

t "a filter of 20,000 NOTs or 20,000 parentheses exits 2 with the column, not a stack overflow"
cd "$T/s"
nots="$(printf 'NOT %.0s' $(seq 20000))metrics.loss < 1"
run_mlt runs -f "$nots"
expect_rc 2
expect_err_contains "invalid filter at column 81: NOT and parentheses nest more than 20 deep"
[ "${#err}" -lt 1000 ] || fail "the message is short" "< 1000 bytes" "${#err} bytes"
parens="$(printf '(%.0s' $(seq 20000))metrics.loss < 1$(printf ')%.0s' $(seq 20000))"
run_mlt runs -f "$parens"
expect_rc 2
expect_err_contains "invalid filter at column 21: NOT and parentheses nest more than 20 deep"
run_mlt check "$parens" --run lstm
expect_rc 2
aggs="$(printf 'min(%.0s' $(seq 20000))metrics.loss$(printf ')%.0s' $(seq 20000)) < 1"
run_mlt runs -f "$aggs"
expect_rc 2
expect_err_contains "cannot be nested"

t "20 nested NOTs or parentheses, and 1,500 conditions joined by AND or OR, still search"
expect_names 'vit-huge' -f "$(printf 'NOT %.0s' $(seq 20))metrics.loss < 0.3"
expect_names 'vit-huge' -f "$(printf '(%.0s' $(seq 20))metrics.loss < 0.3$(printf ')%.0s' $(seq 20))"
expect_names 'vit-huge' -f "$(printf 'metrics.acc > 0 AND (%.0s' $(seq 20))metrics.loss < 0.3$(printf ')%.0s' $(seq 20))"
expect_names 'vit-huge' -f "$(printf 'NOT (metrics.acc < 0 OR NOT (%.0s' $(seq 5))metrics.loss < 0.3$(printf '))%.0s' $(seq 5))"
many="metrics.loss < 0.3$(printf ' AND metrics.loss < 0.3%.0s' $(seq 1499))"
expect_names 'vit-huge' -f "$many"
expect_names 'vit-huge' -f "metrics.loss < 0.3 AND (attributes.status = 'x'$(printf ' OR params.lr = 0.0001%.0s' $(seq 1499)))"

t "a filter that names more than 60 metrics, params and tags exits 2 naming the 61st"
cd "$T/s"
run_mlt runs -f "params.p0 IS NULL$(for i in $(seq 1 70); do printf ' AND params.p%d IS NULL' "$i"; done)"
expect_rc 2
expect_err_contains "invalid filter at column 1371: more than 60 different metrics, params and tags in one search ('params.p60')"
expect_err_not_contains "SELECT"
expect_names 'vit-huge' -f "metrics.loss < 0.3$(for i in $(seq 1 59); do printf ' AND params.p%d IS NULL' "$i"; done)"

finish
