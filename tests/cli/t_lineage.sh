# t_lineage.sh: mlt lineage URI|REF|RUN [--format tree|json|dot] over a fixture graph made the way
# a user makes one: data versions tagged in git, a run with --input that saves a model with
# `mlt model save`, the model registered (and aliased). From a registry version, a model package
# (runs:/RUN/PATH), a data version and a run: upstream (what it came from: the package, the run,
# the data versions, the commits) and downstream (the runs that used a version, their packages,
# their registry versions); the JSON nodes and edges (checked with jq), the Graphviz text (rendered
# by `dot` when installed); unknown references (4), a bad --format (2), a graph without git.
# shellcheck disable=SC2164  # every cd goes into a directory this suite just created
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
command -v git >/dev/null 2>&1 || lib_die "git is required by this suite (Debian: apt-get install git)"
# the commands run by 'mlt run' call mlt by name
PATH="$(dirname "$MLT_BIN"):$PATH"
export PATH

# json_of ARG...: the stdout of `mlt --json ARG...` (for setup).
json_of() { "$MLT_BIN" --json "$@" </dev/null 2>/dev/null 3>&-; }

# field JSON EXPR: jq -r EXPR of a JSON text.
field() { printf '%s' "$1" | jq -r "$2" 2>/dev/null; }

# expect_line LINE: stdout has LINE as one whole line.
expect_line() {
  printf '%s\n' "$out" | grep -Fxq -- "$1" || fail "stdout has the line" "$(lib_show "$1")" "(no such line)"
}

# expect_nodes IDS...: the JSON graph on stdout has exactly these node ids (any order, no repeats).
expect_nodes() {
  local want
  want="$(printf '%s\n' "$@" | sort | jq -R . | jq -sc .)"
  expect_json '[.nodes[].id] | sort' "$want"
  expect_json '[.nodes[].id] | length == (unique | length)' true
}

# expect_edges "FROM|RELATION|TO"...: the JSON graph on stdout has exactly these edges.
expect_edges() {
  local want
  want="$(printf '%s\n' "$@" | sort | jq -R . | jq -sc .)"
  expect_json '[.edges[] | "\(.from)|\(.relation)|\(.to)"] | sort' "$want"
}

# expect_well_formed: the root is the first node, and every edge joins two nodes of the graph.
expect_well_formed() {
  expect_json '.root == .nodes[0].id' true
  expect_json '([.edges[] | .from, .to] - [.nodes[].id]) | length' 0
  expect_json '[.nodes[] | select((.id | type) != "string" or (.kind | type) != "string" or (.label | type) != "string")] | length' 0
  # ids as mlt-lineage(1) gives them for each kind
  expect_json '[.nodes[] | select(
      (.kind == "commit" and (.id | test("^commit:[0-9a-f]{40}$"))) or
      (.kind == "data" and (.id | test("^data:[A-Za-z0-9][A-Za-z0-9_.-]*@v[0-9]+$"))) or
      (.kind == "run" and (.id | test("^run:[0-9a-f]{32}$"))) or
      (.kind == "model" and (.id | test("^model:runs:/[0-9a-f]{32}/.+$"))) or
      (.kind == "registry" and (.id | test("^registry:.+/[0-9]+$"))) or
      (.kind == "deployment" and (.id | test("^deploy:.+#[0-9]+$"))) | not) | .id]' '[]'
}

# ---------------------------------------------------------------------------------------------
# The fixture: repository L; commit C1 with data versions train@v1 (a directory) and holdout@v1
# (a file); commit C2 with the run 'fit' (inputs train=train@v1, eval=holdout@v1) that saves the
# model, registered as churn/1 (alias champion); a run 'other' that used train@v1 too; train@v2
# made at C2 and used by nothing.
mkdir -p "$T/L"
cd "$T/L"
{ git init -q . && git symbolic-ref HEAD refs/heads/main &&
  git config user.name "Repo User" && git config user.email repo@example.com; } || lib_die "git init failed"
