# t_log.sh: mlt log param|metric|tag: targets (--run, $MLT_RUN_ID), steps and times, special
# values, immutable params, params files, input limits and validation.
# shellcheck disable=SC2164  # every cd goes into a directory this suite just created
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

new_project p
R=$(must_mlt run start -n target --no-git)
O=$(must_mlt run start -n other --no-git)

# ---------------------------------------------------------------------------------------------
t "log param/metric/tag --run RUN (by name, id and prefix)"
cd "$T/p"
run_mlt log param --run target lr=0.01 "optimizer=adam w"
expect_rc 0
expect_out_empty
expect_err_empty
run_mlt log metric --run "$R" --step 0 loss=0.5
expect_rc 0
expect_out_empty
run_mlt log tag --run "${R:0:6}" stage=dev
expect_rc 0
expect_out_empty
run_mlt --json run show target
expect_json .params '{"lr":"0.01","optimizer":"adam w"}'
expect_json .metrics.loss.last 0.5
expect_json .tags.stage dev
run_mlt --json run show other
expect_json .params '{}'
expect_json .metrics '{}'

t "log to \$MLT_RUN_ID when --run is not given; --run wins over it"
cd "$T/p"
MLT_RUN_ID="$O" run_mlt log param p=1
expect_rc 0
MLT_RUN_ID="$O" run_mlt log metric --step 0 m=2
expect_rc 0
MLT_RUN_ID="$O" run_mlt log tag t=3
expect_rc 0
MLT_RUN_ID="$O" run_mlt log tag --run target t=4
expect_rc 0
run_mlt --json run show other
expect_json .params '{"p":"1"}'
expect_json .metrics.m.last 2
expect_json .tags.t 3
run_mlt --json run show target
expect_json .tags.t 4

t "no run to log to: exit 2 with a hint"
cd "$T/p"
for kind in "param a=1" "metric a=1" "tag a=1"; do
  # shellcheck disable=SC2086
  run_mlt log $kind
  expect_rc 2
  expect_out_empty
  expect_err_contains "no run to log to"
  expect_err_contains "MLT_RUN_ID"
done

t "log to an unknown run exits 4"
cd "$T/p"
run_mlt log metric --run nosuchrun a=1
expect_rc 4
MLT_RUN_ID=0123456789abcdef0123456789abcdef run_mlt log param a=1
expect_rc 4
run_mlt log tag --run nosuchrun a=1
expect_rc 4

t "log with nothing to log or a bad flag exits 2"
cd "$T/p"
run_mlt log param --run target
expect_rc 2
run_mlt log metric --run target
expect_rc 2
run_mlt log tag --run target
expect_rc 2
run_mlt log metric --run target a=1 --bogus
expect_rc 2
run_mlt log
expect_rc 2
run_mlt log frob a=1
expect_rc 2

# ---------------------------------------------------------------------------------------------
t "log metric --step and --time are stored as given"
new_project steps
S=$(must_mlt run start -n s --no-git)
run_mlt log metric --run s --step 10 --time 1234 acc=0.5
expect_rc 0
run_mlt log metric --run "$S" --step 20 --time 5678 acc=0.75
expect_rc 0
run_mlt metrics s acc --format csv
expect_rc 0
expect_out_eq "key,step,time_ms,value
acc,10,1234,0.5
acc,20,5678,0.75"
run_mlt --json run show s
expect_json .metrics.acc.step 20
expect_json .metrics.acc.time_ms 5678
expect_json .metrics.acc.time "1970-01-01T00:00:05.678Z"

t "log metric without --time uses the clock (MLT_NOW_MS)"
cd "$T/steps"
MLT_NOW_MS=$((T0_MS + 42)) run_mlt log metric --run s --step 30 acc=1
expect_rc 0
run_mlt --json run show s
expect_json .metrics.acc.time_ms $((T0_MS + 42))
expect_json .metrics.acc.time "2023-11-14T22:13:20.042Z"

