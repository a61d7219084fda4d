# t_deploy.sh: mlt deploy render|create|ls|history|rollback|diff. Every target (docker, kubernetes,
# kserve, seldon, compose) rendered and read back as YAML (PyYAML, field by field, and against the
# golden documents in golden/deploy/), the --set keys and their validation, determinism, the model
# resolved through versions, aliases and runs:/ URIs, the docker build context against `mlt model
# get`; recorded revisions with a pinned clock: create, ls, history, rollback (default, --to,
# refusals), diff (text and --json); lineage down to deployments; gc keeping manifests; bad input
# (2), unknown names (4), conflicts (5), tampered models (6) and no project (3).
#
# Without python3 + PyYAML the YAML checks fall back to line matching (weaker) and the golden
# comparisons are skipped; a note says so (DEPLOY_TEST_NO_PYYAML=1 forces that mode).
# DEPLOY_UPDATE_GOLDEN=1 rewrites the golden files from the current output (review the diff
# before committing it). Cases named "(BUG if it fails)" state behaviour mlt did not have yet.
# shellcheck disable=SC2164  # every cd goes into a directory this suite just created

# lib.sh unsets every MLT_* variable it does not know: keep the fixtures' path (made absolute).
DEP_FIXTURES="${MLT_FIXTURES:-}"
[ -n "$DEP_FIXTURES" ] && DEP_FIXTURES="$(cd "$DEP_FIXTURES" 2>/dev/null && pwd -P)"
DEP_GOLDEN="$(cd "$(dirname "$0")" 2>/dev/null && pwd -P)/golden/deploy"
DEP_UPDATE_GOLDEN="${DEPLOY_UPDATE_GOLDEN:-0}"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
if [ -z "$DEP_FIXTURES" ] || [ ! -d "$DEP_FIXTURES/mlflow/generated-models/sklearn_linreg" ]; then
  lib_die "MLT_FIXTURES is not set to tests/fixtures (CTest sets it; it holds mlflow/generated-models)"
fi

# Copies of the fixture models (nothing here may write into the source tree).
mkdir -p "$T/fx"
cp -R "$DEP_FIXTURES/mlflow/generated-models/sklearn_linreg" "$DEP_FIXTURES/mlflow/generated-models/pyfunc_minimal" "$T/fx/"
SK="$T/fx/sklearn_linreg"
PF="$T/fx/pyfunc_minimal"

# at N: the pinned clock N ms after T0_MS, for MLT_NOW_MS.
at() { echo $((T0_MS + $1)); }

# field JSON EXPR: jq -r EXPR of a JSON text.
field() { printf '%s' "$1" | jq -r "$2" 2>/dev/null; }

# json_of ARG...: the stdout of `mlt --json ARG...` (for setup and before/after comparisons).
json_of() { "$MLT_BIN" --json "$@" </dev/null 2>/dev/null 3>&-; }

# files_of DIR: every file below DIR, relative, sorted, one a line.
files_of() { (cd "$1" 2>/dev/null && find . -type f | sed 's|^\./||' | LC_ALL=C sort); }

# expect_same_tree WHAT EXPECTED-DIR ACTUAL-DIR: same files, same bytes.
expect_same_tree() {
  local d
  d="$(diff -r --no-dereference "$2" "$3" 2>&1)" || fail "$1" "no differences" "$(printf '%s' "$d" | head -n 10)"
}

# expect_same_file WHAT FILE-A FILE-B: byte-identical files.
expect_same_file() {
  cmp -s "$2" "$3" || fail "$1" "'$3' byte-identical to '$2'" "$(cmp "$2" "$3" 2>&1 | head -n 1)"
}

# expect_no_path WHAT PATH: nothing exists at PATH.
expect_no_path() {
  if [ -e "$2" ] || [ -L "$2" ]; then fail "$1" "no '$2'" "$(ls -ld "$2" 2>&1)"; fi
}

# expect_file_line WHAT FILE LINE: FILE has LINE as one whole line.
expect_file_line() {
  grep -Fxq -- "$3" "$2" 2>/dev/null || fail "$1" "a line '$3' in $(basename "$2")" "(no such line)"
}

# history_of ENV: the env's revisions, one compact JSON line each (empty when there are none).
history_of() { json_of deploy history "$1" | jq -c '.revisions[] | [.revision, .action, .model, .rolled_back_to]' 2>/dev/null; }

# expect_history_unchanged WHAT ENV BEFORE: the history of ENV is still BEFORE (from history_of).
expect_history_unchanged() {
  local now
  now="$(history_of "$2")"
  [ "$now" = "$3" ] || fail "$1" "the history of '$2' unchanged ($(lines_of "$3") revisions)" "$(lines_of "$now") revisions: $(printf '%s' "$now" | tr '\n' ' ')"
}

# ---------------------------------------------------------------------------------------------
# Reading YAML back: PyYAML when there is one, else line matching.

YAML_MODE="grep"
PY=""      # the interpreter itself (not a version manager's shim: that costs a second a call)
if [ "${DEPLOY_TEST_NO_PYYAML:-0}" != 1 ] && command -v python3 >/dev/null 2>&1; then
  PY="$(python3 -c 'import sys, yaml; print(sys.executable)' 2>/dev/null)"
  [ -n "$PY" ] && [ -x "$PY" ] && "$PY" -c 'import yaml' >/dev/null 2>&1 && YAML_MODE=pyyaml
fi
y_skipped=0
if [ "$YAML_MODE" = grep ]; then
  echo "note: python3 with PyYAML is not available: YAML is checked line by line (weaker), golden documents are not compared"
fi

# load(PATH): the documents of a YAML file (or a JSON file) as a list. YAML is read strictly:
# duplicate keys and keys that are not strings, which Kubernetes or docker compose would refuse
# or misread, are errors.
PY_LIB='
import json, sys, yaml
class Strict(yaml.SafeLoader):
    pass
def mapping(loader, node, deep=False):
    seen = set()
    for k, _ in node.value:
        key = loader.construct_object(k, deep=True)
        if not isinstance(key, str):
            raise yaml.constructor.ConstructorError(None, None, "a key that is not a string: %r (%s)" % (key, type(key).__name__), k.start_mark)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, "duplicate key %r" % key, k.start_mark)
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)
Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
def plain(x):
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [plain(v) for v in x]
    if x is None or isinstance(x, (str, bool, int, float)):
        return x
    return "!!%s %s" % (type(x).__name__, x)
def load(path):
    with open(path, encoding="utf-8") as f:
        if path.endswith(".json"):
            return [json.load(f)]
        return [plain(d) for d in yaml.load_all(f, Loader=Strict)]
'

# yaml2json FILE...: the documents of every FILE, one JSON array (all files' documents in order).
PY_YAML2JSON="$PY_LIB"'
docs = []
for p in sys.argv[1:]:
    docs += load(p)
json.dump(docs, sys.stdout)
'

# golden GOLDEN-DIR ACTUAL-DIR RUN HEX FILE...: each FILE of ACTUAL-DIR against GOLDEN-DIR:
# YAML and JSON field by field with FILE.json (its documents, placeholders @RUN@, @HEX@, @HEX63@),
# anything else line by line; prints the differences, exits 1 when there are any.
PY_GOLDEN="$PY_LIB"'
import os
gdir, adir, run, hexd = sys.argv[1:5]
def subst(text):
    return text.replace("@RUN@", run).replace("@HEX63@", hexd[:63]).replace("@HEX@", hexd)
def tname(x):
    return "null" if x is None else {bool: "boolean", int: "number", float: "number", str: "string", list: "array", dict: "object"}[type(x)]
diffs = []
def cmp(w, g, path):
    if isinstance(w, dict) and isinstance(g, dict):
        for k in w:
            if k not in g: diffs.append("%s.%s: missing (expected %s)" % (path, k, json.dumps(w[k])[:80]))
            else: cmp(w[k], g[k], "%s.%s" % (path, k))
        for k in g:
            if k not in w: diffs.append("%s.%s: unexpected (%s)" % (path, k, json.dumps(g[k])[:80]))
    elif isinstance(w, list) and isinstance(g, list):
        if len(w) != len(g): diffs.append("%s: %d items, expected %d" % (path, len(g), len(w)))
        for i, (a, b) in enumerate(zip(w, g)): cmp(a, b, "%s[%d]" % (path, i))
    elif tname(w) != tname(g) or w != g:
        diffs.append("%s: expected %s %s, got %s %s" % (path, tname(w), json.dumps(w), tname(g), json.dumps(g)))
for f in sys.argv[5:]:
    if f.endswith((".yaml", ".json")):
        g = os.path.join(gdir, f + ".json")
        if not os.path.exists(g):
            continue
        try:
            got = load(os.path.join(adir, f))
        except Exception as e:
            diffs.append("%s: does not read back: %s" % (f, str(e).replace("\n", " ")))
            continue
        cmp(json.loads(subst(open(g, encoding="utf-8").read())), got, f + ":")
    else:
        g = os.path.join(gdir, f)
        if not os.path.exists(g):
            continue
        want = subst(open(g, encoding="utf-8").read()).split("\n")
        got = open(os.path.join(adir, f), encoding="utf-8").read().split("\n")
        for i in range(max(len(want), len(got))):
            w = want[i] if i < len(want) else "(end of file)"
            a = got[i] if i < len(got) else "(end of file)"
            if w != a:
                diffs.append("%s line %d: expected %r, got %r" % (f, i + 1, w, a))
                break