printf '/*\n!/.gitignore\n!/src/\n' >.gitignore
mkdir -p src && printf 'print("v1")\n' >src/train.py
{ git add .gitignore src && git commit -q -m one; } || lib_die "git commit failed"
C1=$(git rev-parse HEAD)
must_mlt -q init >/dev/null
mkdir data
printf 'id,x\n1,a\n2,b\n' >data/train.csv
printf 'notes\n' >data/notes.txt
printf 'id,x\n9,z\n' >eval.csv
[ "$(must_mlt data add data -n train)" = "train@v1" ] || lib_die "data add train failed"
[ "$(must_mlt data add eval.csv -n holdout)" = "holdout@v1" ] || lib_die "data add holdout failed"
printf 'print("v2")\n' >src/train.py
git commit -q -am two || lib_die "git commit failed"
C2=$(git rev-parse HEAD)
printf 'pickled weights\n' >model.pkl
run_mlt run -n fit --input train=train@v1 --input eval=holdout@v1 -- sh -c 'mlt model save model.pkl --flavor sklearn --python 3.11.2'
[ "$rc" = 0 ] || lib_die "the training run failed (exit $rc): $err"
RUN=$(field "$(json_of run show fit)" .id)
MURI="runs:/$RUN/model"
case "$out" in *"$MURI"*) ;; *) lib_die "mlt model save inside the run did not print $MURI: $out" ;; esac
[ "$(must_mlt registry register "$MURI" churn)" = "1" ] || lib_die "registry register failed"
must_mlt -q registry alias churn champion 1 >/dev/null
OTHER=$(must_mlt run start -n other)
must_mlt -q log input train@v1 --run other >/dev/null
must_mlt -q run end other >/dev/null
printf 'id,x\n1,a\n2,b\n3,c\n' >data/train.csv
[ "$(must_mlt data add data -n train)" = "train@v2" ] || lib_die "data add train v2 failed"
TD1=$(field "$(json_of data show train@v1)" .digest)
TD2=$(field "$(json_of data show train@v2)" .digest)
HD1=$(field "$(json_of data show holdout@v1)" .digest)
MDIG=$(field "$(json_of model show "$MURI")" .digest)
case "$MDIG" in sha256:*) ;; *) MDIG=$(field "$(json_of registry show churn/1)" .digest) ;; esac
{ [ -n "$RUN" ] && [ -n "$TD1" ] && [ -n "$HD1" ] && [ -n "$MDIG" ] && [ "$MDIG" != null ]; } ||
  lib_die "fixture values missing (run '$RUN', train@v1 '$TD1', holdout@v1 '$HD1', model '$MDIG')"
lib_fold_subshell_failures
if [ "$lib_test_failed" -gt 0 ]; then lib_die "fixture setup failed"; fi

N_REG="registry:churn/1"
N_MODEL="model:$MURI"
N_RUN="run:$RUN"
N_OTHER="run:$OTHER"
N_TRAIN="data:train@v1"
N_HOLD="data:holdout@v1"
N_C1="commit:$C1"
N_C2="commit:$C2"
# the whole upstream of the registry version (and of the run and the package)
UP_EDGES=("$N_MODEL|registered as|$N_REG" "$N_RUN|produced|$N_MODEL" "$N_TRAIN|input:train|$N_RUN"
  "$N_HOLD|input:eval|$N_RUN" "$N_C2|code|$N_RUN" "$N_C1|versioned at|$N_TRAIN" "$N_C1|versioned at|$N_HOLD")

# ---------------------------------------------------------------------------------------------
t "lineage models:/NAME/1 (tree): upstream the package, the run, its data versions and the commits"
cd "$T/L"
run_mlt lineage models:/churn/1
expect_rc 0
expect_err_empty
expect_out_match "^models:/churn/1  None  @champion
upstream:
"
expect_line "   <- $MURI  ${MDIG:0:19}  [registered as]"
expect_line "      <- run fit (${RUN:0:8})  FINISHED  [produced]"
expect_line "         <- train@v1  ${TD1:0:19}  [input:train]"
expect_line "         <- holdout@v1  ${HD1:0:19}  [input:eval]"
expect_line "            <- commit ${C1:0:12}  [versioned at]"
expect_line "         <- commit ${C2:0:12}  [code]"
expect_out_match $'\ndownstream:\n   \\(nothing recorded\\)$'
expect_out_lines 11
expect_out_not_contains "other"
expect_out_not_contains "train@v2"
for ref in models:/churn@champion models:/churn/latest models:/churn; do
  run_mlt lineage "$ref"
  expect_rc 0
  expect_out_match "^models:/churn/1  None  @champion"$'\n'
done

t "lineage --format json: the root, nodes with ids, kinds and attributes, edges from/to/relation"
cd "$T/L"
run_mlt lineage models:/churn/1 --format json
expect_rc 0
expect_json_valid
expect_json .root "$N_REG"
expect_well_formed
expect_nodes "$N_REG" "$N_MODEL" "$N_RUN" "$N_TRAIN" "$N_HOLD" "$N_C1" "$N_C2"
expect_edges "${UP_EDGES[@]}"
expect_json '[.nodes[] | [.id, .kind]] | sort_by(.[0]) | map(.[1])' \
  "$(printf '%s\n' "commit $N_C1" "commit $N_C2" "data $N_HOLD" "data $N_TRAIN" "model $N_MODEL" "registry $N_REG" "run $N_RUN" |
    sort -k2 | cut -d' ' -f1 | jq -R . | jq -sc .)"