t "auto step: starts at 0 and increments per call"
cd "$T/steps"
for v in 1 2 3; do MLT_NOW_MS=$T0_MS must_mlt log metric --run s loss=$v >/dev/null; done
run_mlt metrics s loss --format csv
expect_out_eq "key,step,time_ms,value
loss,0,$T0_MS,1
loss,1,$T0_MS,2
loss,2,$T0_MS,3"

t "auto step: one past the last step of the keys logged together"
cd "$T/steps"
MLT_NOW_MS=$T0_MS must_mlt log metric --run s --step 7 other=1 >/dev/null
MLT_NOW_MS=$T0_MS run_mlt log metric --run s loss=4 other=2 fresh=3
expect_rc 0
run_mlt --json run show s
expect_json .metrics.loss.step 8
expect_json .metrics.other.step 8
expect_json .metrics.fresh.step 8
MLT_NOW_MS=$T0_MS run_mlt log metric --run s fresh=4
run_mlt --json run show s
expect_json .metrics.fresh.step 9
expect_json .metrics.fresh.count 2

t "log metric: several keys in one call share the step and time"
cd "$T/steps"
must_mlt run start -n multi --no-git >/dev/null
MLT_NOW_MS=$((T0_MS + 5)) run_mlt log metric --run multi --step 3 a=1 b=2 c=3
expect_rc 0
run_mlt metrics multi --format csv
expect_out_eq "key,step,time_ms,value
a,3,$((T0_MS + 5)),1
b,3,$((T0_MS + 5)),2
c,3,$((T0_MS + 5)),3"

t "log metric: bad --step / --time exit 2 and log nothing"
cd "$T/steps"
run_mlt log metric --run multi --step abc a=9
expect_rc 2
expect_err_contains "abc"
run_mlt log metric --run multi --step 1.5 a=9
expect_rc 2
run_mlt log metric --run multi --time -5 a=9
expect_rc 2
run_mlt log metric --run multi --time soon a=9
expect_rc 2
run_mlt log metric --run multi --step "" a=9
expect_rc 2
run_mlt log metric --run multi --time "" a=9
expect_rc 2
run_mlt --json run show multi
expect_json .metrics.a.count 1

# ---------------------------------------------------------------------------------------------
t "metric values: nan, inf, -inf are stored and shown faithfully"
new_project special
must_mlt run start -n sp --no-git >/dev/null
run_mlt log metric --run sp --step 0 --time 7 a=nan b=inf c=-inf
expect_rc 0
run_mlt log metric --run sp --step 1 --time 8 a=NaN b=Infinity c=-INF
expect_rc 0
run_mlt metrics sp --format csv
expect_rc 0
expect_out_eq "key,step,time_ms,value
a,0,7,nan
a,1,8,nan
b,0,7,inf
b,1,8,inf
c,0,7,-inf
c,1,8,-inf"
run_mlt metrics sp --format json
expect_rc 0
expect_json '[.metrics.a[] | [.value, .value_special]]' '[[null,"nan"],[null,"nan"]]'
expect_json '[.metrics.b[] | [.value, .value_special]]' '[[null,"inf"],[null,"inf"]]'
expect_json '[.metrics.c[] | [.value, .value_special]]' '[[null,"-inf"],[null,"-inf"]]'
run_mlt metrics sp
expect_out_match $'\na +0 +[^\n]+ +nan'
expect_out_match $'\nb +1 +[^\n]+ +inf'
expect_out_match $'\nc +1 +[^\n]+ +-inf'
run_mlt run show sp
expect_out_match $'\n  a +nan +'
expect_out_match $'\n  c +-inf +-inf +-inf +1 +2'

