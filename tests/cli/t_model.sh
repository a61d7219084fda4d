# t_model.sh: model packages in MLflow's MLmodel format: mlt model import of MLflow-written models
# (the committed generated-models, and MLflow's own test models when $MLT_SHARED has them), then
# show, verify and get (byte-identical files, MLmodel equal but for the mlt block); mlt model save
# for every flavor (input examples, inferred and given signatures, requirements, settings,
# pinned uuid and time); verify after tampering with an export and with the object store; model ls;
# and bad input, conflicts, missing runs and packages, and no project.
# shellcheck disable=SC2164  # every cd goes into a directory this suite just created
# lib.sh keeps only MLT_BIN, MLT_EXAMPLE_TRAIN and MLT_SHARED: take MLT_FIXTURES before it runs.
model_fixtures="${MLT_FIXTURES:-$(dirname "$0")/../fixtures}"
model_fixtures="$(cd "$model_fixtures" 2>/dev/null && pwd -P)" || model_fixtures=""
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

if [ -z "$model_fixtures" ] || [ ! -d "$model_fixtures/mlflow/generated-models" ]; then
  lib_die "MLT_FIXTURES: no mlflow/generated-models below '${MLT_FIXTURES:-tests/fixtures}'"
fi
GEN="$model_fixtures/mlflow/generated-models"
EXPECTED="$GEN/expected.json"

# sha FILE: "sha256:<hex>" of FILE, as sha256sum computes it.
sha() { printf 'sha256:%s\n' "$(sha256sum <"$1" | cut -c1-64)"; }

# obj HEX: the object file of digest HEX in the project of the working directory.
obj() { printf '%s\n' "$PWD/.mlt/objects/${1:0:2}/${1:2}"; }