expect_json ".nodes[] | select(.id == \"$N_REG\") | [.label, .uri, .stage, .aliases, .digest]" "[\"models:/churn/1\",\"models:/churn/1\",\"None\",\"champion\",\"$MDIG\"]"
expect_json ".nodes[] | select(.id == \"$N_MODEL\") | [.label, .uri, .digest]" "[\"$MURI\",\"$MURI\",\"$MDIG\"]"
expect_json ".nodes[] | select(.id == \"$N_RUN\") | [.run_id, .name, .status]" "[\"$RUN\",\"fit\",\"FINISHED\"]"
expect_json ".nodes[] | select(.id == \"$N_TRAIN\") | [.label, .ref, .digest, .commit]" "[\"train@v1\",\"train@v1\",\"$TD1\",\"$C1\"]"
expect_json ".nodes[] | select(.id == \"$N_C2\") | [.label, .commit]" "[\"commit ${C2:0:12}\",\"$C2\"]"
json_a="$out"
run_mlt --json lineage models:/churn/1
expect_rc 0
expect_eq "--json lineage is --format json" "$json_a" "$out"
run_mlt --json lineage models:/churn/1 --format dot          # --json wins over --format
expect_rc 0
expect_eq "--json lineage --format dot is --format json" "$json_a" "$out"

t "lineage --format dot: a digraph with every node and edge; dot -Tsvg renders it (when graphviz is installed)"
cd "$T/L"
run_mlt lineage models:/churn/1 --format dot
expect_rc 0
expect_eq "the first line" "digraph lineage {" "$(printf '%s\n' "$out" | head -n 1)"
expect_eq "the last line" "}" "$(printf '%s\n' "$out" | tail -n 1)"
for e in "${UP_EDGES[@]}"; do
  IFS='|' read -r from rel to <<<"$e"
  expect_line "  \"$from\" -> \"$to\" [label=\"$rel\"];"
done
expect_eq "edge lines" "${#UP_EDGES[@]}" "$(printf '%s\n' "$out" | grep -c -- ' -> ')"
for n in "$N_REG" "$N_MODEL" "$N_RUN" "$N_TRAIN" "$N_HOLD" "$N_C1" "$N_C2"; do
  expect_out_match "
  \"$n\" \\[label=\"[^\"]+\", shape=[a-z0-9]+(, penwidth=2)?\\];"
done
expect_out_contains "\"$N_REG\" [label=\"models:/churn/1\\n${MDIG:0:19}\", shape=note, penwidth=2];"
expect_eq "nodes drawn bold (the root only)" 1 "$(printf '%s\n' "$out" | grep -c 'penwidth=2')"
cp "$T/.lib/stdout" "$T/graph.dot"
if command -v dot >/dev/null 2>&1; then
  run_cmd dot -Tsvg "$T/graph.dot"
  expect_rc 0
  expect_err_empty
  expect_out_contains "<svg"
  expect_out_contains "models:/churn/1"
else
  echo "note: graphviz 'dot' is not installed; rendering the dot output skipped"
fi

t "lineage from a data version: upstream its commit; downstream the runs that used it, the model, the registry version"
cd "$T/L"
run_mlt lineage train@v1
expect_rc 0
expect_out_match "^train@v1  ${TD1:0:19}
upstream:
   <- commit ${C1:0:12}  \\[versioned at\\]
downstream:
"
expect_line "   -> run fit (${RUN:0:8})  FINISHED  [input:train]"
expect_line "      -> $MURI  ${MDIG:0:19}  [produced]"
expect_line "         -> models:/churn/1  None  @champion  [registered as]"
expect_line "   -> run other (${OTHER:0:8})  FINISHED  [input]"
expect_out_lines 8
expect_out_not_contains "holdout"                  # a sibling input is neither up- nor downstream
expect_out_not_contains "${C2:0:12}"               # nor is the run's code commit
run_mlt --json lineage train@v1
expect_json .root "$N_TRAIN"
expect_well_formed
expect_nodes "$N_TRAIN" "$N_C1" "$N_RUN" "$N_OTHER" "$N_MODEL" "$N_REG"
expect_edges "$N_C1|versioned at|$N_TRAIN" "$N_TRAIN|input:train|$N_RUN" "$N_TRAIN|input|$N_OTHER" \
  "$N_RUN|produced|$N_MODEL" "$N_MODEL|registered as|$N_REG"