t "metric values: finite numbers round-trip exactly"
cd "$T/special"
must_mlt run start -n fin --no-git >/dev/null
run_mlt log metric --run fin --step 0 --time 1 pi=3.141592653589793 tiny=1e-300 neg=-0.5 big=1.7976931348623157e308 plus=+5 e=2E3 tenth=0.1
expect_rc 0
run_mlt metrics fin --format csv
expect_out_eq "key,step,time_ms,value
big,0,1,1.7976931348623157e+308
e,0,1,2000
neg,0,1,-0.5
pi,0,1,3.141592653589793
plus,0,1,5
tenth,0,1,0.1
tiny,0,1,1e-300"
run_mlt --json run show fin
expect_json .metrics.pi.last 3.141592653589793
expect_json .metrics.tenth.last 0.1

t "metric values: not a number exits 2 naming the key, nothing is logged"
cd "$T/special"
must_mlt run start -n badnum --no-git >/dev/null
for v in abc "" " 1" 1,5 0x10 1e999 --1 1_000 nanx; do
  run_mlt log metric --run badnum ok=1 "loss=$v"
  expect_rc 2
  expect_err_contains "metric 'loss'"
done
run_mlt --json run show badnum
expect_json .metrics '{}'

# ---------------------------------------------------------------------------------------------
t "params: the same value again is fine"
new_project params
must_mlt run start -n pr --no-git >/dev/null
run_mlt log param --run pr lr=0.1 layers=3
expect_rc 0
run_mlt log param --run pr lr=0.1
expect_rc 0
expect_err_empty
run_mlt --json run show pr
expect_json .params '{"layers":"3","lr":"0.1"}'

t "params: a different value exits 5 naming both values, and changes nothing"
cd "$T/params"
run_mlt log param --run pr lr=0.2 extra=1
expect_rc 5
expect_out_empty
expect_err_contains "param 'lr' is already '0.1', cannot change it to '0.2'"
run_mlt --json run show pr
expect_json .params '{"layers":"3","lr":"0.1"}'
run_mlt log param --run pr layers=03
expect_rc 5
expect_err_contains "'3'"
expect_err_contains "'03'"

t "params: one key twice with different values in one call exits 5"
cd "$T/params"
run_mlt log param --run pr z=1 z=2
expect_rc 5
expect_err_contains "'1'"
expect_err_contains "'2'"
run_mlt --json run show pr
expect_json '.params | has("z")' false

t "params: a value may contain '=' and be empty"
cd "$T/params"
run_mlt log param --run pr "expr=a=b" "empty="
expect_rc 0
run_mlt --json run show pr
expect_json .params.expr "a=b"
expect_json .params.empty ""

t "tags: may be set again to a new value"
cd "$T/params"
run_mlt log tag --run pr stage=dev
expect_rc 0
run_mlt log tag --run pr stage=prod
expect_rc 0
run_mlt --json run show pr
expect_json .tags.stage prod

# ---------------------------------------------------------------------------------------------
t "log param --file params.yaml: nested keys joined with dots"
cd "$T/params"
must_mlt run start -n fy --no-git >/dev/null
cat >"$T/params.yaml" <<'EOF'
model:
  layers: 3
  act: relu
  head:
    dropout: 0.1
optim:
  lr: 0.001
  betas: [0.9, 0.999]
name: "quoted value"
EOF
run_mlt log param --run fy -f "$T/params.yaml"
expect_rc 0
run_mlt --json run show fy
expect_json .params '{"model.act":"relu","model.head.dropout":"0.1","model.layers":"3","name":"quoted value","optim.betas":"[0.9,0.999]","optim.lr":"0.001"}'

t "log param --file params.json: nested keys joined with dots"
cd "$T/params"
must_mlt run start -n fj --no-git >/dev/null
cat >"$T/params.json" <<'EOF'
{"model": {"layers": 3, "act": "relu", "head": {"dropout": 0.1}},
 "optim": {"lr": 0.001},
 "flag": true,
 "name": "quoted value"}