print("\n".join(diffs[:15]) + ("\n... %d more" % (len(diffs) - 15) if len(diffs) > 15 else ""))
sys.exit(1 if diffs else 0)
'

Y_FILE=""   # the YAML file loaded last (grep mode reads it, PyYAML mode its JSON)

# yaml_load FILE: read FILE (all its documents) for the expect_y checks, which look at the first
# document ($T/.lib/y.json; all of them in $T/.lib/ydocs.json). A file that does not parse fails.
yaml_load() {
  Y_FILE="$1"
  : >"$T/.lib/y.json"
  : >"$T/.lib/ydocs.json"
  if [ ! -f "$1" ]; then
    fail "YAML file exists" "a file '$1'" "(none)"
    return 1
  fi
  [ "$YAML_MODE" = pyyaml ] || return 0
  if ! "$PY" -c "$PY_YAML2JSON" "$1" >"$T/.lib/ydocs.json" 2>"$T/.lib/yaml_err"; then
    fail "$(basename "$1") reads back as YAML (PyYAML, strict keys)" "valid YAML" "$(tail -n 2 "$T/.lib/yaml_err" | tr -s "\n " " ")"
    return 1
  fi
  jq -c '.[0]' <"$T/.lib/ydocs.json" >"$T/.lib/y.json"
}

# yaml_docs_json FILE...: the files' documents as one JSON array on stdout (PyYAML mode only).
yaml_docs_json() { "$PY" -c "$PY_YAML2JSON" "$@" 2>&1; }