# flip_byte FILE OFFSET: invert every bit of one byte of FILE in place.
flip_byte() {
  local b
  chmod u+w "$1"
  b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
  # shellcheck disable=SC2059
  printf "$(printf '\\%03o' $((b ^ 255)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# files_of DIR: every file below DIR, relative, sorted, one a line.
files_of() { (cd "$1" && find . -type f | sed 's|^\./||' | LC_ALL=C sort); }

# expect_same_file WHAT EXPECTED-FILE ACTUAL-FILE: the two files are byte-identical.
expect_same_file() {
  if [ ! -f "$3" ] || [ -L "$3" ]; then
    fail "$1" "a regular file '$3' equal to '$2'" "$(ls -ld "$3" 2>&1)"
  elif ! cmp -s "$2" "$3"; then
    fail "$1" "'$3' byte-identical to '$2' ($(wc -c <"$2") bytes)" "$(cmp "$2" "$3" 2>&1 | head -n 1) ($(wc -c <"$3") bytes)"
  fi
}

# expect_same_tree WHAT EXPECTED-DIR ACTUAL-DIR: same files, same bytes (diff -r, links not followed).
expect_same_tree() {
  local d
  d="$(diff -r --no-dereference "$2" "$3" 2>&1)" || fail "$1" "no differences" "$(printf '%s' "$d" | head -n 10)"
}

# PyYAML reads MLmodel files as MLflow does; without it, YAML checks fall back to byte comparisons.
HAVE_PYYAML=0
if command -v python3 >/dev/null 2>&1 && python3 -c 'import yaml' >/dev/null 2>&1; then HAVE_PYYAML=1; fi
[ "$HAVE_PYYAML" = 1 ] || echo "note: python3 with PyYAML not available; YAML is compared byte for byte (sed) instead"

# yaml_json FILE: FILE read by PyYAML's safe_load (as MLflow reads it), as compact JSON with sorted keys.
yaml_json() {
  python3 -c 'import json, sys, yaml
print(json.dumps(yaml.safe_load(open(sys.argv[1], encoding="utf-8")), sort_keys=True, default=str))' "$1" 2>&1
}

# expect_mlmodel_equal_but_mlt WHAT EXPORTED ORIGINAL: the exported MLmodel says what the original says
# once its top-level 'mlt' key is removed (PyYAML), or without PyYAML: it is the original's bytes
# followed by the mlt block (sed '/^mlt:/,$d'). Either way it has exactly one 'mlt:' block.
expect_mlmodel_equal_but_mlt() {
  local n got
  n="$(grep -c '^mlt:' "$2")"
  [ "$n" = 1 ] || fail "$1: one top-level mlt: block" "1" "$n"
  if [ "$HAVE_PYYAML" = 1 ]; then
    got="$(python3 -c 'import sys, yaml
a = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
b = yaml.safe_load(open(sys.argv[2], encoding="utf-8"))
m = a.pop("mlt", None)
ok = isinstance(m, dict) and "files" in m and "mlt" not in b and a == b
print("equal" if ok else "differ: %r" % sorted(set(a) ^ set(b)))' "$2" "$3" 2>&1)"
    [ "$got" = equal ] || fail "$1: MLmodel without 'mlt' equals the original (PyYAML)" "equal" "$got"
  else
    sed '/^mlt:/,$d' "$2" | cmp -s - "$3" ||
      fail "$1: MLmodel up to 'mlt:' equals the original (bytes)" "equal" "$(sed '/^mlt:/,$d' "$2" | cmp - "$3" 2>&1)"
  fi
}

# LS: jq for the list of `mlt --json model ls`: {"models": [...]}, like `mlt --json runs`
LS='.models'

# nruns: the number of (not deleted) runs in the project of the working directory.
nruns() { "$MLT_BIN" --json runs </dev/null 2>/dev/null 3>&- | jq '.runs | length' 2>&1; }

# digest_of URI: the package digest `mlt model show --json` reports.
digest_of() { "$MLT_BIN" --json model show "$1" </dev/null 2>/dev/null 3>&- | jq -r .digest 2>&1; }

# ---------------------------------------------------------------------------------------------
# The models to import: MODEL_NAMES in order, MODEL_DIR[NAME] their directories. The generated
# models are committed; MLflow's own test models are read from $MLT_SHARED when it has them (each
# folder holding an MLmodel that is not inside another such folder).
MODEL_NAMES=(sklearn_linreg pyfunc_minimal)
declare -A MODEL_DIR=([sklearn_linreg]="$GEN/sklearn_linreg" [pyfunc_minimal]="$GEN/pyfunc_minimal")
SHARED_MODELS="${MLT_SHARED:+$MLT_SHARED/fixtures/mlflow/models}"
HAVE_SHARED=0
if [ -n "$SHARED_MODELS" ] && [ -d "$SHARED_MODELS" ]; then
  SHARED_MODELS="$(cd "$SHARED_MODELS" && pwd -P)"
  accepted=()
  while IFS= read -r d; do
    inner=0
    for a in "${accepted[@]}"; do case "$d/" in "$a"/*) inner=1 ;; esac; done
    [ "$inner" = 1 ] && continue             # an MLmodel inside another model (langchain's metadata/)
    accepted+=("$d")
    name="shared_$(printf '%s' "${d#"$SHARED_MODELS"/}" | tr -c 'A-Za-z0-9._-' '_')"
    MODEL_NAMES+=("$name")
    MODEL_DIR[$name]="$d"
  done < <(find "$SHARED_MODELS" -name MLmodel -type f -exec dirname {} \; | LC_ALL=C sort)
  unset accepted inner name a d
  [ "${#MODEL_NAMES[@]}" -gt 2 ] && HAVE_SHARED=1
fi
if [ "$HAVE_SHARED" = 1 ]; then
  echo "note: MLflow's own test models: ${MODEL_NAMES[*]:2}"
else
  echo "note: ${SHARED_MODELS:-\$MLT_SHARED/fixtures/mlflow/models} not found; the cases with MLflow's own test models are skipped"
fi

# model inputs for save
S="$T/src"
mkdir -p "$S/gen/sub" "$S/sm/variables" "$S/km/variables" "$S/onnx2" "$S/onnxext" "$S/notsm"
head -c 700 /dev/urandom >"$S/model.pkl"
head -c 300 /dev/urandom >"$S/weights.pth"
head -c 400 /dev/urandom >"$S/model.onnx"
printf '{"learner": {"name": "gbtree"}}\n' >"$S/booster.json"
printf 'tree\nversion=v4\n' >"$S/booster.txt"
head -c 200 /dev/urandom >"$S/lgbm.pkl"
head -c 250 /dev/urandom >"$S/net.keras"
head -c 260 /dev/urandom >"$S/net.h5"
printf 'pb\n' >"$S/sm/saved_model.pb"
printf 'index\n' >"$S/sm/variables/variables.index"
printf 'pb\n' >"$S/km/saved_model.pb"
printf 'km\n' >"$S/km/keras_metadata.pb"
printf 'v\n' >"$S/km/variables/variables.index"
printf 'alpha\n' >"$S/gen/a.txt"
head -c 100 /dev/urandom >"$S/gen/sub/b.bin"
head -c 100 /dev/urandom >"$S/onnx2/a.onnx"
head -c 100 /dev/urandom >"$S/onnx2/b.onnx"
head -c 120 /dev/urandom >"$S/onnxext/net.onnx"
head -c 900 /dev/urandom >"$S/onnxext/weights.bin"
printf 'not a saved model\n' >"$S/notsm/readme.txt"
printf 'area_m2,rooms,age_years,city\n35.8,1,48.6,Oslo\n64.7,4,36.0,Bergen\n116.5,2,53.9,Tromso\n' >"$S/example.csv"
printf 'scikit-learn==1.2.1\nnumpy>=1.24  # arrays\n\n# a comment\n--index-url https://example.com/simple\npandas\n' >"$S/requirements.txt"
cat >"$S/signature.json" <<'EOF'
{"inputs": [{"type": "double", "name": "x"}, {"type": "string", "name": "label", "required": false}],
 "outputs": [{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}}],
 "params": [{"name": "temperature", "type": "double", "default": 0.5, "shape": null}]}
EOF
cat >"$S/signature.yaml" <<'EOF'
inputs:
  - {type: long, name: n}
  - {type: boolean, name: flag}
outputs:
  - {type: double}
EOF
printf '{"inputs": [\n  {"type": "double", "name": "a"},,\n  {"type": "long", "name": "b"}\n]}\n' >"$S/badsig.json"
printf 'inputs:\n  - {type: double, name: a\noutputs: [\n' >"$S/badsig.yaml"
printf '{"inputs": [{"type": "double", "name": "a"}, {"type": "float128", "name": "b"}]}\n' >"$S/badtype.json"
printf '{"inputs": [{"type": "double", "name": "a"}], "extra": 1}\n' >"$S/sigkey.json"
printf '{"inputs": []}\n' >"$S/sigempty.json"
printf '{"params": [{"name": "t", "type": "double", "default": 1.0}]}\n' >"$S/sigparams.json"
printf '{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 10}' >"$S/object.json"
printf '{"columns": ["a", "b"], "data": [[1, 2.50], [3, 4]]}' >"$S/split.json"
printf 'a\tb\tc\n1\tx\ttrue\n2\t\tfalse\n' >"$S/example.tsv"
printf '[1, 2, 3]' >"$S/list.json"
printf 'a,b\n1,2,3\n' >"$S/ragged.csv"
mkdir -p "$S/nomlmodel" "$S/badmlmodel" "$S/lostfile"
printf 'x\n' >"$S/nomlmodel/model.pkl"
printf 'flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: [model.pkl\nmodel_uuid: 0123\n' >"$S/badmlmodel/MLmodel"
printf 'flavors:\n  sklearn:\n    pickled_model: model.pkl\n' >"$S/lostfile/MLmodel"

UUID=0123456789abcdef0123456789abcdef
SK_INPUTS='[["area_m2","double"],["rooms","long"],["age_years","double"],["city","string"]]'

new_project p
declare -A URI

# ---------------------------------------------------------------------------------------------
t "import: every fixture model prints runs:/RUN/NAME, stored in a new finished run"
cd "$T/p"
for name in "${MODEL_NAMES[@]}"; do
  before="$(nruns)"
  run_mlt model import "${MODEL_DIR[$name]}" -n "$name"
  expect_rc 0
  expect_out_match "^runs:/[0-9a-f]{32}/$name\$"
  expect_err_contains "stored in new run"
  URI[$name]="$out"
  expect_eq "runs after importing $name" "$((before + 1))" "$(nruns)"
  run_id="${URI[$name]#runs:/}"
  run_id="${run_id%%/*}"
  run_mlt --json run show "$run_id"
  expect_json '[.status, .tags["mlt.source.command"]]' '["FINISHED","mlt model import"]'
done

t "import without -n: the package is named after MLmodel's artifact_path, else 'model'"
cd "$T/p"
run_mlt model import "$GEN/sklearn_linreg"
expect_rc 0
expect_out_match '^runs:/[0-9a-f]{32}/model$'
if [ "$HAVE_SHARED" = 1 ] && [ -f "$SHARED_MODELS/example_mlflow_2.12_langchain_model/MLmodel" ]; then
  run_mlt model import "$SHARED_MODELS/example_mlflow_2.12_langchain_model"
  expect_rc 0
  expect_out_match '^runs:/[0-9a-f]{32}/chain$'     # artifact_path: chain
fi

t "show --json of sklearn_linreg: flavors, signature, input example, uuid and time as MLflow read them"
cd "$T/p"
run_mlt --json model show "${URI[sklearn_linreg]}"
expect_rc 0
expect_json_valid
expect_json .uri "${URI[sklearn_linreg]}"
expect_json '.run' "$(printf '%s' "${URI[sklearn_linreg]}" | cut -d/ -f2)"
expect_json '.path' sklearn_linreg
expect_json '.digest | test("^sha256:[0-9a-f]{64}$")' true
expect_json '.flavors | keys' "$(jq -c '.sklearn_linreg.flavors | sort' "$EXPECTED")"
expect_json '[.signature.inputs[] | [.name, .type]]' '[["area_m2","double"],["rooms","long"],["age_years","double"]]'
expect_json '.signature.inputs | map(.required) | all' true
expect_json '.signature.inputs' "$(jq -c '.sklearn_linreg.signature.inputs | fromjson' "$EXPECTED")"
expect_json '.signature.outputs' "$(jq -c '.sklearn_linreg.signature.outputs | fromjson' "$EXPECTED")"
expect_json '.signature.params' null
expect_json '.saved_input_example_info' "$(jq -c '.sklearn_linreg.saved_input_example_info' "$EXPECTED")"
expect_json .model_uuid "$(jq -r .sklearn_linreg.model_uuid "$EXPECTED")"
expect_json .utc_time_created "$(jq -r .sklearn_linreg.utc_time_created "$EXPECTED")"
expect_json '[.files[].path]' "$(jq -c .sklearn_linreg.files "$EXPECTED")"
expect_json .has_digests true
expect_json '.flavors.python_function | [.loader_module, .model_path, .python_version]' \
  '["mlflow.sklearn","model.pkl","3.11.2"]'
expect_json '.flavors.sklearn | [.pickled_model, .serialization_format, .sklearn_version, .code]' \
  '["model.pkl","cloudpickle","1.2.1",null]'
expect_json '.mlmodel.mlflow_version' "$(jq -r .sklearn_linreg.mlflow_version "$EXPECTED")"

t "show --json of pyfunc_minimal: python_function only, no signature, no example; uuid and time"
cd "$T/p"
run_mlt --json model show "${URI[pyfunc_minimal]}"
expect_rc 0
expect_json '.flavors | keys' "$(jq -c '.pyfunc_minimal.flavors | sort' "$EXPECTED")"
expect_json '.flavors.python_function | [.loader_module, .python_model]' '["mlflow.pyfunc.model","python_model.pkl"]'
expect_json .signature null
expect_json .saved_input_example_info null
expect_json .model_uuid "$(jq -r .pyfunc_minimal.model_uuid "$EXPECTED")"
expect_json .utc_time_created "$(jq -r .pyfunc_minimal.utc_time_created "$EXPECTED")"
expect_json '[.files[].path]' "$(jq -c .pyfunc_minimal.files "$EXPECTED")"

t "show (text): flavors, signature columns, uuid, time, and one row per file"
cd "$T/p"
run_mlt model show "${URI[sklearn_linreg]}"
expect_rc 0
expect_out_contains "python_function (mlflow.sklearn), sklearn"
expect_out_contains "area_m2: double, rooms: long, age_years: double"
expect_out_contains "c830004217014dd8a61ab4fd404a8fa8"
expect_out_contains "2026-11-26 23:50:56.028557"
expect_out_contains "input_example.json (dataframe)"
for f in conda.yaml input_example.json model.pkl python_env.yaml requirements.txt; do
  expect_out_contains "$(sha "$GEN/sklearn_linreg/$f")  $f"
done
run_mlt model show "${URI[pyfunc_minimal]}"
expect_rc 0
expect_out_match 'signature: +none'

t "show --json of every imported fixture: each file's size and digest are the original's"
cd "$T/p"
for name in "${MODEL_NAMES[@]}"; do
  dir="${MODEL_DIR[$name]}"
  run_mlt --json model show "${URI[$name]}"
  expect_rc 0
  expect_json_valid
  want=""
  while IFS= read -r f; do
    if [ "$f" = MLmodel ]; then want+="[\"$f\"],"; continue; fi
    want+="[\"$f\",$(wc -c <"$dir/$f" | tr -d ' '),\"$(sha "$dir/$f")\"],"
  done < <(files_of "$dir")
  expect_json '[.files[] | if .path == "MLmodel" then [.path] else [.path, .size, .digest] end]' "[${want%,}]"
  expect_json '[.has_digests, .model_uuid]' "[true,\"$(grep '^model_uuid:' "$dir/MLmodel" | sed 's/^model_uuid: *//')\"]"
done

t "verify of every imported fixture (by URI): exit 0, every file checked"
cd "$T/p"
for name in "${MODEL_NAMES[@]}"; do
  run_mlt model verify "${URI[$name]}"
  expect_rc 0
  expect_err_contains "ok: $(files_of "${MODEL_DIR[$name]}" | wc -l | tr -d ' ') files"
  run_mlt --json model verify "${URI[$name]}"
  expect_rc 0
  expect_json '[.ok, .has_digests, .problems]' '[true,true,[]]'
done

t "get --no-digests: every file of every fixture model byte-identical to the original"
mkdir -p "$T/p/exp"
cd "$T/p/exp"
for name in "${MODEL_NAMES[@]}"; do
  dir="${MODEL_DIR[$name]}"
  run_mlt model get "${URI[$name]}" -o "nd-$name" --no-digests
  expect_rc 0
  expect_out_empty
  expect_eq "files of nd-$name" "$(files_of "$dir")" "$(files_of "nd-$name")"
  while IFS= read -r f; do
    expect_same_file "nd-$name/$f" "$dir/$f" "$T/p/exp/nd-$name/$f"
  done < <(files_of "$dir")
  expect_same_tree "nd-$name" "$dir" "$T/p/exp/nd-$name"
done

t "get: only MLmodel differs from the original, by its mlt block; the export verifies as a directory"
cd "$T/p/exp"
for name in "${MODEL_NAMES[@]}"; do
  dir="${MODEL_DIR[$name]}"
  run_mlt --json model get "${URI[$name]}" -o "d-$name"
  expect_rc 0
  expect_json '[.uri, .destination, .files]' "[\"${URI[$name]}\",\"d-$name\",$(files_of "$dir" | wc -l | tr -d ' ')]"
  expect_eq "files of d-$name" "$(files_of "$dir")" "$(files_of "d-$name")"
  while IFS= read -r f; do
    [ "$f" = MLmodel ] && continue
    expect_same_file "d-$name/$f" "$dir/$f" "$T/p/exp/d-$name/$f"
  done < <(files_of "$dir")
  cmp -s "$dir/MLmodel" "d-$name/MLmodel" && fail "d-$name/MLmodel carries the digests" "differs from the original" "identical"
  expect_mlmodel_equal_but_mlt "d-$name" "d-$name/MLmodel" "$dir/MLmodel"
  run_mlt model verify "$T/p/exp/d-$name"
  expect_rc 0
  expect_err_contains "ok:"
done

t "verify of a plain MLflow directory (no mlt digests) exits 1; show works on it, even outside a project"
mkdir -p "$T/noproj1"
cd "$T/noproj1"
for name in "${MODEL_NAMES[@]}"; do
  run_mlt model verify "${MODEL_DIR[$name]}"
  expect_rc 1
  expect_err_contains "no mlt digests"
  run_mlt model verify "$T/p/exp/nd-$name"
  expect_rc 1
done
run_mlt --json model verify "$GEN/sklearn_linreg"
expect_rc 1
expect_json '[.ok, .has_digests, .problems]' '[false,false,[]]'
run_mlt --json model show "$GEN/sklearn_linreg"
expect_rc 0
expect_json '[.has_digests, .digest, .model_uuid]' '[false,null,"c830004217014dd8a61ab4fd404a8fa8"]'
expect_json '[.signature.inputs[] | .name]' '["area_m2","rooms","age_years"]'
run_mlt model show "$GEN/pyfunc_minimal"
expect_rc 0
expect_out_contains "0bf395b86d9d471d9a8802e7dbbf643c"
expect_eq "files written outside the project" "" "$(ls -A "$T/noproj1")"

t "re-importing an exported package rebuilds the same package (same digest, same MLmodel)"
cd "$T/p"
R=$(must_mlt run start -n reimport --no-git)
run_mlt model import "$T/p/exp/d-sklearn_linreg" --run reimport -n sklearn_linreg
expect_rc 0
expect_out_eq "runs:/$R/sklearn_linreg"
expect_eq "package digest" "$(digest_of "${URI[sklearn_linreg]}")" "$(digest_of "runs:/$R/sklearn_linreg")"

t "the digest block checks out with sed and sha256sum alone (mlt-model(1): Verifying without mlt)"
for pkg in "$T/p/exp/d-sklearn_linreg" "$T/p/exp/d-pyfunc_minimal"; do
  cd "$pkg"
  expect_eq "$pkg: the block's MLmodel entry is the body's SHA-256" \
    "$(sed '/^mlt:/,$d' MLmodel | sha256sum | cut -c1-64)" "$(sed -n 's/^    MLmodel: sha256://p' MLmodel)"
  listed="$(sed -n '/^mlt:/,$s/^    \(.*\): sha256:\([0-9a-f]*\)$/\2  \1/p' MLmodel)"
  expect_eq "$pkg: the block lists every file" "$(files_of .)" "$(printf '%s\n' "$listed" | sed 's/^[0-9a-f]*  //')"
  chk="$(printf '%s\n' "$listed" | grep -v '  MLmodel$' | sha256sum -c 2>&1)" ||
    fail "$pkg: sha256sum -c of the block's entries" "every file OK" "$chk"
  size=0
  for f in $(files_of . | grep -vx MLmodel); do size=$((size + $(wc -c <"$f"))); done
  expect_eq "$pkg: size_bytes (every file but MLmodel)" "  size_bytes: $size" "$(grep '^  size_bytes: ' MLmodel)"
done

t "import keeps MLmodel's bytes: a missing final newline is added; a flow-style MLmodel is rewritten as block style"
cd "$T/p"
mkdir -p "$S/nonl" "$S/flow"
cp "$GEN/pyfunc_minimal/"* "$S/nonl/"
cp "$GEN/pyfunc_minimal/"* "$S/flow/"
printf '%s' "$(cat "$GEN/pyfunc_minimal/MLmodel")" >"$S/nonl/MLmodel"
printf '{flavors: {python_function: {loader_module: mlflow.pyfunc.model, python_model: python_model.pkl, env: {conda: conda.yaml, virtualenv: python_env.yaml}}}, model_uuid: 0bf395b86d9d471d9a8802e7dbbf643c}\n' >"$S/flow/MLmodel"
R=$(must_mlt run start -n styles --no-git)
for d in nonl flow; do
  run_mlt model import "$S/$d" --run styles -n "$d"
  expect_rc 0
  expect_out_eq "runs:/$R/$d"
  run_mlt model get "runs:/$R/$d" -o "$T/p/exp/styles-$d" --no-digests
  expect_rc 0
  run_mlt model get "runs:/$R/$d" -o "$T/p/exp/styles-$d-mlt"
  expect_rc 0
  run_mlt model verify "$T/p/exp/styles-$d-mlt"
  expect_rc 0
done
expect_same_file "nonl: MLmodel with its final newline" "$GEN/pyfunc_minimal/MLmodel" "$T/p/exp/styles-nonl/MLmodel"
grep -q '^{' "$T/p/exp/styles-flow/MLmodel" && fail "flow style rewritten in block style" "no line starting with {" "$(head -n 2 "$T/p/exp/styles-flow/MLmodel")"
run_mlt --json model show "runs:/$R/flow"
expect_json '[.flavors.python_function.loader_module, .flavors.python_function.env.conda, .model_uuid]' \
  '["mlflow.pyfunc.model","conda.yaml","0bf395b86d9d471d9a8802e7dbbf643c"]'
if [ "$HAVE_PYYAML" = 1 ]; then
  expect_eq "flow: the block-style body says what the flow-style file says" "$(yaml_json "$S/flow/MLmodel")" \
    "$(yaml_json "$T/p/exp/styles-flow/MLmodel")"
fi

t "get refuses to replace existing files (exit 5, file kept) unless -f; get DIR and get of a file exit 2"
mkdir -p "$T/p/exp2"
cd "$T/p/exp2"
run_mlt model get "${URI[sklearn_linreg]}" -o out
expect_rc 0
printf 'mine\n' >out/model.pkl
run_mlt model get "${URI[sklearn_linreg]}" -o out
expect_rc 5
expect_eq "out/model.pkl kept" "mine" "$(cat out/model.pkl)"
run_mlt model get "${URI[sklearn_linreg]}" -o out -f
expect_rc 0
expect_same_file "out/model.pkl after -f" "$GEN/sklearn_linreg/model.pkl" "$T/p/exp2/out/model.pkl"
run_mlt model get "$GEN/sklearn_linreg" -o fromdir
expect_rc 2
run_mlt model get "${URI[sklearn_linreg]}/model.pkl" -o file
expect_rc 2
run_mlt model get "${URI[sklearn_linreg]}"
expect_rc 2                                    # -o is required
expect_eq "entries written" "out" "$(ls -A)"

# ---------------------------------------------------------------------------------------------
t "save --flavor sklearn: CSV example, --signature infer, --requirements, --python, --set; MLflow's layout"
cd "$T/p"
R=$(must_mlt run start -n saves --no-git)
run_mlt model save "$S/model.pkl" --flavor sklearn --run saves -n sk --input-example "$S/example.csv" \
  --signature infer --requirements "$S/requirements.txt" --python 3.11.2 --set sklearn_version=1.2.1 \
  --set serialization_format=pickle
expect_rc 0
expect_out_eq "runs:/$R/sk"
run_mlt --json model show "runs:/saves/sk"
expect_rc 0
expect_json '[.files[].path]' '["MLmodel","conda.yaml","input_example.json","model.pkl","python_env.yaml","requirements.txt"]'
expect_json '.flavors | keys' '["python_function","sklearn"]'
expect_json '.flavors.python_function' \
  '{"env":{"conda":"conda.yaml","virtualenv":"python_env.yaml"},"loader_module":"mlflow.sklearn","model_path":"model.pkl","predict_fn":"predict","python_version":"3.11.2"}'
expect_json '.flavors.sklearn' \
  '{"code":null,"pickled_model":"model.pkl","serialization_format":"pickle","sklearn_version":"1.2.1"}'
expect_json '[.signature.inputs[] | [.name, .type]]' "$SK_INPUTS"
expect_json '[.signature.outputs, .signature.params]' '[null,null]'
expect_json .saved_input_example_info '{"artifact_path":"input_example.json","pandas_orient":"split","type":"dataframe"}'
expect_json '.model_uuid | test("^[0-9a-f]{32}$")' true
expect_json '.mlmodel | [.artifact_path, .run_id]' "[\"sk\",\"$R\"]"
expect_json '.files[] | select(.path == "model.pkl") | .digest' "$(sha "$S/model.pkl")"
expect_json '.files[] | select(.path == "requirements.txt") | .digest' "$(sha "$S/requirements.txt")"
# MLflow counts the model's files before it writes MLmodel and the environment files
expect_json '.mlmodel.model_size_bytes' "$(($(wc -c <"$S/model.pkl") + $(jq_out '.files[] | select(.path == "input_example.json") | .size')))"
mkdir -p "$T/p/exp3"
cd "$T/p/exp3"
run_mlt model get "runs:/saves/sk" -o sk
expect_rc 0
for f in conda.yaml python_env.yaml requirements.txt input_example.json; do
  [ -s "sk/$f" ] || fail "sk/$f exists" "a non-empty file" "$(ls -l "sk/$f" 2>&1)"
done
expect_same_file "sk/model.pkl" "$S/model.pkl" "$T/p/exp3/sk/model.pkl"
expect_same_file "sk/requirements.txt" "$S/requirements.txt" "$T/p/exp3/sk/requirements.txt"
expect_eq "input_example.json is the CSV in pandas' split orient" true \
  "$(jq '. == {"columns":["area_m2","rooms","age_years","city"],"data":[[35.8,1,48.6,"Oslo"],[64.7,4,36.0,"Bergen"],[116.5,2,53.9,"Tromso"]]}' sk/input_example.json 2>&1)"
if [ "$HAVE_PYYAML" = 1 ]; then
  got="$(yaml_json sk/MLmodel)"
  expect_eq "MLmodel (PyYAML): python_function.env" '{"conda":"conda.yaml","virtualenv":"python_env.yaml"}' \
    "$(printf '%s' "$got" | jq -c '.flavors.python_function.env' 2>&1)"
  expect_eq "MLmodel (PyYAML): signature.inputs is a JSON string" "$SK_INPUTS" \
    "$(printf '%s' "$got" | jq -c '.signature.inputs | fromjson | [.[] | [.name, .type]]' 2>&1)"
  expect_eq "MLmodel (PyYAML): utc_time_created is a string" string \
    "$(printf '%s' "$got" | jq -r '.utc_time_created | type' 2>&1)"
  expect_eq "python_env.yaml (PyYAML)" '{"build_dependencies":["pip","setuptools","wheel"],"dependencies":["-r requirements.txt"],"python":"3.11.2"}' \
    "$(yaml_json sk/python_env.yaml | jq -c . 2>&1)"
  expect_eq "conda.yaml (PyYAML)" '{"channels":["conda-forge"],"dependencies":["python=3.11.2","pip",{"pip":["scikit-learn==1.2.1","numpy>=1.24","pandas"]}],"name":"mlflow-env"}' \
    "$(yaml_json sk/conda.yaml | jq -c . 2>&1)"
else
  grep -q '^      conda: conda.yaml$' sk/MLmodel || fail "MLmodel: python_function.env.conda" "conda: conda.yaml" "$(grep -A3 'env:' sk/MLmodel)"
  grep -q '^      virtualenv: python_env.yaml$' sk/MLmodel || fail "MLmodel: python_function.env.virtualenv" "virtualenv: python_env.yaml" "$(grep -A3 'env:' sk/MLmodel)"
  grep -qx 'python: 3.11.2' sk/python_env.yaml || fail "python_env.yaml names python 3.11.2" "python: 3.11.2" "$(cat sk/python_env.yaml)"
  grep -q 'python=3.11.2' sk/conda.yaml || fail "conda.yaml names python=3.11.2" "python=3.11.2" "$(cat sk/conda.yaml)"
  grep -q 'scikit-learn==1.2.1' sk/conda.yaml || fail "conda.yaml lists the requirements" "scikit-learn==1.2.1" "$(cat sk/conda.yaml)"
fi
grep -q 'index-url' sk/conda.yaml && fail "conda.yaml leaves pip options out" "no --index-url" "$(cat sk/conda.yaml)"
run_mlt model verify "$T/p/exp3/sk"
expect_rc 0
run_mlt model verify "runs:/saves/sk"
expect_rc 0

t "save for every flavor (CSV example, --signature infer): MLflow's layout, payload byte-identical, verifies"
cd "$T/p"
R=$(must_mlt run start -n flavors --no-git)
# NAME SOURCE FLAVOR PAYLOAD-IN-PACKAGE FLAVOR-CHECK(jq on .flavors) FILES
while IFS='|' read -r name src flavor payload check files; do
  run_mlt model save "$S/$src" --flavor "$flavor" --run flavors -n "$name" --input-example "$S/example.csv" \
    --signature infer --python 3.10.4
  expect_rc 0
  expect_out_eq "runs:/$R/$name"
  run_mlt --json model show "runs:/flavors/$name"
  expect_rc 0
  expect_json "[.flavors | $check]" '[true]'
  expect_json '[.files[].path] | join(" ")' "$files"
  expect_json '[[.signature.inputs[] | [.name, .type]], .saved_input_example_info.artifact_path]' \
    "[$SK_INPUTS,\"input_example.json\"]"
  if [ "$flavor" = generic ]; then
    expect_json '.flavors | keys' '["generic"]'
  else                                         # no --requirements: no env (no environment files)
    expect_json '.flavors | [(keys | sort), .python_function.loader_module, .python_function.python_version, .python_function.env]' \
      "$(jq -nc --arg f "$flavor" '[([$f, "python_function"] | sort), "mlflow." + $f, "3.10.4", null]')"
  fi
  mkdir -p "$T/p/exp4"
  run_mlt model get "runs:/flavors/$name" -o "$T/p/exp4/$name"
  expect_rc 0
  if [ "$payload" = . ]; then                  # the directory's files go to the package root
    for f in $(files_of "$S/$src"); do expect_same_file "$name: $f" "$S/$src/$f" "$T/p/exp4/$name/$f"; done
  elif [ -d "$S/$src" ]; then
    expect_same_tree "$name: $payload" "$S/$src" "$T/p/exp4/$name/$payload"
  else
    expect_same_file "$name: $payload" "$S/$src" "$T/p/exp4/$name/$payload"
  fi
  run_mlt model verify "runs:/flavors/$name"
  expect_rc 0
  run_mlt model verify "$T/p/exp4/$name"
  expect_rc 0
done <<'EOF'
torch|weights.pth|pytorch|data/model.pth|.pytorch.model_data == "data" and .python_function.data == "data" and .python_function.pickle_module_name == "mlflow.pytorch.pickle_module"|MLmodel data/model.pth data/pickle_module_info.txt input_example.json
onnx|model.onnx|onnx|model.onnx|.onnx.data == "model.onnx" and .onnx.providers == ["CUDAExecutionProvider","CPUExecutionProvider"] and .python_function.data == "model.onnx"|MLmodel input_example.json model.onnx
onnxext|onnxext|onnx|.|.onnx.data == "net.onnx"|MLmodel input_example.json net.onnx weights.bin
xgb|booster.json|xgboost|model.json|.xgboost.data == "model.json" and .xgboost.model_format == "json" and .xgboost.model_class == "xgboost.core.Booster"|MLmodel input_example.json model.json
lgb|booster.txt|lightgbm|model.lgb|.lightgbm.data == "model.lgb" and .lightgbm.model_class == "lightgbm.basic.Booster" and .python_function.data == "model.lgb"|MLmodel input_example.json model.lgb
lgbpkl|lgbm.pkl|lightgbm|model.pkl|.lightgbm.data == "model.pkl" and .lightgbm.model_class == "lightgbm.sklearn.LGBMModel"|MLmodel input_example.json model.pkl
keras|net.keras|tensorflow|data/model.keras|.tensorflow.model_type == "keras" and .tensorflow.data == "data" and .python_function.data == "data"|MLmodel data/keras_module.txt data/model.keras data/save_format.txt input_example.json
h5|net.h5|tensorflow|data/model.h5|.tensorflow.model_type == "keras" and .tensorflow.save_format == "h5"|MLmodel data/keras_module.txt data/model.h5 data/save_format.txt input_example.json
tf2|sm|tensorflow|tf2model|.tensorflow.model_type == "tf2-module" and .tensorflow.saved_model_dir == "tf2model"|MLmodel input_example.json tf2model/saved_model.pb tf2model/variables/variables.index
tfkeras|km|tensorflow|data/model|.tensorflow.model_type == "keras" and .tensorflow.save_format == "tf"|MLmodel data/keras_module.txt data/model/keras_metadata.pb data/model/saved_model.pb data/model/variables/variables.index data/save_format.txt input_example.json
gendir|gen|generic|gen|.generic.data == "gen"|MLmodel gen/a.txt gen/sub/b.bin input_example.json
genfile|booster.txt|generic|booster.txt|.generic.data == "booster.txt"|MLmodel booster.txt input_example.json
EOF
run_mlt --json model ls --run flavors
expect_rc 0
expect_json "$LS | length" 12

t "save --signature FILE (JSON, YAML): stored as MLflow's JSON strings, read back unchanged"
cd "$T/p"
for f in signature.json signature.yaml; do
  run_mlt model save "$S/model.pkl" --flavor sklearn --run saves -n "sig-${f#*.}" --signature "$S/$f" --python 3.11.2
  expect_rc 0
  run_mlt --json model show "runs:/saves/sig-${f#*.}"
  expect_rc 0
  if [ "$f" = signature.json ]; then
    expect_json '.signature' "$(jq -c . "$S/$f")"
  else
    expect_json '.signature' '{"inputs":[{"type":"long","name":"n"},{"type":"boolean","name":"flag"}],"outputs":[{"type":"double"}],"params":null}'
  fi
  expect_json '.mlmodel.signature | [(.inputs | type), (.outputs | type)]' '["string","string"]'
  expect_json '.mlmodel.signature.inputs | fromjson | length' 2
  expect_json '.saved_input_example_info' null
done
run_mlt --json model show "runs:/saves/sig-json"
expect_json '.mlmodel.signature.params | fromjson' '[{"name":"temperature","type":"double","default":0.5,"shape":null}]'
run_mlt model show "runs:/saves/sig-json"
expect_out_contains "x: double"
expect_out_contains "temperature"

t "save: a signature from another package's MLmodel; input examples: JSON object, split orient, TSV"
cd "$T/p"
run_mlt model save "$S/model.pkl" --flavor sklearn --run saves -n fromml --signature "$GEN/sklearn_linreg/MLmodel" --python 3.11.2
expect_rc 0
run_mlt --json model show runs:/saves/fromml
expect_json '.signature.inputs' "$(jq -c '.sklearn_linreg.signature.inputs | fromjson' "$EXPECTED")"
expect_json '.signature.outputs' "$(jq -c '.sklearn_linreg.signature.outputs | fromjson' "$EXPECTED")"
run_mlt model save "$S/model.pkl" --flavor sklearn --run saves -n object --input-example "$S/object.json" --signature infer --python 3.11.2
expect_rc 0
run_mlt --json model show runs:/saves/object
expect_json '.saved_input_example_info' '{"artifact_path":"input_example.json","type":"json_object"}'
expect_json '[.signature.inputs[] | [.name, .type, .required]]' '[["messages","array",true],["max_tokens","long",true]]'
expect_json '.signature.inputs[0].items.properties | [keys_unsorted[], .role.type, .content.type]' '["role","content","string","string"]'
run_mlt model save "$S/model.pkl" --flavor sklearn --run saves -n split --input-example "$S/split.json" --signature infer --python 3.11.2
expect_rc 0
run_mlt --json model show runs:/saves/split
expect_json '[.saved_input_example_info.pandas_orient, [.signature.inputs[] | [.name, .type]]]' '["split",[["a","long"],["b","double"]]]'
run_mlt model save "$S/model.pkl" --flavor sklearn --run saves -n tsv --input-example "$S/example.tsv" --signature infer --python 3.11.2
expect_rc 0
run_mlt --json model show runs:/saves/tsv
expect_json '[.signature.inputs[] | [.name, .type, .required]]' '[["a","long",true],["b","string",false],["c","boolean",true]]'
mkdir -p "$T/p/exp6"
for n in object split; do
  run_mlt model get "runs:/saves/$n" -o "$T/p/exp6/$n"
  expect_rc 0
  expect_same_file "$n: input_example.json stored byte for byte" "$S/$n.json" "$T/p/exp6/$n/input_example.json"
done
run_mlt model get runs:/saves/tsv -o "$T/p/exp6/tsv"
expect_eq "tsv: input_example.json" true \
  "$(jq '. == {"columns":["a","b","c"],"data":[[1,"x",true],[2,null,false]]}' "$T/p/exp6/tsv/input_example.json" 2>&1)"

t "save is reproducible: same --uuid/--created/--run, other -n: same MLmodel but artifact_path, same files"
cd "$T/p"
for n in det1 det2; do
  run_mlt model save "$S/model.pkl" --flavor sklearn --run saves -n "$n" --uuid "$UUID" --created 2026-06-01T12:00:00Z \
    --input-example "$S/example.csv" --signature infer --requirements "$S/requirements.txt" --python 3.11.2
  expect_rc 0
done
view='{flavors, signature, model_uuid, utc_time_created, saved_input_example_info, files: [.files[] | select(.path != "MLmodel")]}'
a="$("$MLT_BIN" --json model show runs:/saves/det1 2>&1 3>&- | jq -cS "$view" 2>&1)"
b="$("$MLT_BIN" --json model show runs:/saves/det2 2>&1 3>&- | jq -cS "$view" 2>&1)"
expect_eq "show --json (but MLmodel) of det1 and det2" "$a" "$b"
expect_eq "model_uuid and time" "[\"$UUID\",\"2026-06-01 12:00:00\"]" "$(printf '%s' "$a" | jq -c '[.model_uuid, .utc_time_created]')"
mkdir -p "$T/p/exp5"
cd "$T/p/exp5"
must_mlt -q model get runs:/saves/det1 -o det1 >/dev/null
must_mlt -q model get runs:/saves/det2 -o det2 --no-digests >/dev/null
expect_eq "MLmodel without artifact_path and the mlt block" \
  "$(grep -v '^artifact_path: ' det1/MLmodel | sed '/^mlt:/,$d')" "$(grep -v '^artifact_path: ' det2/MLmodel)"
expect_eq "artifact_path lines" "artifact_path: det1|artifact_path: det2" \
  "$(grep '^artifact_path: ' det1/MLmodel)|$(grep '^artifact_path: ' det2/MLmodel)"
expect_eq "mlt blocks but the MLmodel digest" \
  "$(sed -n '/^mlt:/,$p' det1/MLmodel | grep -v '^    MLmodel: ')" \
  "$("$MLT_BIN" model get runs:/saves/det2 -o det2b 2>/dev/null 3>&- && sed -n '/^mlt:/,$p' det2b/MLmodel | grep -v '^    MLmodel: ')"

t "save: utc_time_created from --created (epoch ms, RFC 3339) or MLT_NOW_MS, as Python prints it"
cd "$T/p"
run_mlt model save "$S/model.pkl" --flavor sklearn --run saves -n t1 --created 1700000000123 --python 3.11.2
expect_rc 0
run_mlt --json model show runs:/saves/t1
expect_json .utc_time_created "2023-11-14 22:13:20.123000"
run_mlt model save "$S/model.pkl" --flavor sklearn --run saves -n t2 --created 2024-02-29T23:59:58Z --python 3.11.2
expect_rc 0
run_mlt --json model show runs:/saves/t2
expect_json .utc_time_created "2024-02-29 23:59:58"
MLT_NOW_MS=$T0_MS run_mlt model save "$S/model.pkl" --flavor sklearn --run saves -n t3 --python 3.11.2
expect_rc 0
run_mlt --json model show runs:/saves/t3
expect_json .utc_time_created "2023-11-14 22:13:20"
expect_json '.model_uuid | test("^[0-9a-f]{32}$")' true
run_mlt model save "$S/model.pkl" --flavor sklearn --run saves -n t4 --python 3.11.2
run_mlt --json model show runs:/saves/t4
t4_uuid="$(jq_out .model_uuid)"
run_mlt --json model show runs:/saves/t3
[ "$(jq_out .model_uuid)" != "$t4_uuid" ] || fail "a default model_uuid is new each save" "different uuids" "$t4_uuid twice"

t "save: the run is --run, else \$MLT_RUN_ID, else a new finished run (-e names its experiment)"
cd "$T/p"
R=$(must_mlt run start -n envrun --no-git)
MLT_RUN_ID=$R run_mlt model save "$S/model.pkl" --flavor sklearn --python 3.11.2
expect_rc 0
expect_out_eq "runs:/$R/model"
expect_err_not_contains "new run"
before="$(nruns)"
run_mlt model save "$S/model.pkl" --flavor sklearn -e packaged --python 3.11.2
expect_rc 0
expect_out_match '^runs:/[0-9a-f]{32}/model$'
expect_err_contains "created experiment 'packaged'"
new_run="$(printf '%s' "$out" | cut -d/ -f2)"
expect_eq "runs after a save without a run" "$((before + 1))" "$(nruns)"
run_mlt --json run show "$new_run"
expect_json '[.status, .experiment, .tags["mlt.source.command"]]' '["FINISHED","packaged","mlt model save"]'
MLT_EXPERIMENT=from-env run_mlt model save "$S/model.pkl" --flavor generic
expect_rc 0
expect_err_contains "of 'from-env'"
run_mlt model save "$S/model.pkl" --flavor sklearn --run envrun -n nested/ranker -e never-made --python 3.11.2
expect_rc 0
expect_out_eq "runs:/$R/nested/ranker"
run_mlt exp ls
expect_out_not_contains "never-made"
run_mlt --json model show "runs:/envrun/nested/ranker"
expect_rc 0
expect_json '[.path, .mlmodel.artifact_path]' '["nested/ranker","nested/ranker"]'
must_mlt run start -n deleted --no-git >/dev/null
must_mlt -q run rm deleted >/dev/null
run_mlt model save "$S/model.pkl" --flavor sklearn --run deleted --python 3.11.2
expect_rc 5
run_mlt --json model save "$S/model.pkl" --flavor generic --run envrun -n asjson
expect_rc 0
expect_json '[.uri, .run, .path, .flavors]' "[\"runs:/$R/asjson\",\"$R\",\"asjson\",[\"generic\"]]"
expect_json '.digest | test("^sha256:[0-9a-f]{64}$")' true

t "a second package under one name in a run exits 5 (save and import); the first is unchanged"
cd "$T/p"
R=$(must_mlt run start -n twice --no-git)
must_mlt -q model save "$S/model.pkl" --flavor sklearn --run twice -n m --python 3.11.2 >/dev/null
first="$(digest_of runs:/twice/m)"
run_mlt model save "$S/weights.pth" --flavor pytorch --run twice -n m --python 3.11.2
expect_rc 5
expect_out_empty
expect_err_contains "'m'"
run_mlt model import "$GEN/pyfunc_minimal" --run twice -n m
expect_rc 5
MLT_RUN_ID=$R run_mlt model save "$S/model.pkl" --flavor sklearn -n m --python 3.11.2
expect_rc 5
expect_eq "the first package" "$first" "$(digest_of runs:/twice/m)"
run_mlt --json model ls --run twice
expect_json "[${LS}[] | .path]" '["m"]'

# ---------------------------------------------------------------------------------------------
t "tampering with an exported package: changed file, edited MLmodel, extra file, missing file: exit 6 naming it"
mkdir -p "$T/p/tamper"
cd "$T/p/tamper"
must_mlt -q model get "${URI[sklearn_linreg]}" -o base >/dev/null
for d in a b c c2 e f; do cp -r base "$d"; done
run_mlt model verify "$T/p/tamper/base"
expect_rc 0
flip_byte a/model.pkl 100                                                     # (a)
run_mlt model verify "$T/p/tamper/a"
expect_rc 6
expect_err_contains "model.pkl"
run_mlt --json model verify "$T/p/tamper/a"
expect_rc 6
expect_json '[.ok, .has_digests]' '[false,true]'
expect_json '[.problems[] | select(startswith("model.pkl"))] | length' 1
sed -i 's/^    predict_fn: predict$/    predict_fn: predict_proba/' b/MLmodel          # (b)
grep -q 'predict_fn: predict_proba' b/MLmodel || fail "test setup: MLmodel edited" "predict_proba" "$(grep predict_fn b/MLmodel)"
run_mlt model verify "$T/p/tamper/b"
expect_rc 6
expect_err_contains "MLmodel"
expect_err_not_contains "model.pkl"
printf 'added later\n' >c/notes.txt                                          # (c)
run_mlt model verify "$T/p/tamper/c"
expect_rc 6
expect_err_contains "notes.txt"
mkdir -p c2/extra
printf 'x\n' >c2/extra/deep.bin
run_mlt model verify "$T/p/tamper/c2"
expect_rc 6
expect_err_contains "extra/deep.bin"
rm e/requirements.txt                                                        # a file gone
run_mlt model verify "$T/p/tamper/e"
expect_rc 6
expect_err_contains "requirements.txt"
# the recorded digest of model.pkl edited in the mlt block
sed -i "s|^    model.pkl: sha256:.*|    model.pkl: sha256:$(printf '0%.0s' $(seq 64))|" f/MLmodel
run_mlt model verify "$T/p/tamper/f"
expect_rc 6
expect_err_contains "model.pkl"
cp -r base g
sed -i 's/^  format: 1$/  format: 2/' g/MLmodel                              # a block from a newer mlt
run_mlt model verify "$T/p/tamper/g"
expect_rc 6
run_mlt model show "$T/p/tamper/g"
expect_rc 6
run_mlt model verify "${URI[sklearn_linreg]}"
expect_rc 0                                      # the stored package is untouched by all this

t "a damaged object of a stored package: verify runs:/... exits 6 naming the file; get exits 6, writes nothing"
new_project damaged
U=$(must_mlt model import "$GEN/sklearn_linreg" -n victim)
run_mlt --json model show "$U"
expect_rc 0
pkl_digest="$(jq_out '.files[] | select(.path == "model.pkl") | .digest')"
expect_eq "model.pkl's digest" "$(sha "$GEN/sklearn_linreg/model.pkl")" "$pkl_digest"
pkl_obj="$(obj "${pkl_digest#sha256:}")"
if [ -f "$pkl_obj" ]; then
  run_mlt model verify "$U"
  expect_rc 0
  flip_byte "$pkl_obj" $(($(stat -c %s "$pkl_obj") - 5))
  run_mlt model verify "$U"
  expect_rc 6
  expect_err_contains "model.pkl"
  run_mlt --json model verify "$U"
  expect_rc 6
  expect_json '[.problems[] | select(startswith("model.pkl"))] | length' 1
  run_mlt model get "$U" -o "$T/damaged/out"
  expect_rc 6
  [ -e "$T/damaged/out/model.pkl" ] && fail "no damaged model.pkl written" "absent" "$(ls -l "$T/damaged/out/model.pkl")"
else
  fail "model.pkl's object exists" "$pkl_obj" "$(find .mlt/objects -type f | head -n 5)"
fi

# ---------------------------------------------------------------------------------------------
t "save, bad input: exit 2 with a useful message; no run or package left behind"
cd "$T/p"
runs_before="$(nruns)"
models_before="$("$MLT_BIN" --json model ls 2>&1 3>&- | jq "$LS | length")"
run_mlt model save "$S/model.pkl" --flavor keras
expect_rc 2
expect_err_contains "unknown flavor 'keras'"
expect_err_contains "sklearn, pytorch, onnx, xgboost, lightgbm, tensorflow"
run_mlt model save "$S/model.pkl" --flavor sklearn --set colour=blue
expect_rc 2
expect_err_contains "colour"
for k in serialization_format sklearn_version predict_fn; do expect_err_contains "$k"; done
run_mlt model save "$S/model.pkl" --flavor xgboost --set sklearn_version=1.2.1
expect_rc 2
expect_err_contains "xgb_version"
run_mlt model save "$S/model.pkl" --flavor sklearn --set serialization_format=json
expect_rc 2
run_mlt model save "$S/model.pkl" --flavor sklearn --set novalue
expect_rc 2
run_mlt model save --flavor sklearn
expect_rc 2
expect_err_contains "missing PATH"
run_mlt model save "$S/model.pkl"
expect_rc 2
expect_err_contains "flavor"
run_mlt model save "$S/no-such-model.pkl" --flavor sklearn --python 3.11.2
expect_rc 2
expect_err_contains "no-such-model.pkl"
run_mlt model save "$S/gen" --flavor sklearn --python 3.11.2
expect_rc 2
expect_err_contains "directory"
run_mlt model save "$S/gen" --flavor pytorch --python 3.11.2
expect_rc 2
run_mlt model save "$S/notsm" --flavor tensorflow --python 3.11.2
expect_rc 2
expect_err_contains "saved_model.pb"
run_mlt model save "$S/model.pkl" --flavor tensorflow --python 3.11.2
expect_rc 2
run_mlt model save "$S/onnx2" --flavor onnx --python 3.11.2
expect_rc 2
expect_err_contains ".onnx"
run_mlt model save "$S/model.pkl" --flavor sklearn --signature "$S/badsig.json"
expect_rc 2
expect_err_match "badsig\\.json:2:[0-9]+"
run_mlt model save "$S/model.pkl" --flavor sklearn --signature "$S/badsig.yaml"
expect_rc 2
expect_err_match "badsig\\.yaml:[0-9]+:[0-9]+"
run_mlt model save "$S/model.pkl" --flavor sklearn --signature "$S/badtype.json"
expect_rc 2
expect_err_contains "inputs[1]"
expect_err_contains "float128"
run_mlt model save "$S/model.pkl" --flavor sklearn --signature "$S/no-such-signature.json"
expect_rc 2
run_mlt model save "$S/model.pkl" --flavor sklearn --signature "$S/sigkey.json"
expect_rc 2
expect_err_contains "extra"
run_mlt model save "$S/model.pkl" --flavor sklearn --signature "$S/sigempty.json"
expect_rc 2
expect_err_contains "inputs"
run_mlt model save "$S/model.pkl" --flavor sklearn --signature "$S/sigparams.json"
expect_rc 2
run_mlt model save "$S/model.pkl" --flavor sklearn --input-example "$S/list.json" --signature infer
expect_rc 2
run_mlt model save "$S/model.pkl" --flavor sklearn --input-example "$S/ragged.csv"
expect_rc 2
expect_err_contains "ragged.csv"
run_mlt model save "$S/model.pkl" --flavor sklearn --signature infer
expect_rc 2
expect_err_contains "--input-example"
run_mlt model save "$S/model.pkl" --flavor sklearn --input-example "$S/no-such-example.csv"
expect_rc 2
run_mlt model save "$S/model.pkl" --flavor sklearn --requirements "$S/no-such-requirements.txt" --python 3.11.2
expect_rc 2
run_mlt model save "$S/model.pkl" --flavor sklearn --uuid 0123456789ABCDEF0123456789ABCDEF
expect_rc 2
run_mlt model save "$S/model.pkl" --flavor sklearn --uuid 1234
expect_rc 2
run_mlt model save "$S/model.pkl" --flavor sklearn --created "last tuesday"
expect_rc 2
expect_err_contains "last tuesday"
for n in ../up /abs 'a//b' 'a/../b'; do
  run_mlt model save "$S/model.pkl" --flavor sklearn -n "$n" --python 3.11.2
  expect_rc 2
done
cp "$S/booster.txt" "$S/MLmodel"
run_mlt model save "$S/MLmodel" --flavor generic
expect_rc 2
expect_eq "runs after the failed saves" "$runs_before" "$(nruns)"
expect_eq "models after the failed saves" "$models_before" "$("$MLT_BIN" --json model ls 2>&1 3>&- | jq "$LS | length")"

t "import, bad input (2): no MLmodel, malformed MLmodel (FILE:LINE:COL), a file it names missing, no such dir"
cd "$T/p"
runs_before="$(nruns)"
run_mlt model import "$S/nomlmodel"
expect_rc 2
expect_err_contains "MLmodel"
run_mlt model import "$S/badmlmodel"
expect_rc 2
expect_err_match "badmlmodel/MLmodel:[0-9]+:[0-9]+"
run_mlt model import "$S/lostfile"
expect_rc 2
expect_err_contains "model.pkl"
run_mlt model import "$S/model.pkl"
expect_rc 2
run_mlt model import "$S/no-such-dir"
expect_rc 2
expect_err_contains "no-such-dir"
run_mlt model import "$GEN/sklearn_linreg" -n ../escape
expect_rc 2
run_mlt model import
expect_rc 2
expect_eq "runs after the failed imports" "$runs_before" "$(nruns)"

t "missing things: show/verify/get of runs:/RUN/notthere and of an unknown run exit 4; ls --run unknown exits 4"
cd "$T/p"
run_id="$(printf '%s' "${URI[sklearn_linreg]}" | cut -d/ -f2)"
for c in show verify; do
  run_mlt model "$c" "runs:/$run_id/notthere"
  expect_rc 4
  expect_err_contains "notthere"
  run_mlt model "$c" "runs:/nosuchrun/model"
  expect_rc 4
  expect_err_contains "nosuchrun"
done
run_mlt model get "runs:/$run_id/notthere" -o "$T/p/nt"
expect_rc 4
run_mlt model get "runs:/nosuchrun/model" -o "$T/p/nt"
expect_rc 4
[ -e "$T/p/nt" ] && fail "nothing written for a missing model" "no $T/p/nt" "$(ls -ld "$T/p/nt")"
run_mlt model show "$T/no-such-model-dir"
expect_rc 2
run_mlt model verify "$T/no-such-model-dir"
expect_rc 2
run_mlt model verify "$S/nomlmodel"
expect_rc 2
run_mlt model ls --run nosuchrun
expect_rc 4
run_mlt model save "$S/model.pkl" --flavor sklearn --run nosuchrun
expect_rc 4

t "outside a project: get exits 3 (nothing written), as do save, import, ls, and show/verify of runs:/"
mkdir -p "$T/noproj2"
cd "$T/noproj2"
run_mlt model get "${URI[sklearn_linreg]}" -o out
expect_rc 3
run_mlt model get "runs:/x/model" -o out
expect_rc 3
run_mlt model save "$S/model.pkl" --flavor sklearn --python 3.11.2
expect_rc 3
run_mlt model import "$GEN/sklearn_linreg"
expect_rc 3
run_mlt model ls
expect_rc 3
run_mlt model show "${URI[sklearn_linreg]}"
expect_rc 3
run_mlt model verify "${URI[sklearn_linreg]}"
expect_rc 3
expect_eq "files written outside the project" "" "$(ls -A "$T/noproj2")"

# ---------------------------------------------------------------------------------------------
t "model ls: every package newest first with run, path, flavors, uuid, source; --run filters; --json"
new_project lsp
run_mlt model ls
expect_rc 0
expect_out_empty
expect_err_contains "no models yet"
run_mlt --json model ls
expect_rc 0
expect_json_valid
expect_json "$LS" '[]'
A=$(must_mlt run start -n ls-a --no-git)
B=$(must_mlt run start -n ls-b --no-git)
MLT_NOW_MS=$((T0_MS + 1000)) run_mlt model import "$GEN/sklearn_linreg" --run ls-a -n imported
expect_rc 0
MLT_NOW_MS=$((T0_MS + 2000)) run_mlt model save "$S/model.pkl" --flavor sklearn --run ls-a -n saved --uuid "$UUID" --python 3.11.2
expect_rc 0
MLT_NOW_MS=$((T0_MS + 3000)) run_mlt model save "$S/gen" --flavor generic --run ls-b -n files
expect_rc 0
run_mlt --json model ls
expect_rc 0
expect_json_valid
expect_json "[${LS}[] | .uri]" "[\"runs:/$B/files\",\"runs:/$A/saved\",\"runs:/$A/imported\"]"
expect_json "[${LS}[] | .run_name]" '["ls-b","ls-a","ls-a"]'
expect_json "[${LS}[] | .source]" '["save","save","import"]'
expect_json "[${LS}[] | .model_uuid] | .[1:]" "[\"$UUID\",\"c830004217014dd8a61ab4fd404a8fa8\"]"
expect_json "[${LS}[] | .flavors]" '[["generic"],["python_function","sklearn"],["python_function","sklearn"]]'
expect_json "[${LS}[] | .created]" '["2023-11-14T22:13:23.000Z","2023-11-14T22:13:22.000Z","2023-11-14T22:13:21.000Z"]'
expect_json "[${LS}[] | .digest | test(\"^sha256:[0-9a-f]{64}\$\")] | all" true
expect_json "${LS}[2].digest" "$(digest_of "runs:/$A/imported")"
expect_json "${LS}[2].size" "$("$MLT_BIN" --json model show "runs:/$A/imported" 2>/dev/null 3>&- | jq .size)"
run_mlt --json model ls --run ls-a
expect_rc 0
expect_json "[${LS}[] | .path]" '["saved","imported"]'
run_mlt --json model ls --run "$B"
expect_json "[${LS}[] | .path]" '["files"]'
run_mlt model ls
expect_rc 0
expect_out_lines 4
expect_out_match 'RUN +NAME +PATH +FLAVORS'
expect_out_contains "ls-a"
expect_out_contains "imported"
expect_out_contains "$(digest_of "runs:/$A/imported" | cut -c8-19)"
run_mlt model ls --run ls-b
expect_rc 0
expect_out_lines 2
expect_out_contains "files"
expect_out_not_contains "imported"
C=$(must_mlt run start -n ls-empty --no-git)
run_mlt model ls --run ls-empty
expect_rc 0
expect_out_empty
expect_err_contains "has no models"
run_mlt --json model ls --run "$C"
expect_rc 0
expect_json "$LS" '[]'


t "an empty -n is an invalid artifact path (2) for save and import, and stores nothing"
new_project emptyname
head -c 100 /dev/urandom > m.pkl
R=$(must_mlt run start -n empty-n --no-git)
run_mlt model save m.pkl --flavor sklearn --run "$R" -n '' --python 3.11.2
expect_rc 2
expect_err_contains "invalid artifact path ''"
run_mlt model import "$MLT_FIXTURES/mlflow/generated-models/sklearn_linreg" --run "$R" -n ''
expect_rc 2
run_mlt --json model ls
expect_json "$LS" '[]'

t "save: python3 runs isolated (-I, in /, stdin /dev/null), never from the working tree; not at all with --python"
new_project py
head -c 100 /dev/urandom >m.pkl
must_mlt run start -n py --no-git >/dev/null
# a platform.py in the working tree and on PYTHONPATH must never run
mkdir -p "$T/pyhostile"
for d in "$T/py" "$T/pyhostile"; do
  printf 'open("%s", "w").write("ran")\ndef python_version():\n    return "6.6.6"\n' "$T/platform-ran" >"$d/platform.py"
done
if command -v python3 >/dev/null 2>&1; then
  want="$(cd / && python3 -I -S -c 'import platform; print(platform.python_version())' </dev/null)"
  PYTHONPATH="$T/pyhostile" run_mlt model save m.pkl --flavor sklearn --run py -n real
  expect_rc 0
  expect_eq "platform.py of the working tree ran" no "$([ -e "$T/platform-ran" ] && echo yes || echo no)"
  run_mlt --json model show runs:/py/real
  expect_json .flavors.python_function.python_version "$want"
else
  echo "note: python3 not found; the real interpreter's isolation is not checked"
fi
# a python3 on PATH that records how it was started, and answers a version
mkdir -p "$T/fakebin"
{
  echo '#!/bin/sh'
  echo "{ printf 'args=%s\\n' \"\$*\"; printf 'pwd=%s\\n' \"\$(pwd)\"; if read -r line; then echo \"stdin=\$line\"; else echo stdin=none; fi; } >'$T/python3-called'"
  echo 'echo 3.99.1'
} >"$T/fakebin/python3"
chmod +x "$T/fakebin/python3"
PATH="$T/fakebin:$PATH" run_mlt model save m.pkl --flavor sklearn --run py -n fake
expect_rc 0
expect_eq "how python3 was started" "args=-I -S -c import platform; print(platform.python_version())
pwd=/
stdin=none" "$(cat "$T/python3-called" 2>/dev/null)"
run_mlt --json model show runs:/py/fake
expect_json .flavors.python_function.python_version 3.99.1
# --python: no interpreter is run at all
rm -f "$T/python3-called"
PATH="$T/fakebin:$PATH" run_mlt model save m.pkl --flavor sklearn --run py -n given --python 3.10.4
expect_rc 0
expect_eq "python3 was run although --python was given" no "$([ -e "$T/python3-called" ] && echo yes || echo no)"
run_mlt --json model show runs:/py/given
expect_json .flavors.python_function.python_version 3.10.4
# an answer that is not a version is not written into MLmodel
printf '#!/bin/sh\nprintf "3.11.2\\nflavors: {}\\n"\n' >"$T/fakebin/python3"
PATH="$T/fakebin:$PATH" run_mlt model save m.pkl --flavor sklearn --run py -n junk
expect_rc 0
run_mlt --json model show runs:/py/junk
expect_json '.flavors.python_function | has("python_version")' false

t "import: an MLmodel whose alias refers to itself, nested 100,000 deep, or an alias bomb exits 2 naming it"
cd "$T/py"
mkdir -p "$T/selfref" "$T/deepml" "$T/bombml"
for d in selfref deepml bombml; do printf 'x\n' >"$T/$d/model.pkl"; done
printf 'flavors: &f\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n    again: *f\nmodel_uuid: 0123\n' \
  >"$T/selfref/MLmodel"
{
  printf 'flavors:\n  python_function:\n    model_path: model.pkl\nextra: '
  awk 'BEGIN { for (i = 0; i < 100000; i++) printf "["; for (i = 0; i < 100000; i++) printf "]"; print "" }'
} >"$T/deepml/MLmodel"
{
  printf 'flavors:\n  python_function:\n    model_path: model.pkl\n'
  printf 'a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n'
  prev=a
  for c in b c d e f g h i; do
    printf '%s: &%s [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n' "$c" "$c" $prev $prev $prev $prev $prev $prev $prev $prev $prev
    prev=$c
  done
} >"$T/bombml/MLmodel"
runs_before="$(nruns)"
run_mlt model import "$T/selfref"
expect_rc 2
expect_err_contains "$T/selfref/MLmodel:5:"
expect_err_contains "the alias '*f' refers to a node that contains it"
run_mlt model import "$T/deepml"
expect_rc 2
expect_err_contains "$T/deepml/MLmodel:4:"
expect_err_contains "YAML nested more than 256 levels deep"
run_mlt model import "$T/bombml"
expect_rc 2
expect_err_contains "$T/bombml/MLmodel:"
expect_err_contains "aliases expand to more than 100000 nodes"
for d in selfref deepml bombml; do
  run_mlt model show "$T/$d"
  expect_rc 2
done
expect_eq "runs after the refused imports" "$runs_before" "$(nruns)"

finish