EOF
run_mlt log param --run fj -f "$T/params.json"
expect_rc 0
run_mlt --json run show fj
expect_json .params '{"flag":"true","model.act":"relu","model.head.dropout":"0.1","model.layers":"3","name":"quoted value","optim.lr":"0.001"}'

t "log param --file FILE together with K=V, to \$MLT_RUN_ID"
cd "$T/params"
fb=$(must_mlt run start -n fb --no-git)
MLT_RUN_ID="$fb" run_mlt log param --file "$T/params.yaml" seed=7
expect_rc 0
run_mlt --json run show fb
expect_json '.params | length' 7
expect_json .params.seed 7
expect_json '.params["model.layers"]' 3

t "log param -f: a file that conflicts with logged params exits 5"
cd "$T/params"
must_mlt run start -n fc --no-git >/dev/null
must_mlt log param --run fc optim.lr=0.5 >/dev/null
run_mlt log param --run fc -f "$T/params.yaml"
expect_rc 5
expect_err_contains "'0.5'"
expect_err_contains "'0.001'"
run_mlt --json run show fc
expect_json .params '{"optim.lr":"0.5"}'

t "log param -f: malformed YAML exits 2 with file:line:col"
cd "$T"
printf 'a: 1\n  b: 2\n' >bad.yaml
run_mlt -C "$T/params" log param --run fy -f "$T/bad.yaml"
expect_rc 2
expect_err_match "$T/bad.yaml:2:[0-9]+: invalid YAML"
printf 'a: 1\nb: [1, 2\nc: 3\n' >bad2.yaml
run_mlt -C "$T/params" log param --run fy -f "$T/bad2.yaml"
expect_rc 2
expect_err_match "bad2.yaml:[0-9]+:[0-9]+: invalid YAML"

t "log param -f: malformed JSON exits 2 with file:line:col"
cd "$T"
printf '{"a": 1,\n "b": }\n' >bad.json
run_mlt -C "$T/params" log param --run fy -f "$T/bad.json"
expect_rc 2
expect_err_contains "$T/bad.json:2:7: invalid JSON"

t "log param -f: not a mapping, a missing file exit 2"
cd "$T/params"
printf -- '- 1\n- 2\n' >"$T/list.yaml"
run_mlt log param --run fy -f "$T/list.yaml"
expect_rc 2
expect_err_contains "list.yaml"
printf '[1, 2]\n' >"$T/list.json"
run_mlt log param --run fy -f "$T/list.json"
expect_rc 2
run_mlt log param --run fy -f "$T/nope.yaml"
expect_rc 2
expect_err_contains "$T/nope.yaml"
run_mlt --json run show fy
expect_json '.params | length' 6

# ---------------------------------------------------------------------------------------------
new_project limits
must_mlt run start -n lim --no-git >/dev/null
key250=$(printf 'k%.0s' $(seq 250))
key251=$(printf 'k%.0s' $(seq 251))
val64k=$(head -c 65536 /dev/zero | tr '\0' 'v')
val64k1="${val64k}v"

t "limits: a 250-byte key and a 64 KiB value are accepted"
cd "$T/limits"
run_mlt log param --run lim "$key250=$val64k"
expect_rc 0
run_mlt log tag --run lim "$key250=$val64k"
expect_rc 0
run_mlt log metric --run lim "$key250=1"
expect_rc 0
run_mlt --json run show lim
expect_json ".params[\"$key250\"] | length" 65536
expect_json ".tags[\"$key250\"] | length" 65536
expect_json ".metrics[\"$key250\"].last" 1

t "limits: a 251-byte key exits 2 naming the key (param, metric, tag)"
cd "$T/limits"
for kind in param metric tag; do
  run_mlt log $kind --run lim "$key251=1"
  expect_rc 2
  expect_err_contains "${key251:0:40}"
  expect_err_contains "251"
done

t "limits: a value over 64 KiB exits 2 naming the key (param, tag)"
cd "$T/limits"
for kind in param tag; do
  run_mlt log $kind --run lim "bigval=$val64k1"
  expect_rc 2
  expect_err_contains "'bigval'"
  expect_err_contains "65537"