run_mlt --json lineage "train@sha256:${TD1:7:10}"
expect_rc 0
expect_json .root "$N_TRAIN"
run_mlt --json lineage holdout@latest
expect_rc 0
expect_json .root "$N_HOLD"
expect_edges "$N_C1|versioned at|$N_HOLD" "$N_HOLD|input:eval|$N_RUN" "$N_RUN|produced|$N_MODEL" "$N_MODEL|registered as|$N_REG"

t "lineage of a data version nothing used: its commit upstream, nothing downstream"
cd "$T/L"
run_mlt lineage train@latest
expect_rc 0
expect_out_eq "train@v2  ${TD2:0:19}
upstream:
   <- commit ${C2:0:12}  [versioned at]
downstream:
   (nothing recorded)"
run_mlt --json lineage train@v2
expect_nodes "data:train@v2" "$N_C2"
expect_edges "$N_C2|versioned at|data:train@v2"

t "lineage from a run (name, id prefix, full id): upstream inputs and commits, downstream the package and registry version"
cd "$T/L"
for ref in fit "${RUN:0:8}" "$RUN"; do
  run_mlt --json lineage "$ref"
  expect_rc 0
  expect_json .root "$N_RUN"
  expect_well_formed
  expect_nodes "$N_RUN" "$N_TRAIN" "$N_HOLD" "$N_C1" "$N_C2" "$N_MODEL" "$N_REG"
  expect_edges "${UP_EDGES[@]}"
done
run_mlt lineage fit
expect_rc 0
expect_out_match "^run fit \\(${RUN:0:8}\\)  FINISHED
upstream:
"
expect_line "   <- train@v1  ${TD1:0:19}  [input:train]"
expect_line "      <- commit ${C1:0:12}  [versioned at]"
expect_line "   <- commit ${C2:0:12}  [code]"
expect_out_match "
downstream:
   -> $MURI  ${MDIG:0:19}  \\[produced\\]
      -> models:/churn/1  None  @champion  \\[registered as\\]\$"
expect_out_not_contains "other"
run_mlt --json lineage other
expect_nodes "$N_OTHER" "$N_TRAIN" "$N_C1" "$N_C2"
expect_edges "$N_TRAIN|input|$N_OTHER" "$N_C1|versioned at|$N_TRAIN" "$N_C2|code|$N_OTHER"

t "lineage runs:/RUN/PATH (by id and by run name): the package as root"
cd "$T/L"
for ref in "$MURI" "runs:/fit/model" "runs:/${RUN:0:8}/model/"; do
  run_mlt --json lineage "$ref"
  expect_rc 0
  expect_json .root "$N_MODEL"
  expect_well_formed
  expect_nodes "$N_MODEL" "$N_RUN" "$N_TRAIN" "$N_HOLD" "$N_C1" "$N_C2" "$N_REG"
  expect_edges "${UP_EDGES[@]}"
done
run_mlt lineage "$MURI"
expect_out_match "^$MURI  ${MDIG:0:19}
upstream:
   <- run fit \\(${RUN:0:8}\\)  FINISHED  \\[produced\\]
"
expect_out_match "
downstream:
   -> models:/churn/1  None  @champion  \\[registered as\\]\$"

t "a package registered again (and under another name): every registry version is downstream"
cd "$T/L"
must_mlt -q registry register "$MURI" churn >/dev/null
must_mlt -q registry register "$MURI" fraud >/dev/null
must_mlt -q registry stage churn 2 production >/dev/null
run_mlt --json lineage "$MURI"
expect_rc 0
expect_nodes "$N_MODEL" "$N_RUN" "$N_TRAIN" "$N_HOLD" "$N_C1" "$N_C2" "$N_REG" "registry:churn/2" "registry:fraud/1"
expect_json '[.edges[] | select(.relation == "registered as") | .to] | sort' '["registry:churn/1","registry:churn/2","registry:fraud/1"]'
expect_json '.nodes[] | select(.id == "registry:churn/2") | .stage' Production
run_mlt lineage train@v1
expect_line "         -> models:/churn/2  Production  [registered as]"
expect_line "         -> models:/fraud/1  None  [registered as]"
run_mlt --json lineage models:/churn/2
expect_json .root registry:churn/2
expect_nodes "registry:churn/2" "$N_MODEL" "$N_RUN" "$N_TRAIN" "$N_HOLD" "$N_C1" "$N_C2"
run_mlt lineage models:/churn/2 --format dot
expect_out_contains "\\nProduction\""