# lib_y_grep EXPR EXPECTED: grep mode: EXPR a plain path (.a."b/c"[0].d), checked as a line
# "KEY: VALUE" (VALUE plain or quoted), or "- VALUE" for a sequence item; else skipped.
lib_y_grep() {
  local expr="$1" want="$2" key="" stripped
  case "$want" in '['* | '{'*) y_skipped=$((y_skipped + 1)); return ;; esac
  if [[ "$expr" =~ ^(\.[A-Za-z0-9_-]+|\.\"[^\"]+\"|\[[0-9]+\])+$ ]]; then
    if [[ "$expr" =~ \[[0-9]+\]$ ]]; then key=""
    elif [[ "$expr" =~ \.\"([^\"]+)\"$ ]]; then key="${BASH_REMATCH[1]}"
    elif [[ "$expr" =~ \.([A-Za-z0-9_-]+)$ ]]; then key="${BASH_REMATCH[1]}"
    fi
  else
    y_skipped=$((y_skipped + 1))
    return
  fi
  stripped="$(sed -E 's/^[[:space:]]*(- )?//' "$Y_FILE")"
  if [ -n "$key" ]; then
    printf '%s\n' "$stripped" | grep -Fxq -e "$key: $want" -e "$key: '$want'" -e "$key: \"$want\"" ||
      fail "line '$key: $want' in $(basename "$Y_FILE") (for $expr)" "$key: $want" "(no such line)"
  else
    printf '%s\n' "$stripped" | grep -Fxq -e "$want" -e "'$want'" -e "\"$want\"" ||
      fail "line '- $want' in $(basename "$Y_FILE") (for $expr)" "- $want" "(no such line)"
  fi
}

# lib_ys MODE EXPR EXPECTED [EXPR EXPECTED]...: one jq run for many checks on the loaded
# document. MODE raw: EXPR's outputs printed as jq -rc prints them (strings raw); MODE json: as
# JSON (jq -c), so types count. Several outputs are joined by newlines.
lib_ys() {
  local mode="$1" prog="" i=0 line n v
  local -a args=() exprs=() wants=()
  shift
  if [ "$YAML_MODE" != pyyaml ]; then
    while [ $# -ge 2 ]; do
      v="$2"
      [ "$mode" = json ] && [[ "$v" =~ ^\"(.*)\"$ ]] && v="${BASH_REMATCH[1]}"
      lib_y_grep "$1" "$v"
      shift 2
    done
    return
  fi
  local fmt='if type == "string" then . else tojson end'
  [ "$mode" = json ] && fmt='tojson'
  while [ $# -ge 2 ]; do
    exprs[i]="$1"
    wants[i]="$2"
    args+=(--arg "e$i" "$2")
    prog+="${prog:+, }((try ([$1] | map($fmt) | join(\"\\n\")) catch (\"jq error: \" + tostring)) as \$v | if \$v == \$e$i then \"ok\" else \"FAIL $i \" + (\$v | tojson) end)"
    shift 2
    i=$((i + 1))
  done
  if ! v="$(jq -r "${args[@]}" "$prog" <"$T/.lib/y.json" 2>"$T/.lib/jq_err")"; then
    fail "jq on $(basename "$Y_FILE"): ${exprs[*]}" "the checks run" "jq failed: $(cat "$T/.lib/jq_err")"
    return
  fi
  while IFS= read -r line; do
    case "$line" in
      "FAIL "*)
        line="${line#FAIL }"
        n="${line%% *}"
        v="$(printf '%s' "${line#* }" | jq -r .)"
        fail "$(basename "$Y_FILE"): ${exprs[n]}$([ "$mode" = json ] && echo ' (as JSON)')" "$(lib_show "${wants[n]}")" "$(lib_show "$v")"
        ;;
    esac
  done <<<"$v"
}

# expect_y EXPR EXPECTED [EXPR EXPECTED]...: jq -rc EXPR on the loaded document prints EXPECTED.
expect_y() { lib_ys raw "$@"; }

# expect_yt EXPR JSON [EXPR JSON]...: as expect_y, compared as JSON (jq -c): '"2"' is not '2'.
expect_yt() { lib_ys json "$@"; }

# expect_golden CASE DIR RUN HEX: every file DIR has outside model/ equals golden/deploy/CASE/:
# YAML and JSON field by field (FILE.json holds the documents), anything else line by line; the
# same set of files. Placeholders: @RUN@ (the source run), @HEX@ (the digest), @HEX63@.
expect_golden() {
  local case_="$1" dir="$2" run="$3" hex="$4" f actual_files golden_files d
  if [ "$YAML_MODE" != pyyaml ]; then
    y_skipped=$((y_skipped + 1))
    return
  fi
  actual_files="$(files_of "$dir" | grep -v '^model/')"
  if [ "$DEP_UPDATE_GOLDEN" = 1 ]; then
    rm -rf "${DEP_GOLDEN:?}/$case_"
    mkdir -p "$DEP_GOLDEN/$case_"
    for f in $actual_files; do
      case "$f" in
        *.yaml) "$PY" -c "$PY_YAML2JSON" "$dir/$f" | jq . >"$DEP_GOLDEN/$case_/$f.json" ;;
        *.json) jq -s . <"$dir/$f" >"$DEP_GOLDEN/$case_/$f.json" ;;
        *) cp "$dir/$f" "$DEP_GOLDEN/$case_/$f" ;;
      esac
    done
    sed -i -e "s/$hex/@HEX@/g" -e "s/${hex:0:63}/@HEX63@/g" -e "s/$run/@RUN@/g" "$DEP_GOLDEN/$case_"/*
    echo "note: wrote golden files $DEP_GOLDEN/$case_"
    return
  fi
  if [ ! -d "$DEP_GOLDEN/$case_" ]; then
    fail "golden files for '$case_'" "a directory $DEP_GOLDEN/$case_" "(none)"
    return
  fi
  golden_files="$(files_of "$DEP_GOLDEN/$case_" | sed -E 's/\.(yaml|json)\.json$/.\1/')"
  [ "$actual_files" = "$golden_files" ] ||
    fail "rendered files of '$case_' are the golden ones" "$(printf '%s' "$golden_files" | tr '\n' ' ')" "$(printf '%s' "$actual_files" | tr '\n' ' ')"
  # shellcheck disable=SC2086  # the file names have no blanks
  d="$("$PY" -c "$PY_GOLDEN" "$DEP_GOLDEN/$case_" "$dir" "$run" "$hex" $actual_files 2>&1)" ||
    fail "$case_: the rendered files equal golden/deploy/$case_/ field by field" "no differences" "$d"
}

# expect_k8s_meta NAME NAMESPACE VERSION RUN HEX URI LOCATION: the loaded object's metadata: name,
# namespace, labels (model, version, first 63 digest digits), annotations (uri, sha256:digest, run).
expect_k8s_meta() {
  expect_y .metadata.name "$1" \
    .metadata.namespace "$2" \
    '.metadata.labels."app.kubernetes.io/name"' "$1" \
    '.metadata.labels."app.kubernetes.io/managed-by"' mlt \
    '.metadata.labels."mlt.dev/model"' churn \
    '.metadata.labels."mlt.dev/model-digest"' "${5:0:63}" \
    '.metadata.annotations."mlt.dev/model-uri"' "$6" \
    '.metadata.annotations."mlt.dev/model-digest"' "sha256:$5" \
    '.metadata.annotations."mlt.dev/source-run"' "$4" \
    '.metadata.annotations."mlt.dev/source"' "runs:/$4/model" \
    '.metadata.annotations."mlt.dev/model-location"' "$7" \
    '[.. | objects | .labels? // empty | .[]] | all(type == "string" and length <= 63 and test("^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$"))' true \
    '[.. | objects | .annotations? // empty | .[] | type] | unique' '["string"]'
  # label values are strings of at most 63 characters, alphanumeric at both ends (above)
  expect_yt '.metadata.labels."mlt.dev/model-version"' "\"$3\""
}

# setup_project NAME: a project in $T/NAME (the working directory) with churn v1 = sklearn_linreg
# and v2 = pyfunc_minimal, both registered from runs:/RUN/model, and alias prod -> 2.
# Sets URI1 RUN1 HEX1 (version 1) and URI2 RUN2 HEX2 (version 2) for that project.
setup_project() {
  local j
  new_project "$1"
  j=$(must_mlt --json model import "$SK")
  URI1=$(field "$j" .uri)
  RUN1=$(field "$j" .run)
  HEX1=$(field "$j" .digest)
  HEX1=${HEX1#sha256:}
  j=$(must_mlt --json model import "$PF")
  URI2=$(field "$j" .uri)
  RUN2=$(field "$j" .run)
  HEX2=$(field "$j" .digest)
  HEX2=${HEX2#sha256:}
  must_mlt -q registry register "$URI1" churn >/dev/null
  must_mlt -q registry register "$URI2" churn >/dev/null
  must_mlt -q registry alias churn prod 2 >/dev/null
  lib_fold_subshell_failures
}

# corrupt OBJECT: change the last byte of a stored object (made writable first).
corrupt() {
  local size last
  chmod u+w "$1"
  size=$(wc -c <"$1")
  last=$(tail -c 1 "$1" | od -An -tx1 | tr -d ' ')
  if [ "$last" = 41 ]; then printf 'B'; else printf 'A'; fi | dd of="$1" bs=1 seek=$((size - 1)) conv=notrunc 2>/dev/null
}

setup_project p
P="$T/p"
if ! [[ "$HEX1" =~ ^[0-9a-f]{64}$ && "$HEX2" =~ ^[0-9a-f]{64}$ && "$HEX1" != "$HEX2" ]]; then
  lib_die "the fixture models did not import with two distinct digests ('$HEX1', '$HEX2')"
fi
LOC2="/var/lib/mlt/models/sha256/$HEX2"     # the default storage location of version 2
DIR2="/opt/mlt/models/sha256-$HEX2"         # where the image holds version 2

# ---------------------------------------------------------------------------------------------
t "render kubernetes -o DIR: an apps/v1 Deployment and a v1 Service, labelled with model, version, digest and run"
cd "$P"
run_mlt --json deploy render models:/churn/2 --target kubernetes -o k8s
expect_rc 0
expect_json_valid
expect_json '[.model, .digest, .target, .directory]' "[\"models:/churn/2\",\"sha256:$HEX2\",\"kubernetes\",\"k8s\"]"
expect_json .files '["deployment.yaml","service.yaml"]'
expect_eq "files written" "$(printf 'deployment.yaml\nservice.yaml')" "$(files_of k8s)"
yaml_load k8s/deployment.yaml
expect_y '[.apiVersion, .kind]' '["apps/v1","Deployment"]'
expect_y .apiVersion apps/v1
expect_y .kind Deployment
expect_k8s_meta churn default 2 "$RUN2" "$HEX2" models:/churn/2 "image mlt-churn:v2"
expect_yt .spec.replicas 1
expect_yt .spec.selector.matchLabels '{"app.kubernetes.io/name":"churn"}'
expect_y '.spec.template.metadata.labels == .metadata.labels' true
expect_y '.spec.template.metadata.annotations."mlt.dev/model-digest"' "sha256:$HEX2"
expect_y '.spec.template.spec.containers | length' 1
expect_y .spec.template.spec.containers[0].name model
expect_y .spec.template.spec.containers[0].image mlt-churn:v2
expect_yt .spec.template.spec.containers[0].ports '[{"name":"http","containerPort":8080}]'
expect_y .spec.template.spec.containers[0].readinessProbe.httpGet.path /v2/health/ready
expect_y .spec.template.spec.containers[0].readinessProbe.httpGet.port http
expect_y .spec.template.spec.containers[0].livenessProbe.httpGet.path /v2/health/live
expect_y .spec.template.spec.containers[0].livenessProbe.httpGet.port http
expect_yt .spec.template.spec.containers[0].resources '{"requests":{"cpu":"500m","memory":"1Gi"},"limits":{"cpu":"1","memory":"2Gi"}}'
expect_yt '.spec.template.spec.containers[0].securityContext | [.runAsNonRoot, .runAsUser, .allowPrivilegeEscalation]' '[true,10001,false]'
expect_y '.spec.template.spec.containers[0].env | map({(.name): .value}) | add | [.MLT_MODEL_URI, .MLT_MODEL_DIGEST, .MLSERVER_MODEL_URI, .MLSERVER_HTTP_PORT]' \
  "[\"models:/churn/2\",\"sha256:$HEX2\",\"$DIR2\",\"8080\"]"
expect_y '[.spec.template.spec.containers[0].env[].value | type] | unique' '["string"]'
expect_y '.spec.template.spec | has("volumes")' false
yaml_load k8s/service.yaml
expect_y .apiVersion v1
expect_y .kind Service
expect_k8s_meta churn default 2 "$RUN2" "$HEX2" models:/churn/2 "image mlt-churn:v2"
expect_y .spec.type ClusterIP
expect_yt .spec.selector '{"app.kubernetes.io/name":"churn"}'
expect_yt .spec.ports '[{"name":"http","port":8080,"targetPort":"http"}]'
expect_golden kubernetes k8s "$RUN2" "$HEX2"

t "render kubernetes --set autoscale, replicas, namespace, port, name, image, resources, storage: an autoscaling/v2 HPA too"
cd "$P"
run_mlt deploy render models:/churn/2 --target kubernetes -o k8s-full \
  --set autoscale=true --set replicas=3 --set max_replicas=7 --set target_cpu=65 --set namespace=ml-prod \
  --set port=9000 --set name=churn-api --set image=registry.example.com/churn:2 --set cpu=250m \
  --set memory=512Mi --set cpu_limit=2 --set memory_limit=1Gi --set storage=/mnt/models/
expect_rc 0
expect_out_empty
expect_err_contains "wrote 3 files for models:/churn/2 (kubernetes) to 'k8s-full'"
expect_eq "files written" "$(printf 'deployment.yaml\nhpa.yaml\nservice.yaml')" "$(files_of k8s-full)"
yaml_load k8s-full/hpa.yaml
expect_y .apiVersion autoscaling/v2
expect_y .kind HorizontalPodAutoscaler
expect_k8s_meta churn-api ml-prod 2 "$RUN2" "$HEX2" models:/churn/2 "/mnt/models/sha256/$HEX2"
expect_yt .spec.scaleTargetRef '{"apiVersion":"apps/v1","kind":"Deployment","name":"churn-api"}'
expect_yt .spec.minReplicas 3
expect_yt .spec.maxReplicas 7
expect_yt .spec.metrics '[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":65}}}]'
yaml_load k8s-full/deployment.yaml
expect_k8s_meta churn-api ml-prod 2 "$RUN2" "$HEX2" models:/churn/2 "/mnt/models/sha256/$HEX2"
expect_yt .spec.replicas 3
expect_yt .spec.selector.matchLabels '{"app.kubernetes.io/name":"churn-api"}'
expect_y .spec.template.spec.containers[0].image registry.example.com/churn:2
expect_yt .spec.template.spec.containers[0].ports '[{"name":"http","containerPort":9000}]'
expect_yt .spec.template.spec.containers[0].resources '{"requests":{"cpu":"250m","memory":"512Mi"},"limits":{"cpu":"2","memory":"1Gi"}}'
expect_y '.spec.template.spec.containers[0].env | map({(.name): .value}) | add | [.MLSERVER_HTTP_PORT, .MLSERVER_MODEL_NAME, .MLSERVER_MODEL_URI]' \
  "[\"9000\",\"churn-api\",\"$DIR2\"]"
expect_yt .spec.template.spec.containers[0].volumeMounts "[{\"name\":\"model\",\"mountPath\":\"$DIR2\",\"readOnly\":true}]"
expect_yt .spec.template.spec.volumes "[{\"name\":\"model\",\"hostPath\":{\"path\":\"/mnt/models/sha256/$HEX2\",\"type\":\"Directory\"}}]"
yaml_load k8s-full/service.yaml
expect_y .metadata.namespace ml-prod
expect_yt .spec.ports '[{"name":"http","port":9000,"targetPort":"http"}]'
expect_yt .spec.selector '{"app.kubernetes.io/name":"churn-api"}'
expect_golden kubernetes-full k8s-full "$RUN2" "$HEX2"
run_mlt deploy render models:/churn/2 --target kubernetes --set autoscale=false -o k8s-noauto
expect_rc 0
expect_eq "files with autoscale=false" "$(printf 'deployment.yaml\nservice.yaml')" "$(files_of k8s-noauto)"
expect_same_tree "autoscale=false renders what the defaults render" k8s k8s-noauto
run_mlt deploy render models:/churn/2 --target kubernetes --set autoscale=TRUE --set replicas=0 -o k8s-zero
expect_rc 0
yaml_load k8s-zero/hpa.yaml
expect_yt '[.spec.minReplicas, .spec.maxReplicas]' '[1,5]'      # an HPA cannot have 0 as minimum
yaml_load k8s-zero/deployment.yaml
expect_yt .spec.replicas 0

t "render kubernetes --set server=mlflow: mlflow models serve, probes on /ping; remote storage is read, not mounted"
cd "$P"
run_mlt deploy render models:/churn/2 --target kubernetes --set server=mlflow -o k8s-mlflow
expect_rc 0
yaml_load k8s-mlflow/deployment.yaml
expect_y .spec.template.spec.containers[0].readinessProbe.httpGet.path /ping
expect_y .spec.template.spec.containers[0].livenessProbe.httpGet.path /ping
expect_yt .spec.template.spec.containers[0].command \
  "[\"mlflow\",\"models\",\"serve\",\"-m\",\"$DIR2\",\"--host\",\"0.0.0.0\",\"--port\",\"8080\",\"--env-manager\",\"local\"]"
expect_y '[.spec.template.spec.containers[0].env[].name]' '["MLT_MODEL_URI","MLT_MODEL_DIGEST"]'
expect_golden kubernetes-mlflow k8s-mlflow "$RUN2" "$HEX2"
run_mlt deploy render models:/churn/2 --target kubernetes --set storage=s3://bucket/models -o k8s-s3
expect_rc 0
yaml_load k8s-s3/deployment.yaml
expect_y '.metadata.annotations."mlt.dev/model-location"' "s3://bucket/models/sha256/$HEX2"
expect_y '.spec.template.spec.containers[0].env | map({(.name): .value}) | add | .MLSERVER_MODEL_URI' "s3://bucket/models/sha256/$HEX2"
expect_y '.spec.template.spec | has("volumes")' false
expect_y '.spec.template.spec.containers[0] | has("volumeMounts")' false
run_mlt deploy render models:/churn/2 --target kubernetes --set storage=file:///srv/m -o k8s-file
expect_rc 0
yaml_load k8s-file/deployment.yaml
expect_y .spec.template.spec.volumes[0].hostPath.path "/srv/m/sha256/$HEX2"

t "render kserve: a serving.kserve.io/v1beta1 InferenceService, modelFormat mlflow, protocol v2, storageUri STORAGE/sha256/HEX"
cd "$P"
run_mlt --json deploy render models:/churn/2 --target kserve -o ks
expect_rc 0
expect_json .files '["inferenceservice.yaml"]'
yaml_load ks/inferenceservice.yaml
expect_y .apiVersion serving.kserve.io/v1beta1
expect_y .kind InferenceService
expect_k8s_meta churn default 2 "$RUN2" "$HEX2" models:/churn/2 "$LOC2"
expect_y .spec.predictor.model.modelFormat.name mlflow
expect_y .spec.predictor.model.protocolVersion v2
expect_y .spec.predictor.model.storageUri "$LOC2"
expect_yt .spec.predictor.model.resources '{"requests":{"cpu":"500m","memory":"1Gi"},"limits":{"cpu":"1","memory":"2Gi"}}'
expect_yt .spec.predictor.minReplicas 1
expect_y '.spec.predictor | has("maxReplicas")' false
expect_golden kserve ks "$RUN2" "$HEX2"
run_mlt deploy render models:/churn/2 --target kserve -o ks-s3 --set storage=s3://bucket/models/ \
  --set replicas=2 --set autoscale=true --set max_replicas=4 --set namespace=serving --set memory=3Gi
expect_rc 0
yaml_load ks-s3/inferenceservice.yaml
expect_y .spec.predictor.model.storageUri "s3://bucket/models/sha256/$HEX2"
expect_y '.metadata.annotations."mlt.dev/model-location"' "s3://bucket/models/sha256/$HEX2"
expect_yt '[.spec.predictor.minReplicas, .spec.predictor.maxReplicas]' '[2,4]'
expect_y .metadata.namespace serving
expect_y .spec.predictor.model.resources.requests.memory 3Gi

t "render seldon: a machinelearning.seldon.io/v1 SeldonDeployment, graph MLFLOW_SERVER with modelUri STORAGE/sha256/HEX"
cd "$P"
run_mlt --json deploy render models:/churn/2 --target seldon -o sd
expect_rc 0
expect_json .files '["seldondeployment.yaml"]'
yaml_load sd/seldondeployment.yaml
expect_y .apiVersion machinelearning.seldon.io/v1
expect_y .kind SeldonDeployment
expect_k8s_meta churn default 2 "$RUN2" "$HEX2" models:/churn/2 "$LOC2"
expect_y '.spec.predictors | length' 1
expect_y .spec.predictors[0].graph.implementation MLFLOW_SERVER
expect_y .spec.predictors[0].graph.modelUri "$LOC2"
expect_yt .spec.predictors[0].replicas 1
expect_y .spec.protocol v2
expect_y '.spec.predictors[0].componentSpecs[0].spec.containers[0].name == .spec.predictors[0].graph.name' true
expect_yt .spec.predictors[0].componentSpecs[0].spec.containers[0].resources '{"requests":{"cpu":"500m","memory":"1Gi"},"limits":{"cpu":"1","memory":"2Gi"}}'
expect_y '.spec.predictors[0].labels."mlt.dev/model-digest"' "${HEX2:0:63}"
expect_golden seldon sd "$RUN2" "$HEX2"
run_mlt deploy render models:/churn/2 --target seldon -o sd-3 --set replicas=3 --set storage=gs://b/m --set name=churn-sd
expect_rc 0
yaml_load sd-3/seldondeployment.yaml
expect_yt .spec.predictors[0].replicas 3
expect_y .spec.predictors[0].graph.modelUri "gs://b/m/sha256/$HEX2"
expect_y .metadata.name churn-sd

t "render compose: one service with the image, ports, environment, healthcheck, user 10001 and the model's labels"
cd "$P"
run_mlt --json deploy render models:/churn/2 --target compose -o co
expect_rc 0
expect_json .files '["compose.yaml"]'
yaml_load co/compose.yaml
expect_y '.services | keys' '["churn"]'
expect_y .services.churn.image mlt-churn:v2
expect_yt .services.churn.ports '["8080:8080"]'
expect_y .services.churn.environment.MLT_MODEL_URI models:/churn/2
expect_y .services.churn.environment.MLT_MODEL_DIGEST "sha256:$HEX2"
expect_y .services.churn.environment.MLSERVER_MODEL_URI "$DIR2"
expect_y '[.services.churn.environment[] | type] | unique' '["string"]'
expect_y .services.churn.healthcheck.test[0] CMD-SHELL
expect_y '.services.churn.healthcheck.test[1] | contains("http://127.0.0.1:8080/v2/health/ready")' true
expect_yt .services.churn.user '"10001"'
expect_y '.services.churn.labels."mlt.dev/model"' churn
expect_yt '.services.churn.labels."mlt.dev/model-version"' '"2"'
expect_y '.services.churn.labels."mlt.dev/model-uri"' models:/churn/2
expect_y '.services.churn.labels."mlt.dev/source-run"' "$RUN2"
expect_y '.services.churn.labels."mlt.dev/model-digest" | test("^(sha256:)?'"$HEX2"'$|^'"${HEX2:0:63}"'$")' true
expect_y '[.services.churn.labels[] | type] | unique' '["string"]'
expect_y '.services.churn | has("deploy")' false
expect_golden compose co "$RUN2" "$HEX2"
run_mlt deploy render models:/churn/2 --target compose -o co-x --set replicas=3 --set server=mlflow --set port=30
expect_rc 0
yaml_load co-x/compose.yaml
expect_yt .services.churn.deploy.replicas 3
expect_yt .services.churn.ports '["30:30"]'        # a plain 30:30 reads as the base-60 number 1830
expect_y '.services.churn.healthcheck.test[1] | contains("http://127.0.0.1:30/ping")' true
expect_y '.services.churn.command[0:3]' '["mlflow","models","serve"]'
expect_y '.services.churn.environment | has("MLSERVER_MODEL_URI")' false
run_mlt deploy render models:/churn/2 --target compose -o co-vol --set storage=/data/models
expect_rc 0
yaml_load co-vol/compose.yaml
expect_yt .services.churn.volumes "[\"/data/models/sha256/$HEX2:$DIR2:ro\"]"

t "render compose: a service name that reads as a boolean, number or null stays a string key (BUG if it fails)"
cd "$P"
for n in true 123 null off; do
  run_mlt deploy render models:/churn/2 --target compose --set name=$n -o "co-name-$n"
  expect_rc 0
  if [ "$YAML_MODE" = pyyaml ]; then
    yaml_load "co-name-$n/compose.yaml" && expect_y '.services | keys' "[\"$n\"]"
  else
    grep -Fxq "  $n:" "co-name-$n/compose.yaml" &&
      fail "service key '$n' is quoted in compose.yaml" "'$n': or \"$n\":" "a plain '$n:' (reads as a non-string)"
  fi
done

t "render docker -o DIR: a build context: Dockerfile (USER 10001, EXPOSE, HEALTHCHECK, LABEL digest), MLServer settings, model/ as 'mlt model get' writes it"
cd "$P"
run_mlt --json deploy render models:/churn/2 --target docker -o dk
expect_rc 0
expect_json .files '["Dockerfile","model-settings.json","model/MLmodel","model/conda.yaml","model/python_env.yaml","model/python_model.pkl","model/requirements.txt","settings.json"]'
df=dk/Dockerfile
expect_file_line "Dockerfile runs as a non-root user" "$df" "USER 10001"
expect_file_line "Dockerfile exposes the port" "$df" "EXPOSE 8080"
expect_file_line "Dockerfile's base image" "$df" "FROM python:3.11-slim"
expect_file_line "Dockerfile copies the model to its digest directory" "$df" "COPY --chown=10001 model/ $DIR2/"
expect_file_line "Dockerfile copies the MLServer settings" "$df" "COPY --chown=10001 settings.json model-settings.json /opt/mlt/"
expect_file_line "Dockerfile labels the digest" "$df" "      dev.mlt.model.digest=\"sha256:$HEX2\" \\"
expect_file_line "Dockerfile labels the uri" "$df" "      dev.mlt.model.uri=\"models:/churn/2\" \\"
expect_file_line "Dockerfile labels the run" "$df" "      dev.mlt.model.source-run=\"$RUN2\""
expect_file_line "Dockerfile ENV" "$df" "ENV MLT_MODEL_URI=\"models:/churn/2\" MLT_MODEL_DIGEST=\"sha256:$HEX2\""
expect_file_line "Dockerfile CMD" "$df" 'CMD ["mlserver", "start", "/opt/mlt"]'
grep -Eq '^LABEL .*\\$' "$df" || fail "Dockerfile has a LABEL instruction" "LABEL ... \\" "$(grep -n LABEL "$df")"
grep -Eq '^HEALTHCHECK .* CMD .*http://127\.0\.0\.1:8080/v2/health/ready' "$df" ||
  fail "Dockerfile HEALTHCHECK on the ready endpoint" "HEALTHCHECK ... /v2/health/ready" "$(grep -n HEALTHCHECK "$df")"
grep -Eq 'pip install --no-cache-dir mlserver mlserver-mlflow' "$df" || fail "Dockerfile installs MLServer" "mlserver mlserver-mlflow" "$(grep -n pip "$df")"
run_cmd jq -c '[.name, .implementation, .parameters.uri, .parameters.version]' dk/model-settings.json
expect_rc 0
expect_out_eq "[\"churn\",\"mlserver_mlflow.MLflowRuntime\",\"$DIR2\",\"v2\"]"
run_cmd jq -c '[.http_port, .debug]' dk/settings.json
expect_out_eq '[8080,false]'
must_mlt -q model get models:/churn/2 -o got2 >/dev/null
expect_same_tree "model/ is byte-identical to 'mlt model get models:/churn/2'" got2 dk/model
run_mlt model verify "$PWD/dk/model"
expect_rc 0
expect_golden docker dk "$RUN2" "$HEX2"
run_mlt deploy render models:/churn/1 --target docker -o dk1
expect_rc 0
must_mlt -q model get models:/churn/1 -o got1 >/dev/null
expect_same_tree "model/ of version 1 is byte-identical to 'mlt model get models:/churn/1'" got1 dk1/model
expect_file_line "Dockerfile of v1 labels its digest" dk1/Dockerfile "      dev.mlt.model.digest=\"sha256:$HEX1\" \\"

t "render docker --set server=mlflow --set port=5001: mlflow models serve, no MLServer settings, /ping health check"
cd "$P"
run_mlt deploy render models:/churn/2 --target docker -o dk-mlflow --set server=mlflow --set port=5001
expect_rc 0
expect_eq "files" "$(printf 'Dockerfile\nmodel/MLmodel\nmodel/conda.yaml\nmodel/python_env.yaml\nmodel/python_model.pkl\nmodel/requirements.txt')" "$(files_of dk-mlflow)"
expect_file_line "EXPOSE follows --set port" dk-mlflow/Dockerfile "EXPOSE 5001"
expect_file_line "USER 10001" dk-mlflow/Dockerfile "USER 10001"
expect_file_line "CMD serves with mlflow" dk-mlflow/Dockerfile "CMD [\"mlflow\", \"models\", \"serve\", \"-m\", \"$DIR2\", \"--host\", \"0.0.0.0\", \"--port\", \"5001\", \"--env-manager\", \"local\"]"
grep -Eq '^HEALTHCHECK .* CMD .*http://127\.0\.0\.1:5001/ping' dk-mlflow/Dockerfile ||
  fail "HEALTHCHECK on /ping" "HEALTHCHECK ... :5001/ping" "$(grep -n HEALTHCHECK dk-mlflow/Dockerfile)"
grep -q 'mlserver' dk-mlflow/Dockerfile && fail "no MLServer in the mlflow image" "no 'mlserver'" "$(grep -n mlserver dk-mlflow/Dockerfile)"
expect_golden docker-mlflow dk-mlflow "$RUN2" "$HEX2"

t "render docker without -o exits 2 (a build context is a directory) and writes nothing"
cd "$P"
before="$(ls -A)"
run_mlt deploy render models:/churn/2 --target docker
expect_rc 2
expect_out_empty
expect_err_contains "-o DIR"
run_mlt --json deploy render models:/churn/2 --target docker
expect_rc 2
expect_out_empty
expect_err_json .error.code 2
expect_eq "files after 'render --target docker' without -o" "$before" "$(ls -A)"

t "render to stdout: '# FILE' headers, '---' between files, a YAML stream equal to the files -o writes; no model/"
cd "$P"
run_mlt deploy render models:/churn/2 --target kubernetes --set autoscale=true
expect_rc 0
expect_err_empty
cp "$T/.lib/stdout" stream.yaml
expect_eq "the stream's first line" "# deployment.yaml" "$(head -n 1 stream.yaml)"
expect_eq "the stream's file headers" "$(printf '# deployment.yaml\n# hpa.yaml\n# service.yaml')" "$(grep '^# ' stream.yaml)"
expect_eq "the stream's separators" 2 "$(grep -cx -- '---' stream.yaml)"
expect_eq "trailing newline" "" "$(tail -c 1 stream.yaml)"
must_mlt -q deploy render models:/churn/2 --target kubernetes --set autoscale=true -o k8s-auto >/dev/null
if [ "$YAML_MODE" = pyyaml ]; then
  yaml_load stream.yaml
  expect_eq "stream documents == files' documents" \
    "$(jq -c '[.[] ]' "$T/.lib/ydocs.json")" \
    "$(yaml_docs_json k8s-auto/deployment.yaml k8s-auto/hpa.yaml k8s-auto/service.yaml | jq -c .)"
  expect_eq "stream kinds" '["Deployment","HorizontalPodAutoscaler","Service"]' "$(jq -c '[.[].kind]' "$T/.lib/ydocs.json")"
fi
expect_eq "stream == the files joined" "$(cat stream.yaml)" \
  "$(printf '# deployment.yaml\n'; cat k8s-auto/deployment.yaml; printf -- '---\n# hpa.yaml\n'; cat k8s-auto/hpa.yaml; printf -- '---\n# service.yaml\n'; cat k8s-auto/service.yaml)"
for tg in kserve seldon compose; do
  run_mlt deploy render models:/churn/2 --target $tg
  expect_rc 0
  expect_out_not_contains "model/"
  expect_out_not_contains "---"
  [ "$YAML_MODE" = pyyaml ] && { cp "$T/.lib/stdout" "stream-$tg.yaml"; yaml_load "stream-$tg.yaml"; }
done

t "determinism: rendering twice gives identical bytes (every target, -o and stdout); a second -o is a no-op"
cd "$P"
for tg in docker kubernetes kserve seldon compose; do
  must_mlt -q deploy render models:/churn/2 --target $tg --set autoscale=true -o "det-a-$tg" >/dev/null
  must_mlt -q deploy render models:/churn@prod --target $tg --set autoscale=true -o "det-b-$tg" >/dev/null
  expect_same_tree "$tg rendered twice" "det-a-$tg" "det-b-$tg"
  run_mlt deploy render models:/churn/2 --target $tg --set autoscale=true -o "det-a-$tg"
  expect_rc 0                                        # same content: nothing to replace
  [ $tg = docker ] && continue
  run_mlt deploy render models:/churn/2 --target $tg
  cp "$T/.lib/stdout" "det-1-$tg.out"
  run_mlt deploy render models:/churn/2 --target $tg
  expect_same_file "$tg to stdout twice" "det-1-$tg.out" "$T/.lib/stdout"
done
# the order of --set options does not matter
run_mlt deploy render models:/churn/2 --target kubernetes --set replicas=2 --set port=9000
cp "$T/.lib/stdout" det-order-1.out
run_mlt deploy render models:/churn/2 --target kubernetes --set port=9000 --set replicas=2
expect_same_file "--set order" det-order-1.out "$T/.lib/stdout"

t "render -o DIR: a file with other content exits 5 unless --force; the directory is left as it was (BUG if it fails)"
cd "$P"
mkdir -p conflict
printf 'mine\n' >conflict/service.yaml
run_mlt deploy render models:/churn/2 --target kubernetes -o conflict
expect_rc 5
expect_err_contains "service.yaml"
expect_err_contains "--force"
expect_eq "the conflicting file is kept" "mine" "$(cat conflict/service.yaml)"
expect_no_path "nothing else written when render -o exits 5" conflict/deployment.yaml
run_mlt deploy render models:/churn/2 --target kubernetes -o conflict --force
expect_rc 0
expect_same_tree "--force replaces it" k8s conflict

t "aliases, stages and latest resolve to the version: the manifests name models:/churn/2, not the alias"
cd "$P"
must_mlt -q registry stage churn 2 Production >/dev/null
for u in models:/churn@prod models:/churn/latest models:/churn/Production models:/churn@latest; do
  run_mlt deploy render "$u" --target kserve
  expect_rc 0
  expect_out_contains "mlt.dev/model-uri: models:/churn/2"
  expect_out_contains "storageUri: $LOC2"
done
run_mlt deploy render models:/churn/1 --target kserve -o ks1
expect_rc 0
yaml_load ks1/inferenceservice.yaml
expect_k8s_meta churn default 1 "$RUN1" "$HEX1" models:/churn/1 "/var/lib/mlt/models/sha256/$HEX1"

t "a runs:/RUN/PATH URI renders: the name is the package folder, no version label, the image tagged with 12 digest digits"
cd "$P"
run_mlt --json deploy render "$URI1" --target kubernetes -o k8s-run
expect_rc 0
expect_json .model "$URI1"
yaml_load k8s-run/deployment.yaml
expect_y .metadata.name model
expect_y '.metadata.labels."mlt.dev/model"' model
expect_y '.metadata.labels | has("mlt.dev/model-version")' false
expect_y '.metadata.labels."mlt.dev/model-digest"' "${HEX1:0:63}"
expect_y '.metadata.annotations."mlt.dev/model-uri"' "$URI1"
expect_y '.metadata.annotations."mlt.dev/source-run"' "$RUN1"
expect_y .spec.template.spec.containers[0].image "mlt-model:${HEX1:0:12}"
run_mlt deploy render "$URI1" --target kserve
expect_rc 0
expect_out_contains "storageUri: /var/lib/mlt/models/sha256/$HEX1"

t "--set: an unknown key exits 2 listing every valid key; K without =V exits 2"
cd "$P"
run_mlt deploy render models:/churn/2 --target kubernetes --set replica=2
expect_rc 2
expect_out_empty
expect_err_contains "unknown setting 'replica'"
for k in autoscale cpu cpu_limit image max_replicas memory memory_limit name namespace port replicas server storage target_cpu; do
  expect_err_contains "$k"
done
run_mlt --json deploy render models:/churn/2 --target kserve --set foo=1
expect_rc 2
expect_err_json .error.code 2
expect_err_json '.error.hint | test("replicas")' true
run_mlt deploy render models:/churn/2 --target kubernetes --set replicas
expect_rc 2
run_mlt deploy create staging models:/churn/2 --target kubernetes --set nosuch=1
expect_rc 2
run_mlt deploy history staging
expect_rc 4

t "--set: bad replicas, port, quantities, names, namespace, server, autoscale, image and limits exit 2; nothing is written"
cd "$P"
for s in replicas=-1 replicas=x replicas=1.5 replicas=1001 replicas= port=0 port=65536 port=http port=80.5 \
  cpu=abc cpu=-1 cpu= memory=1GB memory=lots cpu_limit=1x memory_limit=2gb name=Bad_Name name=-x name=x- name= \
  "name=$(printf 'a%.0s' $(seq 1 64))" namespace=NS namespace=a.b server=torch server= autoscale=yes \
  max_replicas=0 target_cpu=0 target_cpu=101 'image=a b' image=; do
  run_mlt deploy render models:/churn/2 --target kubernetes --set "$s" -o "bad-set"
  expect_rc 2
  expect_err_contains "--set ${s%%=*}"
done
run_mlt deploy render models:/churn/2 --target kubernetes --set replicas=10 --set max_replicas=5
expect_rc 2
expect_err_contains "max_replicas"
expect_no_path "nothing written by refused --set values" bad-set
for s in replicas=0 replicas=1000 port=1 port=65535 cpu=0.5 cpu=1500m memory=512Mi memory=1G \
  "name=$(printf 'a%.0s' $(seq 1 63))" name=a1 namespace=team-a server=mlserver server=mlflow autoscale=false target_cpu=100; do
  run_mlt deploy render models:/churn/2 --target kubernetes --set "$s"
  expect_rc 0
done

t "--set storage= (empty) exits 2; storage=/ puts the model at /sha256/HEX (BUG if it fails)"
cd "$P"
run_mlt deploy render models:/churn/2 --target kserve --set storage=
expect_rc 2
run_mlt deploy render models:/churn/2 --target kserve --set storage=/ -o ks-root
expect_rc 0
yaml_load ks-root/inferenceservice.yaml
expect_y .spec.predictor.model.storageUri "/sha256/$HEX2"

t "an unknown target exits 2 listing the targets (render and create; nothing recorded)"
cd "$P"
for tg in helm KServe k8s ''; do
  run_mlt deploy render models:/churn/2 --target "$tg"
  expect_rc 2
  expect_out_empty
done
run_mlt deploy render models:/churn/2 --target helm
expect_err_contains "unknown target 'helm'"
expect_err_contains "docker, kubernetes, kserve, seldon, compose"
run_mlt deploy create staging models:/churn/2 --target helm
expect_rc 2
run_mlt deploy render models:/churn/2
expect_rc 2                                          # --target is required
run_mlt --json deploy ls
expect_json .environments '[]'

t "unknown model, version, alias, stage or run exits 4; a model directory exits 2; nothing recorded"
cd "$P"
for u in models:/nosuch/1 models:/churn/9 models:/churn@nope models:/churn/Staging runs:/0123456789abcdef/model "runs:/$RUN1/nosuch"; do
  run_mlt deploy render "$u" --target kserve
  expect_rc 4
  expect_out_empty
  run_mlt deploy create staging "$u" --target kserve
  expect_rc 4
done
run_mlt deploy render "$SK" --target kserve
expect_rc 2
expect_err_contains "directory"
run_mlt deploy create staging "$SK" --target kserve
expect_rc 2
run_mlt deploy render not-a-uri --target kserve
[ "$rc" = 2 ] || [ "$rc" = 4 ] || fail "exit code of a malformed URI" "exit 2 or 4" "exit $rc"
run_mlt --json deploy ls
expect_json .environments '[]'

t "create: prints the revision (1, 2, ...), notes what it deployed; --json; the pinned clock and the user are recorded"
setup_project cr
MLT_NOW_MS=$(at 1000) run_mlt deploy create staging models:/churn/1 --target kubernetes
expect_rc 0
expect_out_eq "1"
expect_err_contains "staging revision 1: churn v1 (kubernetes, sha256:${HEX1:0:12})"
MLT_NOW_MS=$(at 2000) run_mlt deploy create staging models:/churn@prod --target kubernetes --set replicas=2
expect_rc 0
expect_out_eq "2"
MLT_NOW_MS=$(at 3000) run_mlt -q deploy create prod models:/churn/2 --target kserve
expect_rc 0
expect_out_eq "1"
expect_err_empty
MLT_NOW_MS=$(at 4000) run_mlt --json deploy create qa "$URI2" --target seldon --set namespace=qa
expect_rc 0
expect_json_valid
expect_json '[.env, .revision, .model, .name, .version, .digest, .source, .target]' \
  "[\"qa\",1,\"$URI2\",\"model\",null,\"sha256:$HEX2\",\"runs:/$RUN2/model\",\"seldon\"]"
expect_json '[.settings, .action, .rolled_back_to, .user, .created_ms, .created]' \
  '[{"namespace":"qa"},"create",null,"mlt-tester",1700000004000,"2023-11-14T22:13:24.000Z"]'
expect_json '.manifests | test("^sha256:[0-9a-f]{64}$")' true
run_mlt --json deploy history staging
expect_json '[.revisions[] | [.revision, .model, .version, .settings, .created_ms]]' \
  '[[2,"models:/churn/2",2,{"replicas":"2"},1700000002000],[1,"models:/churn/1",1,{},1700000001000]]'
MLT_NOW_MS=$(at 5000) run_mlt deploy create staging models:/churn/2 --target docker -o ctx
expect_rc 0
expect_out_eq "3"
expect_err_contains "written to 'ctx'"
expect_file_line "create -o writes the build context" ctx/Dockerfile "USER 10001"

t "create: invalid environment names exit 2 and record nothing"
cd "$T/cr"
for e in 'bad env' '.hidden' '_x' 'a/b' 'x;y' "$(printf 'e%.0s' $(seq 1 65))" ''; do
  run_mlt deploy create --target kserve -- "$e" models:/churn/2
  expect_rc 2
  expect_out_empty
done
MLT_NOW_MS=$(at 6000) run_mlt deploy create "$(printf 'e%.0s' $(seq 1 64))" models:/churn/2 --target kserve
expect_rc 0
expect_out_eq "1"
MLT_NOW_MS=$(at 6100) run_mlt deploy create prod-eu.1_a models:/churn/2 --target kserve
expect_rc 0
run_mlt --json deploy ls
expect_json '[.environments[].env] | length' 5

t "ls: the current revision of every environment, by name; --json {\"environments\":[...]}"
cd "$T/cr"
run_mlt deploy ls
expect_rc 0
expect_out_match '^ENV +REVISION +MODEL +DIGEST +TARGET +DEPLOYED +USER'
expect_out_match $'\nprod +1 +churn v2 +'"${HEX2:0:12}"' +kserve +2023-11-14 22:13:23 UTC +mlt-tester'
expect_out_match $'\nqa +1 +'"runs:/$RUN2/model"' +'"${HEX2:0:12}"' +seldon +'
expect_out_match $'\nstaging +3 +churn v2 +'"${HEX2:0:12}"' +docker +2023-11-14 22:13:25 UTC +mlt-tester'
run_mlt --json deploy ls
expect_rc 0
expect_json_valid
expect_json '[.environments[] | select(.env | test("^e+$") | not) | [.env, .revision, .model, .target]]' \
  "[[\"prod\",1,\"models:/churn/2\",\"kserve\"],[\"prod-eu.1_a\",1,\"models:/churn/2\",\"kserve\"],[\"qa\",1,\"$URI2\",\"seldon\"],[\"staging\",3,\"models:/churn/2\",\"docker\"]]"
expect_json '.environments[0] | keys' \
  '["action","created","created_ms","digest","env","manifests","model","name","revision","rolled_back_to","settings","source","target","user","version"]'
mkdir -p "$T/empty"
cd "$T/empty"
must_mlt -q init >/dev/null
run_mlt deploy ls
expect_rc 0
expect_out_empty
expect_err_contains "no deployments"
run_mlt --json deploy ls
expect_rc 0
expect_out_eq '{
  "environments": []
}'

t "history: newest first with the action; --json {\"env\",\"revisions\":[...]}; an unknown environment exits 4"
cd "$T/cr"
run_mlt deploy history staging
expect_rc 0
expect_out_match '^REVISION +MODEL +DIGEST +TARGET +ACTION +DEPLOYED +USER'
expect_out_match $'\n3 +churn v2 +[0-9a-f]{12} +docker +create +2023-11-14 22:13:25 UTC +mlt-tester\n2 +churn v2 +[0-9a-f]{12} +kubernetes +create +2023-11-14 22:13:22 UTC +mlt-tester\n1 +churn v1 +'"${HEX1:0:12}"' +kubernetes +create +2023-11-14 22:13:21 UTC +mlt-tester$'
expect_out_lines 4
run_mlt --json deploy history staging
expect_rc 0
expect_json_valid
expect_json '[.env, [.revisions[].revision], [.revisions[].action], ([.revisions[].env] | unique)]' '["staging",[3,2,1],["create","create","create"],["staging"]]'
run_mlt deploy history nowhere
expect_rc 4
expect_err_contains "nowhere"
run_mlt --json deploy history nowhere
expect_rc 4
expect_err_json .error.code 4

t "rollback: by default to the last revision that deployed something else; recorded as a new revision 'rollback to N'"
setup_project rb
MLT_NOW_MS=$(at 1000) must_mlt -q deploy create prod models:/churn/1 --target kubernetes >/dev/null
MLT_NOW_MS=$(at 2000) must_mlt -q deploy create prod models:/churn/2 --target kubernetes >/dev/null
MLT_NOW_MS=$(at 3000) must_mlt -q deploy create prod models:/churn/2 --target kubernetes >/dev/null   # the same again
m1=$(json_of deploy history prod | jq -r '.revisions[] | select(.revision == 1) | .manifests')
MLT_NOW_MS=$(at 4000) run_mlt deploy rollback prod
expect_rc 0
expect_out_eq "4"
expect_err_contains "prod revision 4: churn v1 (kubernetes, sha256:${HEX1:0:12})"
run_mlt --json deploy history prod
expect_json '.revisions[0] | [.revision, .action, .rolled_back_to, .model, .digest, .created_ms]' \
  "[4,\"rollback\",1,\"models:/churn/1\",\"sha256:$HEX1\",1700000004000]"
expect_json '.revisions[0].manifests' "$m1"                  # the same files as revision 1
run_mlt deploy history prod
expect_out_match $'\n4 +churn v1 +'"${HEX1:0:12}"' +kubernetes +rollback to 1 +2023-11-14 22:13:24 UTC'
run_mlt deploy ls
expect_out_match $'\nprod +4 +churn v1 +'
MLT_NOW_MS=$(at 5000) run_mlt deploy rollback prod                 # and back again: to revision 3
expect_rc 0
expect_out_eq "5"
run_mlt --json deploy history prod
expect_json '[.revisions[] | [.revision, .action, .rolled_back_to, .version]]' \
  '[[5,"rollback",3,2],[4,"rollback",1,1],[3,"create",null,2],[2,"create",null,2],[1,"create",null,1]]'
# settings and the target count as "something else"
MLT_NOW_MS=$(at 6000) must_mlt -q deploy create canary models:/churn/2 --target kubernetes >/dev/null
MLT_NOW_MS=$(at 7000) must_mlt -q deploy create canary models:/churn/2 --target kubernetes --set replicas=4 >/dev/null
MLT_NOW_MS=$(at 8000) run_mlt --json deploy rollback canary
expect_rc 0
expect_json '[.revision, .rolled_back_to, .settings]' '[3,1,{}]'
MLT_NOW_MS=$(at 9000) must_mlt -q deploy create canary2 models:/churn/2 --target kserve >/dev/null
MLT_NOW_MS=$(at 9100) must_mlt -q deploy create canary2 models:/churn/2 --target seldon >/dev/null
MLT_NOW_MS=$(at 9200) run_mlt --json deploy rollback canary2 -o rolled
expect_rc 0
expect_json '[.revision, .rolled_back_to, .target]' '[3,1,"kserve"]'
expect_eq "rollback -o writes the files" "inferenceservice.yaml" "$(files_of rolled)"

t "rollback: the registry alias moving does not change what a revision deployed (pinned to the version)"
cd "$T/rb"
MLT_NOW_MS=$(at 10000) must_mlt -q deploy create al models:/churn@prod --target kserve >/dev/null
MLT_NOW_MS=$(at 10100) must_mlt -q registry alias churn prod 1 >/dev/null
MLT_NOW_MS=$(at 10200) must_mlt -q deploy create al models:/churn@prod --target kserve >/dev/null
MLT_NOW_MS=$(at 10300) run_mlt --json deploy rollback al
expect_rc 0
expect_json '[.model, .version, .digest, .rolled_back_to]' "[\"models:/churn/2\",2,\"sha256:$HEX2\",1]"

t "rollback --to N; --to the current revision exits 2; an unknown revision or environment exits 4; nothing left to roll back to exits 4"
cd "$T/rb"
MLT_NOW_MS=$(at 11000) run_mlt deploy rollback prod --to 2
expect_rc 0
expect_out_eq "6"
run_mlt --json deploy history prod
expect_json '.revisions[0] | [.revision, .action, .rolled_back_to, .version]' '[6,"rollback",2,2]'
h_before="$(history_of prod)"
run_mlt deploy rollback prod --to 6
expect_rc 2
expect_err_contains "current"
for to in 7 0 -1 99; do
  run_mlt deploy rollback prod --to "$to"
  expect_rc 4
done
run_mlt deploy rollback prod --to two
expect_rc 2
expect_history_unchanged "refused rollbacks record nothing" prod "$h_before"
MLT_NOW_MS=$(at 12000) must_mlt -q deploy create solo models:/churn/2 --target kserve >/dev/null
run_mlt deploy rollback solo
expect_rc 4
expect_err_contains "no earlier revision"
MLT_NOW_MS=$(at 12100) must_mlt -q deploy create solo models:/churn/2 --target kserve >/dev/null   # the same again
run_mlt deploy rollback solo
expect_rc 4
expect_history_unchanged "a refused rollback of 'solo' records nothing" solo "$(printf '[2,"create","models:/churn/2",null]\n[1,"create","models:/churn/2",null]')"
run_mlt deploy rollback nowhere
expect_rc 4
run_mlt deploy rollback nowhere --to 1
expect_rc 4

t "diff staging prod: exit 1 with model/version/digest lines and the manifests' line differences; the same: exit 0"
setup_project df
MLT_NOW_MS=$(at 1000) must_mlt -q deploy create staging models:/churn/1 --target kubernetes >/dev/null
MLT_NOW_MS=$(at 2000) must_mlt -q deploy create prod models:/churn/2 --target kubernetes --set replicas=3 >/dev/null
run_mlt deploy diff staging prod
expect_rc 1
expect_out_match '^staging revision 1 vs prod revision 1'
expect_out_match $'\nversion: +1 -> 2\n'
expect_out_match $'\ndigest: +sha256:'"$HEX1"' -> sha256:'"$HEX2"$'\n'
expect_out_match $'\nsource: +runs:/'"$RUN1"'/model -> runs:/'"$RUN2"$'/model\n'
expect_out_match $'\nset replicas: +- -> 3\n'
expect_out_not_contains "model:     churn"                  # the same name is not a difference
expect_out_contains $'\ndeployment.yaml:\n'
expect_out_contains $'\nservice.yaml:\n'
expect_out_contains "  -   replicas: 1"
expect_out_contains "  +   replicas: 3"
expect_out_contains "  -     mlt.dev/model-version: '1'"
expect_out_contains "  +     mlt.dev/model-version: '2'"
expect_out_contains "  +     mlt.dev/model-digest: sha256:$HEX2"
expect_out_not_contains "  - kind: Deployment"              # lines in both are not listed
run_mlt --json deploy diff staging prod
expect_rc 1
expect_json_valid
expect_json '[.same, .a.env, .a.revision, .b.env, .b.revision]' '[false,"staging",1,"prod",1]'
expect_json '[.fields[] | .field]' '["version","digest","source","set replicas"]'
expect_json '.fields[] | select(.field == "version") | [.a, .b]' '["1","2"]'
expect_json '.fields[] | select(.field == "digest") | [.a, .b]' "[\"sha256:$HEX1\",\"sha256:$HEX2\"]"
expect_json '[.manifests[].file]' '["deployment.yaml","service.yaml"]'
expect_json '.manifests[0].lines | index("-   replicas: 1") != null and index("+   replicas: 3") != null' true
expect_json '[.manifests[].lines[] | test("^[-+] ")] | all' true
MLT_NOW_MS=$(at 3000) must_mlt -q deploy create staging models:/churn@prod --target kubernetes --set replicas=3 >/dev/null
run_mlt deploy diff staging prod
expect_rc 0
expect_out_eq $'staging revision 2 vs prod revision 1\nthe same model, target, settings and manifests'
run_mlt --json deploy diff staging prod
expect_rc 0
expect_json '[.same, .fields, .manifests]' '[true,[],[]]'
run_mlt deploy diff prod prod
expect_rc 0

t "diff: another model name with the same digest; the target and settings differ, the model not; an unknown environment exits 4"
cd "$T/df"
must_mlt -q registry register "$URI2" retention >/dev/null
MLT_NOW_MS=$(at 3500) must_mlt -q deploy create ret models:/retention/1 --target kubernetes --set replicas=3 >/dev/null
run_mlt deploy diff prod ret
expect_rc 1
expect_out_match $'\nmodel: +churn -> retention\nversion: +2 -> 1\n'
expect_out_not_contains "digest:"
expect_out_contains "  +   name: retention"
run_mlt --json deploy diff prod ret
expect_rc 1
expect_json '[.fields[] | [.field, .a, .b]]' '[["model","churn","retention"],["version","2","1"]]'
MLT_NOW_MS=$(at 4000) must_mlt -q deploy create edge models:/churn/2 --target kserve --set replicas=3 --set namespace=edge >/dev/null
run_mlt --json deploy diff prod edge
expect_rc 1
expect_json '[.fields[] | [.field, .a, .b]]' '[["target","kubernetes","kserve"],["set namespace","-","edge"]]'
expect_json '[.manifests[].file]' '["deployment.yaml","inferenceservice.yaml","service.yaml"]'
expect_json '[.manifests[] | select(.file == "inferenceservice.yaml") | .lines[] | select(startswith("- "))] | length' 0
expect_json '[.manifests[] | select(.file == "service.yaml") | .lines[] | select(startswith("+ "))] | length' 0
run_mlt deploy diff prod nowhere
expect_rc 4
run_mlt deploy diff nowhere prod
expect_rc 4
run_mlt deploy diff prod
expect_rc 2

t "a tampered model: render (every target) and create exit 6, write and record nothing; rollback to it exits 6"
setup_project tp
MLT_NOW_MS=$(at 1000) must_mlt -q deploy create prod models:/churn/1 --target kubernetes >/dev/null
MLT_NOW_MS=$(at 2000) must_mlt -q deploy create prod models:/churn/2 --target kubernetes >/dev/null
h_before="$(history_of prod)"
h=$(sha256sum <"$SK/model.pkl" | cut -c1-64)
obj="$T/tp/.mlt/objects/${h:0:2}/${h:2}"
if [ -f "$obj" ]; then
  corrupt "$obj"
else
  fail "the object of model.pkl is at .mlt/objects/XX/..." "a file $obj" "$(find "$T/tp/.mlt/objects" -type f | head -n 3)"
fi
for tg in docker kubernetes kserve seldon compose; do
  run_mlt deploy render models:/churn/1 --target $tg -o "out-$tg"
  expect_rc 6
  expect_out_empty
  expect_err_contains "model.pkl"
  expect_no_path "no files from a tampered model ($tg)" "out-$tg"
  run_mlt deploy render models:/churn/1 --target $tg
  expect_rc 6
  expect_out_empty
done
run_mlt deploy create staging models:/churn/1 --target kserve
expect_rc 6
expect_out_empty
run_mlt deploy history staging
expect_rc 4
run_mlt deploy create prod "$URI1" --target kubernetes -o out-create
expect_rc 6
expect_no_path "no files from a refused create" out-create
run_mlt deploy rollback prod
expect_rc 6
run_mlt deploy rollback prod --to 1
expect_rc 6
expect_history_unchanged "nothing recorded for a tampered model" prod "$h_before"
run_mlt deploy render models:/churn/2 --target kserve              # the other version is fine
expect_rc 0

t "create -o DIR with a conflicting file exits 5 and records no revision (BUG if it fails)"
setup_project cf
MLT_NOW_MS=$(at 1000) must_mlt -q deploy create busy models:/churn/1 --target kserve >/dev/null
MLT_NOW_MS=$(at 2000) must_mlt -q deploy create busy models:/churn/2 --target kserve >/dev/null
h_before="$(history_of busy)"
mkdir -p busy
printf 'mine\n' >busy/inferenceservice.yaml
MLT_NOW_MS=$(at 9000) run_mlt deploy create busy models:/churn/1 --target kserve -o busy
expect_rc 5
expect_out_empty
expect_eq "the conflicting file is kept" "mine" "$(cat busy/inferenceservice.yaml)"
expect_history_unchanged "a create that exits 5 records nothing" busy "$h_before"
MLT_NOW_MS=$(at 9050) run_mlt deploy rollback busy -o busy
expect_rc 5
expect_history_unchanged "a rollback that exits 5 records nothing" busy "$h_before"
MLT_NOW_MS=$(at 9100) run_mlt deploy create fresh models:/churn/1 --target kserve -o busy
expect_rc 5
run_mlt deploy history fresh
expect_rc 4

t "lineage models:/churn/2 lists the deployments downstream (text and --json)"
cd "$T/rb"
run_mlt lineage models:/churn/2
expect_rc 0
expect_out_contains "downstream:"
expect_out_contains "deployment prod revision 2  [deployed]"
expect_out_contains "deployment prod revision 5  [deployed]"
expect_out_contains "deployment al revision 1  [deployed]"
expect_out_not_contains "deployment prod revision 1  [deployed]"     # that one ran version 1
run_mlt --json lineage models:/churn/2
expect_rc 0
expect_json '[.nodes[] | select(.kind == "deployment") | .id] | sort | index("deploy:prod#2") != null' true
expect_json '.nodes[] | select(.id == "deploy:prod#6") | [.env, .revision, .target, .digest, .action]' \
  "[\"prod\",\"6\",\"kubernetes\",\"sha256:$HEX2\",\"rollback\"]"
expect_json '[.edges[] | select(.relation == "deployed") | .from] | unique' '["registry:churn/2"]'
run_mlt --json lineage models:/churn/1
expect_json '[.nodes[] | select(.kind == "deployment") | .id] | sort' '["deploy:al#2","deploy:prod#1","deploy:prod#4"]'

t "gc keeps what deployments reference: after 'gc --grace 0s' diff reads the manifests and fsck finds no damage"
cd "$T/df"
run_mlt gc --grace 0s
expect_rc 0
run_mlt deploy diff staging prod
expect_rc 0
run_mlt --json deploy diff prod edge
expect_rc 1
expect_json '[.manifests[].file]' '["deployment.yaml","inferenceservice.yaml","service.yaml"]'
run_mlt fsck
expect_rc 0
MLT_NOW_MS=$(at 20000) run_mlt deploy rollback edge --to 1
expect_rc 2                                          # revision 1 is the current one

t "render docker -o DIR whose model/ is a symlink to elsewhere: exit 5, nothing written through it"
cd "$P"
mkdir -p dk-link "$T/dk-victim"
ln -s "$T/dk-victim" dk-link/model
run_mlt deploy render models:/churn/2 --target docker -o dk-link
expect_rc 5
expect_err_contains "symlink"
expect_eq "nothing written in the link's target" "" "$(ls -A "$T/dk-victim")"

t "outside a project: deploy commands exit 3 and write nothing"
mkdir -p "$T/noproj"
cd "$T/noproj"
run_mlt deploy render models:/churn/2 --target kserve
expect_rc 3
run_mlt deploy create prod models:/churn/2 --target kserve -o out
expect_rc 3
run_mlt deploy ls
expect_rc 3
run_mlt deploy history prod
expect_rc 3
run_mlt deploy rollback prod
expect_rc 3
run_mlt deploy diff a b
expect_rc 3
expect_eq "files written outside the project" "" "$(ls -A "$T/noproj")"

[ "$y_skipped" -eq 0 ] || echo "note: $y_skipped YAML checks were skipped (no PyYAML)"
finish