done

t "validation: K=V without '=' exits 2 naming the argument"
cd "$T/limits"
for kind in param metric tag; do
  run_mlt log $kind --run lim noequals
  expect_rc 2
  expect_err_contains "'noequals'"
done

t "validation: an empty key exits 2"
cd "$T/limits"
for kind in param metric tag; do
  run_mlt log $kind --run lim =1
  expect_rc 2
  expect_err_contains "empty $kind key"
done

t "validation: invalid UTF-8 in a value exits 2 naming the key"
cd "$T/limits"
for kind in param tag; do
  run_mlt log $kind --run lim "utfval=$(printf 'ab\xffcd')"
  expect_rc 2
  expect_err_contains "'utfval'"
  expect_err_contains "UTF-8"
done

t "validation: invalid UTF-8 in a key exits 2 naming the key"
cd "$T/limits"
for kind in param metric tag; do
  run_mlt log $kind --run lim "$(printf 'badkey\xff')=1"
  expect_rc 2
  expect_err_contains "UTF-8"
  expect_err_contains "badkey"
done

t "validation: a control character in a key exits 2"
cd "$T/limits"
run_mlt log param --run lim "$(printf 'tab\tkey')=1"
expect_rc 2
expect_err_contains "control character"

t "validation: a rejected call logs nothing, not even its valid pairs"
cd "$T/limits"
run_mlt log param --run lim good=1 "$key251=1"
expect_rc 2
run_mlt log tag --run lim good=1 noequals
expect_rc 2
run_mlt log metric --run lim good=1 bad=x
expect_rc 2
run_mlt --json run show lim
expect_json '.params | has("good")' false
expect_json '.tags | has("good")' false
expect_json '.metrics | has("good")' false

t "validation: errors under --json are JSON with code 2"
cd "$T/limits"
run_mlt --json log metric --run lim loss=abc
expect_rc 2
expect_out_empty
expect_err_json .error.code 2
expect_err_json '.error.message | contains("loss")' true

# ---------------------------------------------------------------------------------------------
t "logging to a deleted run exits 5 (param, metric, tag, --run and MLT_RUN_ID)"
new_project deleted
D=$(must_mlt run start -n del --no-git)
must_mlt -q run rm del >/dev/null
for kind in param metric tag; do
  run_mlt log $kind --run del a=1
  expect_rc 5
  expect_err_contains "is deleted"
  expect_err_contains "mlt run restore"
  MLT_RUN_ID="$D" run_mlt log $kind a=1
  expect_rc 5
done
run_mlt --json run show del
expect_json .params '{}'
expect_json .metrics '{}'
expect_json '.tags | has("a")' false

t "logging to an ended run is allowed (late metrics)"
cd "$T/deleted"
must_mlt run start -n ended --no-git >/dev/null
must_mlt -q run end ended >/dev/null
run_mlt log metric --run ended late=1
expect_rc 0
run_mlt --json run show ended
expect_json .metrics.late.last 1
expect_json .status FINISHED

# ---------------------------------------------------------------------------------------------
# run_mlt_bounded ARG...: run_mlt with at most 2 GB of memory and 20 s of CPU, so that a
# regression (a stack overflow, an alias bomb expanding) fails fast instead of taking the machine.
# An AddressSanitizer build (scripts/sanitize.sh) reserves terabytes of address space for its
# shadow memory, so there the bound is ASan's own limit on resident memory, not 'ulimit -v'.
if grep -q __asan_init "$MLT_BIN" 2>/dev/null; then
  run_mlt_bounded() {
    run_cmd env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}hard_rss_limit_mb=2048" \
      bash -c 'ulimit -t 60; exec "$@"' bounded "$MLT_BIN" "$@"
    last_cmd="mlt $(printf '%q ' "$@") (bounded, ASan)"
  }