t "removed registry versions and deleted runs stay in the graph, unmarked (mlt-lineage(1))"
cd "$T/L"
must_mlt -q registry register "$MURI" temp >/dev/null
must_mlt -q registry rm temp/1 >/dev/null
run_mlt model show models:/temp/1
expect_rc 4
run_mlt --json lineage "$MURI"
expect_rc 0
expect_well_formed
expect_json '.nodes[] | select(.id == "registry:temp/1") | [.uri, .stage]' '["models:/temp/1","None"]'
expect_json '[.edges[] | select(.to == "registry:temp/1") | .relation]' '["registered as"]'
run_mlt lineage models:/temp/1                              # it cannot be named any more
expect_rc 4
must_mlt -q run rm other >/dev/null
run_mlt --json lineage train@v1
expect_rc 0
expect_json "[.nodes[] | select(.id == \"$N_OTHER\") | .status]" '["FINISHED"]'
run_mlt --json lineage other                                  # a deleted run is still found by name
expect_rc 0
expect_json .root "$N_OTHER"
must_mlt -q run restore other >/dev/null

t "a deployment of a registry version is downstream of it, of its package, run and data"
cd "$T/L"
run_mlt deploy create staging models:/churn/1 --target docker -o "$T/dep1"
expect_rc 0
expect_out_eq "1"
run_mlt lineage models:/churn/1
expect_rc 0
expect_out_match $'\ndownstream:\n   -> deployment staging revision 1  \\[deployed\\]$'
run_mlt --json lineage models:/churn/1
expect_rc 0
expect_well_formed
expect_json '[.nodes[] | select(.kind == "deployment") | [.label, .env, .revision, .target, .digest]]' \
  "[[\"deployment staging revision 1\",\"staging\",\"1\",\"docker\",\"$MDIG\"]]"
expect_json '[.edges[] | select(.relation == "deployed") | .from]' "[\"$N_REG\"]"
run_mlt lineage train@v1
expect_line "            -> deployment staging revision 1  [deployed]"
run_mlt --json lineage fit
expect_well_formed
expect_json '[.nodes[] | select(.kind == "deployment") | .label]' '["deployment staging revision 1"]'
run_mlt --json lineage models:/churn/2                      # another version: not its deployment
expect_json '[.nodes[] | select(.kind == "deployment")]' '[]'

t "unknown references exit 4; bad references and a bad --format exit 2; no project 3"
cd "$T/L"
for ref in models:/nope/1 models:/churn/9 models:/churn@nope nope@v1 train@v9 "train@sha256:0000000000" \
  runs:/fit/nothere runs:/ffffffff/model no-such-run; do
  run_mlt lineage "$ref"
  expect_rc 4
  expect_out_empty
done
run_mlt --json lineage nope@v1
expect_rc 4
expect_err_json .error.code 4
for ref in train@x "train@sha256:ab" "models:/a b/1"; do
  run_mlt lineage "$ref"
  expect_rc 2
done
run_mlt lineage models:/churn/1 --format bogus
expect_rc 2
expect_out_empty
expect_err_contains "bogus"
run_mlt lineage
expect_rc 2
mkdir -p "$T/noproj"
cd "$T/noproj"
run_mlt lineage fit
expect_rc 3

t "--json with a bad --format still exits 2 (as 'mlt --json runs --format xml' does): --json wins over a valid format only"
cd "$T/L"
run_mlt --json lineage models:/churn/1 --format bogus
expect_rc 2
expect_out_empty
expect_err_json .error.code 2

t "outside git: a run without inputs has nothing up- or downstream; a data version has no commit"
if git -C "$T" rev-parse --git-dir >/dev/null 2>&1; then
  echo "note: the scratch directory is inside a git repository; case skipped"
else
  mkdir -p "$T/ng"
  cd "$T/ng"
  must_mlt -q init >/dev/null
  must_mlt -q run -n lonely -- true >/dev/null
  run_mlt lineage lonely
  expect_rc 0
  expect_out_match "^run lonely \\([0-9a-f]{8}\\)  FINISHED
upstream:
   \\(nothing recorded\\)
downstream:
   \\(nothing recorded\\)\$"
  run_mlt --json lineage lonely
  expect_json '[(.nodes | length), .edges]' '[1,[]]'
  printf 'x\n' >x.csv
  must_mlt -q data add x.csv -n x >/dev/null
  must_mlt -q run -n user --input x@v1 -- true >/dev/null
  run_mlt --json lineage x@v1
  expect_rc 0
  expect_json '[.nodes[] | .kind] | sort' '["data","run"]'
  expect_json '[.edges[] | .relation]' '["input"]'
  expect_json '.nodes[0] | has("commit")' false
fi

finish