else
  run_mlt_bounded() {
    run_cmd bash -c 'ulimit -v 2097152; ulimit -t 20; exec "$@"' bounded "$MLT_BIN" "$@"
    last_cmd="mlt $(printf '%q ' "$@") (bounded)"
  }
fi

# nested N OPEN CLOSE: OPEN N times, a 1, CLOSE N times (one line, no newline).
nested() {
  local n="$1"
  awk -v n="$n" -v o="$2" -v c="$3" 'BEGIN { for (i = 0; i < n; i++) printf "%s", o; printf "1"; for (i = 0; i < n; i++) printf "%s", c }'
}

# alias_bomb: a "billion laughs" (9 levels of 9 aliases each: 9^9 strings) in under 1 KB.
alias_bomb() {
  local prev=a c k line
  printf 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
  for c in b c d e f g h i; do
    line="$c: &$c ["
    for k in 1 2 3 4 5 6 7 8 9; do line+="*$prev"; [ "$k" = 9 ] || line+=","; done
    printf '%s]\n' "$line"
    prev=$c
  done
}

t "log param -f: a file nested 100,000 deep exits 2 naming it (JSON and YAML), nothing logged"
new_project hostile
must_mlt run start -n h --no-git >/dev/null
{ printf '{"a": '; nested 100000 '{"k": ' '}'; printf '}\n'; } >"$T/deep.json"
{ printf 'a: '; nested 100000 '[' ']'; printf '\n'; } >"$T/deep.yaml"
{ printf 'a: '; nested 100000 '{k: ' '}'; printf '\n'; } >"$T/deepmap.yaml"
{ printf '{"ok": 1, "a": '; nested 100000 '[' ']'; printf '}\n'; } >"$T/deeplist.json"
for f in deep.json deep.yaml deepmap.yaml deeplist.json; do
  run_mlt_bounded log param --run h -f "$T/$f"
  expect_rc 2
  expect_err_match "$T/$f:1:[0-9]+: (JSON|YAML) nested more than 256 levels deep"
done
run_mlt --json run show h
expect_json .params '{}'

t "log param -f: a YAML alias bomb exits 2 at once naming the file; a self-referring alias too"
cd "$T/hostile"
alias_bomb >"$T/bomb.yaml"
expect_eq "the bomb is small" 1 "$([ "$(wc -c <"$T/bomb.yaml")" -lt 1000 ] && echo 1)"
run_mlt_bounded log param --run h -f "$T/bomb.yaml"
expect_rc 2
expect_err_match "$T/bomb.yaml:[0-9]+:[0-9]+: aliases expand to more than 100000 nodes"
printf 'a: &x [1, *x]\n' >"$T/cycle.yaml"
run_mlt_bounded log param --run h -f "$T/cycle.yaml"
expect_rc 2
expect_err_contains "$T/cycle.yaml:1:"
expect_err_contains "the alias '*x' refers to a node that contains it"
# aliases within the budget are expanded as before
printf 'base: &b {lr: 0.1, wd: 0}\nrun: *b\n' >"$T/alias.yaml"
run_mlt log param --run h -f "$T/alias.yaml"
expect_rc 0
run_mlt --json run show h
expect_json .params '{"base.lr":"0.1","base.wd":"0","run.lr":"0.1","run.wd":"0"}'

t "config: an alias bomb under an unknown key of .mlt/config.yaml exits 2 naming the file"
cd "$T/hostile"
{ printf 'zz:\n'; alias_bomb | sed 's/^/  /'; } >.mlt/config.yaml
run_mlt_bounded config set gc.grace 2d
expect_rc 2
expect_err_contains ".mlt/config.yaml:"
expect_err_contains "aliases expand to more than"
run_mlt_bounded log param --run h x=1
expect_rc 2
expect_err_contains ".mlt/config.yaml:"
rm .mlt/config.yaml

finish
