# t_artifact.sh: run artifacts: mlt log artifact (files, nested directories, --as, several paths),
# mlt artifact ls|cat|get, runs:/RUN/PATH URIs, large (chunked) files, symlinks, hostile paths,
# refusing to overwrite, errors (missing run/path, no project), and the stat cache on re-adds.
# shellcheck disable=SC2164  # every cd goes into a directory this suite just created
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# sha FILE: "sha256:<hex>" of FILE, as sha256sum computes it.
sha() { printf 'sha256:%s\n' "$(sha256sum <"$1" | cut -c1-64)"; }

# listing RUN: the run's artifacts, everything (`mlt --json artifact ls -r RUN`).
listing() { "$MLT_BIN" --json artifact ls -r "$1" 2>&1 3>&-; }

# entries_of RUN: one line "KIND PATH DIGEST" for every artifact of RUN, for before/after.
entries_of() {
  "$MLT_BIN" --json artifact ls -r "$1" 2>&1 3>&- | jq -r '.entries[] | "\(.kind) \(.path) \(.digest)"' 2>&1
}

# expect_unchanged WHAT RUN BEFORE: the artifacts of RUN are still BEFORE (from entries_of).
expect_unchanged() {
  local now
  now="$(entries_of "$2")"
  [ "$now" = "$3" ] ||
    fail "$1" "the run's artifacts unchanged ($(lines_of "$3") entries)" \
      "$(diff <(printf '%s\n' "$3") <(printf '%s\n' "$now") | grep '^[<>]' | head -n 5 | tr '\n' ';')"
}

# expect_same_file WHAT EXPECTED-FILE ACTUAL-FILE: the two files are byte-identical.
expect_same_file() {
  if [ ! -f "$3" ] || [ -L "$3" ]; then
    fail "$1" "a regular file '$3' equal to '$2'" "$(ls -ld "$3" 2>&1)"
  elif ! cmp -s "$2" "$3"; then
    fail "$1" "'$3' byte-identical to '$2' ($(wc -c <"$2") bytes)" "$(cmp "$2" "$3" 2>&1 | head -n 1) ($(wc -c <"$3") bytes)"
  fi
}

# expect_stdout_file WHAT FILE: the raw stdout of the last command equals FILE, byte for byte.
expect_stdout_file() {
  cmp -s "$2" "$T/.lib/stdout" ||
    fail "$1" "stdout byte-identical to '$2' ($(wc -c <"$2") bytes)" "$(wc -c <"$T/.lib/stdout") bytes differ"
}

# run_mlt_bin ARG...: as run_mlt, for commands printing binary data: $out only says how many bytes
# (the bytes themselves stay in $T/.lib/stdout for expect_stdout_file).
run_mlt_bin() {
  last_cmd="mlt $(printf '%q ' "$@")"
  last_cmd="${last_cmd% }"
  # shellcheck disable=SC2086
  $LIB_TIMEOUT "$MLT_BIN" "$@" </dev/null >"$T/.lib/stdout" 2>"$T/.lib/stderr" 3>&-
  rc=$?
  out="($(wc -c <"$T/.lib/stdout" | tr -d ' ') bytes on stdout)"
  err="$(cat "$T/.lib/stderr")"
}

# expect_same_tree WHAT EXPECTED-DIR ACTUAL-DIR: same files, same bytes (diff -r, links not followed).
expect_same_tree() {
  local d
  d="$(diff -r --no-dereference "$2" "$3" 2>&1)" || fail "$1" "no differences" "$(printf '%s' "$d" | head -n 10)"
}

# a data set outside the project
D="$T/data"
mkdir -p "$D/dir/sub/deep"
head -c 3000 /dev/urandom >"$D/model.bin"
printf '#!/bin/sh\necho hi\n' >"$D/run.sh"
chmod 755 "$D/run.sh"
printf 'alpha\n' >"$D/dir/a.txt"
printf 'beta\n' >"$D/dir/sub/b.txt"
head -c 777 /dev/urandom >"$D/dir/sub/deep/c.bin"
: >"$D/dir/sub/empty"

new_project p
R=$(must_mlt run start -n r --no-git)

# ---------------------------------------------------------------------------------------------
t "log artifact FILE: stored at its name; ls --json: path, kind, mode, size, digest = sha256sum"
cd "$T/p"
run_mlt --json log artifact --run r "$D/model.bin"
expect_rc 0
expect_json .run "$R"
expect_json .files 1
expect_json .bytes 3000
run_mlt --json log artifact --run r "$D/run.sh"
expect_rc 0
run_mlt --json artifact ls r
expect_rc 0
expect_json .run "$R"
expect_json '[.entries[] | .path]' '["model.bin","run.sh"]'
expect_json '.entries[0] | [.kind, .mode, .size, .digest]' "[\"file\",\"644\",3000,\"$(sha "$D/model.bin")\"]"
expect_json '.entries[1] | [.kind, .mode, .size, .digest]' "[\"file\",\"755\",$(wc -c <"$D/run.sh"),\"$(sha "$D/run.sh")\"]"
run_mlt artifact ls r
expect_rc 0
expect_out_contains "model.bin"
expect_out_contains "$(sha "$D/model.bin" | cut -c8-19)"

t "log artifact DIR (nested): ls shows one level, ls -r everything, ls RUN DIR its entries"
cd "$T/p"
run_mlt --json log artifact --run r "$D/dir"
expect_rc 0
expect_json .files 4
expect_json .bytes $((6 + 5 + 777))
run_mlt --json artifact ls r
expect_json '[.entries[] | [.path, .kind]]' '[["dir","dir"],["model.bin","file"],["run.sh","file"]]'
run_mlt --json artifact ls -r r
expect_rc 0
expect_json '[.entries[] | .path]' \
  '["dir","dir/a.txt","dir/sub","dir/sub/b.txt","dir/sub/deep","dir/sub/deep/c.bin","dir/sub/empty","model.bin","run.sh"]'
for f in a.txt sub/b.txt sub/deep/c.bin sub/empty; do
  expect_json ".entries[] | select(.path == \"dir/$f\") | [.kind, .size, .digest]" \
    "[\"file\",$(wc -c <"$D/dir/$f"),\"$(sha "$D/dir/$f")\"]"
done
expect_json '.entries[] | select(.path == "dir/sub") | .kind' dir
run_mlt --json artifact ls r dir
expect_rc 0
expect_json '[.entries[] | .path]' '["dir/a.txt","dir/sub"]'
run_mlt --json artifact ls -r r dir/sub
expect_json '[.entries[] | .path]' '["dir/sub/b.txt","dir/sub/deep","dir/sub/deep/c.bin","dir/sub/empty"]'
run_mlt --json artifact ls r dir/sub/deep/c.bin
expect_rc 0
expect_json '[.entries[] | [.path, .size, .digest]]' "[[\"dir/sub/deep/c.bin\",777,\"$(sha "$D/dir/sub/deep/c.bin")\"]]"

t "log artifact --as DEST: a file and a directory stored at the given path"
cd "$T/p"
run_mlt log artifact --run r "$D/model.bin" --as models/best.bin
expect_rc 0
expect_out_empty
run_mlt log artifact --run r "$D/dir" --as snapshots/v1
expect_rc 0
run_mlt --json artifact ls -r r models
expect_json '[.entries[] | [.path, .digest]]' "[[\"models/best.bin\",\"$(sha "$D/model.bin")\"]]"
run_mlt --json artifact ls -r r snapshots
expect_json '[.entries[] | .path]' \
  '["snapshots/v1","snapshots/v1/a.txt","snapshots/v1/sub","snapshots/v1/sub/b.txt","snapshots/v1/sub/deep","snapshots/v1/sub/deep/c.bin","snapshots/v1/sub/empty"]'
run_mlt --json artifact ls r
expect_json '[.entries[] | .path]' '["dir","model.bin","models","run.sh","snapshots"]'

t "log artifact with several PATHs: each at its name, or inside DIR with --as DIR"
cd "$T/p"
must_mlt run start -n multi --no-git >/dev/null
must_mlt run start -n multi2 --no-git >/dev/null
run_mlt --json log artifact --run multi "$D/model.bin" "$D/run.sh" "$D/dir" --as bundle
expect_rc 0
expect_json .files 6
run_mlt --json artifact ls -r multi
expect_json '[.entries[] | .path]' \
  '["bundle","bundle/dir","bundle/dir/a.txt","bundle/dir/sub","bundle/dir/sub/b.txt","bundle/dir/sub/deep","bundle/dir/sub/deep/c.bin","bundle/dir/sub/empty","bundle/model.bin","bundle/run.sh"]'
run_mlt log artifact --run multi2 "$D/model.bin" "$D/dir/a.txt"
expect_rc 0
run_mlt --json artifact ls -r multi2
expect_json '[.entries[] | .path]' '["a.txt","model.bin"]'

t "log artifact at an existing path replaces that entry and keeps the others"
cd "$T/p"
must_mlt run start -n repl --no-git >/dev/null
printf 'version 2\n' >"$T/v2.txt"
must_mlt log artifact --run repl "$D/model.bin" "$D/dir" >/dev/null
run_mlt log artifact --run repl "$T/v2.txt" --as model.bin
expect_rc 0
run_mlt --json artifact ls repl
expect_json '[.entries[] | [.path, .digest]]' \
  "[[\"dir\",$(listing r | jq -c '.entries[] | select(.path == "dir") | .digest')],[\"model.bin\",\"$(sha "$T/v2.txt")\"]]"

t "log artifact: the last of several PATHs with one name wins; a file in the way of a directory is replaced"
cd "$T/p"
must_mlt run start -n same --no-git >/dev/null
mkdir -p "$T/same1" "$T/same2"
printf 'first\n' >"$T/same1/x.txt"
printf 'second\n' >"$T/same2/x.txt"
run_mlt log artifact --run same "$T/same1/x.txt" "$T/same2/x.txt" --as d
expect_rc 0
run_mlt --json artifact ls -r same
expect_json '[.entries[] | [.path, .digest]]' "[[\"d\",$(entries_of same | awk '$2 == "d" {printf "\"%s\"", $3}')],[\"d/x.txt\",\"$(sha "$T/same2/x.txt")\"]]"
run_mlt log artifact --run same "$D/dir" --as d/x.txt/inner      # d/x.txt is a file in the way
expect_rc 0
run_mlt --json artifact ls same d/x.txt
expect_rc 0
expect_json '[.entries[] | [.path, .kind]]' '[["d/x.txt/inner","dir"]]'

t "log artifact: empty directories are kept; FIFOs below a directory are skipped with a warning"
cd "$T/p"
must_mlt run start -n kinds --no-git >/dev/null
mkdir -p "$T/kinds/void/deeper" "$T/kinds/full"
printf 'x\n' >"$T/kinds/full/f"
mkfifo "$T/kinds/full/pipe"
run_mlt log artifact --run kinds "$T/kinds"
expect_rc 0
expect_err_contains "pipe"
run_mlt --json artifact ls -r kinds
expect_json '[.entries[] | [.path, .kind]]' \
  '[["kinds","dir"],["kinds/full","dir"],["kinds/full/f","file"],["kinds/void","dir"],["kinds/void/deeper","dir"]]'
mkdir -p "$T/p/getk"
cd "$T/p/getk"
run_mlt artifact get kinds kinds -o k
expect_rc 0
[ -d k/void/deeper ] || fail "an empty directory is restored" "k/void/deeper/" "$(find k | tr '\n' ' ')"
cd "$T/p"
before="$(entries_of kinds)"
run_mlt log artifact --run kinds "$T/kinds/full/pipe"
expect_rc 2
expect_unchanged "artifacts of kinds" kinds "$before"

t "log artifact of a folder holding the project never adds the project's .mlt"
cd "$T/p"
must_mlt run start -n self --no-git >/dev/null
printf 'code\n' >"$T/p/train.py"
run_mlt log artifact --run self .
expect_rc 0
run_mlt --json artifact ls -r self
expect_rc 0
expect_json '[.entries[] | .path | select(test("(^|/)\\.mlt(/|$)"))]' '[]'
expect_json '[.entries[] | .path | select(endswith("/train.py"))] | length' 1
rm -f "$T/p/train.py"

t "artifact cat: a file's bytes on stdout, exactly; a directory exits 2"
cd "$T/p"
run_mlt_bin artifact cat r model.bin
expect_rc 0
expect_err_empty
expect_stdout_file "cat model.bin" "$D/model.bin"
run_mlt artifact cat r dir/sub/b.txt
expect_rc 0
expect_stdout_file "cat dir/sub/b.txt" "$D/dir/sub/b.txt"
run_mlt artifact cat r dir/sub/empty
expect_rc 0
expect_stdout_file "cat dir/sub/empty" "$D/dir/sub/empty"
run_mlt artifact cat r dir
expect_rc 2
expect_out_empty

t "artifact get FILE: here under its name, to -o DEST, into -o DIR/; byte-identical, mode kept"
mkdir -p "$T/p/get1/existing"
cd "$T/p/get1"
run_mlt artifact get r model.bin
expect_rc 0
expect_out_empty
expect_same_file "./model.bin" "$D/model.bin" "$T/p/get1/model.bin"
run_mlt artifact get r run.sh -o x/y/run
expect_rc 0
expect_same_file "x/y/run" "$D/run.sh" "$T/p/get1/x/y/run"
[ -x "$T/p/get1/x/y/run" ] || fail "an executable file is restored executable" "mode 755" "$(stat -c %a x/y/run)"
[ -x "$T/p/get1/model.bin" ] && fail "a plain file is restored not executable" "mode 644" "$(stat -c %a model.bin)"
run_mlt artifact get r dir/a.txt -o existing
expect_rc 0
expect_same_file "existing/a.txt" "$D/dir/a.txt" "$T/p/get1/existing/a.txt"
run_mlt artifact get r dir/sub/b.txt -o newdir/
expect_rc 0
expect_same_file "newdir/b.txt" "$D/dir/sub/b.txt" "$T/p/get1/newdir/b.txt"
run_mlt --json artifact get r dir/sub/deep/c.bin -o c.bin
expect_rc 0
expect_json '[.run, .path, .destination, .digest, .size]' \
  "[\"$R\",\"dir/sub/deep/c.bin\",\"c.bin\",\"$(sha "$D/dir/sub/deep/c.bin")\",777]"
expect_same_file "c.bin" "$D/dir/sub/deep/c.bin" "$T/p/get1/c.bin"

t "artifact get DIR: the whole tree, byte-identical, nothing else written"
mkdir -p "$T/p/get2"
cd "$T/p/get2"
run_mlt artifact get r dir -o out
expect_rc 0
expect_same_tree "restored tree" "$D/dir" "$T/p/get2/out"
expect_eq "entries in the destination's parent" "out" "$(ls -A "$T/p/get2")"
run_mlt artifact get r dir
expect_rc 0
expect_same_tree "restored tree (default name)" "$D/dir" "$T/p/get2/dir"
run_mlt artifact get r snapshots/v1/sub/ -o s
expect_rc 0
expect_same_tree "restored subtree (PATH with a trailing /)" "$D/dir/sub" "$T/p/get2/s"
run_mlt artifact get r
expect_rc 0
expect_same_tree "all artifacts, into ./artifacts" "$D/dir" "$T/p/get2/artifacts/dir"
expect_same_file "artifacts/model.bin" "$D/model.bin" "$T/p/get2/artifacts/model.bin"
run_mlt --json artifact ls r dir/
expect_rc 0
expect_json '[.entries[] | .path]' '["dir/a.txt","dir/sub"]'

t "artifact get refuses to replace an existing file (exit 5, file unchanged) unless --force"
mkdir -p "$T/p/get3"
cd "$T/p/get3"
printf 'mine\n' >model.bin
run_mlt artifact get r model.bin
expect_rc 5
expect_err_contains "model.bin"
expect_eq "existing file unchanged" "mine" "$(cat model.bin)"
run_mlt artifact get r model.bin --force
expect_rc 0
expect_same_file "model.bin after --force" "$D/model.bin" "$T/p/get3/model.bin"
mkdir -p out/sub
printf 'mine\n' >out/sub/b.txt
run_mlt artifact get r dir -o out
expect_rc 5
expect_eq "existing file in the directory unchanged" "mine" "$(cat out/sub/b.txt)"
run_mlt artifact get r dir -o out --force
expect_rc 0
expect_same_tree "directory after --force" "$D/dir" "$T/p/get3/out"
rm -f out/a.txt
mkdir out/a.txt
run_mlt artifact get r dir -o out --force
expect_rc 5
[ -d out/a.txt ] || fail "a directory in the way of a file is left alone" "out/a.txt/ a directory" "$(ls -ld out/a.txt)"

t "artifact get never writes through a symlink at the destination"
mkdir -p "$T/p/get4/victimdir"
cd "$T/p/get4"
printf 'victim\n' >victim
ln -s "$T/p/get4/victim" link
ln -s "$T/p/get4/victimdir" dlink
run_mlt artifact get r model.bin -o link
expect_rc 5
expect_eq "the link's target unchanged" "victim" "$(cat victim)"
run_mlt artifact get r model.bin -o link --force
expect_rc 0
expect_eq "the link's target unchanged (--force)" "victim" "$(cat victim)"
expect_same_file "-o link --force replaces the link" "$D/model.bin" "$T/p/get4/link"
run_mlt artifact get r dir -o dlink
expect_rc 5
run_mlt artifact get r dir -o dlink --force
expect_rc 5
expect_eq "nothing written into the link's target directory" "" "$(ls -A victimdir)"

t "runs:/RUN/PATH URIs for ls, cat and get (by name and by id); URI plus PATH exits 2"
mkdir -p "$T/p/get5"
cd "$T/p/get5"
run_mlt --json artifact ls "runs:/r/dir/sub"
expect_rc 0
expect_json '[.entries[] | .path]' '["dir/sub/b.txt","dir/sub/deep","dir/sub/empty"]'
run_mlt artifact cat "runs:/$R/dir/a.txt"
expect_rc 0
expect_stdout_file "cat runs:/ID/dir/a.txt" "$D/dir/a.txt"
run_mlt_bin artifact cat "runs:/${R:0:8}/model.bin"
expect_rc 0
expect_stdout_file "cat runs:/PREFIX/model.bin" "$D/model.bin"
run_mlt artifact get "runs:/r/dir" -o d
expect_rc 0
expect_same_tree "get runs:/r/dir" "$D/dir" "$T/p/get5/d"
run_mlt artifact get "runs:/r/model.bin" model.bin
expect_rc 2
run_mlt artifact ls "runs:/nosuchrun/x"
expect_rc 4
run_mlt artifact cat "runs://model.bin"
[ "$rc" != 0 ] || fail "runs:// without a run" "non-zero exit" "exit 0"

t "a 5 MiB file (and a 5 MB compressible one) round-trips; digests equal sha256sum"
cd "$T/p"
head -c $((5 * 1024 * 1024)) /dev/urandom >"$T/big.bin"
seq 1 750000 >"$T/big.txt"
run_mlt --json log artifact --run r "$T/big.bin" "$T/big.txt" --as big
expect_rc 0
expect_err_not_contains $'\r'      # no progress bar when stderr is not a terminal
expect_json .bytes $((5 * 1024 * 1024 + $(wc -c <"$T/big.txt")))
run_mlt --json artifact ls r big
expect_json '[.entries[] | [.path, .size, .digest]]' \
  "[[\"big/big.bin\",$((5 * 1024 * 1024)),\"$(sha "$T/big.bin")\"],[\"big/big.txt\",$(wc -c <"$T/big.txt"),\"$(sha "$T/big.txt")\"]]"
run_mlt_bin artifact cat r big/big.bin
expect_rc 0
expect_stdout_file "cat big/big.bin" "$T/big.bin"
mkdir -p "$T/p/get6"
cd "$T/p/get6"
run_mlt --json artifact get r big/big.bin
expect_rc 0
expect_err_not_contains $'\r'
expect_json .digest "$(sha "$T/big.bin")"
expect_same_file "get big/big.bin" "$T/big.bin" "$T/p/get6/big.bin"
run_mlt artifact get r big/big.txt
expect_rc 0
expect_same_file "get big/big.txt" "$T/big.txt" "$T/p/get6/big.txt"

# ---------------------------------------------------------------------------------------------
L="$T/links"
mkdir -p "$L/sub" "$T/outsidedir"
printf 'target\n' >"$L/f"
printf 'secret\n' >"$T/outsidedir/secret"
ln -s f "$L/in"                      # inside
ln -s ../f "$L/sub/up"               # inside, through ..
ln -s sub "$L/tosub"                 # inside, a directory
ln -s "$T/outsidedir/secret" "$L/abs" # absolute
ln -s ../../outsidedir "$L/sub/esc"  # escaping
ln -s "$T/outsidedir" "$L/absdir"    # absolute, a directory with files

t "links leading inside an added directory stay links; the others are stored as what they point to (cp -rL)"
cd "$T/p"
must_mlt run start -n ln --no-git >/dev/null
run_mlt --json log artifact --run ln "$L"
expect_rc 0
expect_json .files 4
expect_json .links 3
expect_json .followed_links 3
run_mlt --json artifact ls -r ln
expect_rc 0
expect_json '[.entries[] | select(.kind == "link") | .path]' '["links/in","links/sub/up","links/tosub"]'
expect_json '[.entries[] | select(.kind == "file") | .path]' \
  '["links/abs","links/absdir/secret","links/f","links/sub/esc/secret"]'
expect_json '.entries[] | select(.path == "links/in") | .size' 1
run_mlt artifact cat ln links/abs
expect_out_eq "secret"
run_mlt log artifact --run ln "$L"
expect_err_contains "added 4 files and 3 symlinks, 3 symlinks stored as their targets"

t "artifact get recreates the inside links, with their '..', and exits 0"
mkdir -p "$T/p/get7"
cd "$T/p/get7"
run_mlt artifact get ln links -o lo
expect_rc 0
expect_err_not_contains "warning"
for l in in:f tosub:sub sub/up:../f; do
  if [ -L "lo/${l%%:*}" ]; then
    expect_eq "lo/${l%%:*} points to" "${l#*:}" "$(readlink "lo/${l%%:*}")"
  else
    fail "lo/${l%%:*} is restored as a symlink" "a symlink to ${l#*:}" "$(ls -ld "lo/${l%%:*}" 2>&1)"
  fi
done
expect_eq "lo/absdir/secret is a copy" "secret" "$(cat lo/absdir/secret 2>&1)"
expect_same_file "lo/f" "$L/f" "$T/p/get7/lo/f"

t "a Hugging Face snapshot (config.json -> ../../blobs/HASH) is stored and restored as files"
H="$T/hub/models--org--m"
mkdir -p "$H/blobs" "$H/snapshots/abc123/sub"
printf '{"hidden_size": 8}\n' >"$H/blobs/1111"
head -c 300000 /dev/urandom >"$H/blobs/2222"
ln -s ../../blobs/1111 "$H/snapshots/abc123/config.json"
ln -s ../../../blobs/2222 "$H/snapshots/abc123/sub/model.safetensors"
cd "$T/p"
must_mlt run start -n hf --no-git >/dev/null
run_mlt log artifact --run hf "$H/snapshots/abc123"
expect_rc 0
expect_err_contains "added 2 files"
run_mlt --json artifact ls -r hf
expect_json '[.entries[] | select(.kind == "file") | .path]' '["abc123/config.json","abc123/sub/model.safetensors"]'
mkdir -p "$T/p/get-hf"
cd "$T/p/get-hf"
run_mlt artifact get hf abc123 -o m
expect_rc 0
expect_same_file "config.json restored as a file" "$H/blobs/1111" "$T/p/get-hf/m/config.json"
expect_same_file "the weights restored as a file" "$H/blobs/2222" "$T/p/get-hf/m/sub/model.safetensors"

t "a PATH that is itself a symlink, to a directory or a file, is followed"
ln -s "$H/snapshots/abc123" "$T/snaplink"
ln -s "$H/blobs/1111" "$T/filelink"
cd "$T/p"
must_mlt run start -n follow --no-git >/dev/null
run_mlt --json log artifact --run follow "$T/snaplink" "$T/filelink"
expect_rc 0
expect_json .files 3
run_mlt --json artifact ls -r follow
expect_json '[.entries[] | "\(.kind) \(.path)"]' \
  '["file filelink","dir snaplink","file snaplink/config.json","dir snaplink/sub","file snaplink/sub/model.safetensors"]'

t "a dangling link, a link cycle or a link to / exit 2 and record nothing"
cd "$T/p"
must_mlt run start -n bad-links --no-git >/dev/null
mkdir -p "$T/dang" "$T/cyc/a" "$T/root-link"
printf 'x\n' >"$T/dang/ok"
ln -s nowhere "$T/dang/broken"
printf 'x\n' >"$T/cyc/a/ok"
ln -s "$T/cyc" "$T/cyc/a/again"
printf 'x\n' >"$T/root-link/ok"
ln -s / "$T/root-link/slash"
for d in dang cyc root-link; do
  run_mlt log artifact --run bad-links "$T/$d"
  expect_rc 2
  expect_eq "nothing recorded after $d" "" "$(entries_of bad-links)"
done
run_mlt log artifact --run bad-links "$T/dang"
expect_err_contains "does not exist"
expect_err_contains "--keep-links"
ln -s "$T/nothing-here" "$T/dangling-path"
run_mlt log artifact --run bad-links "$T/dangling-path"
expect_rc 2

t "--keep-links stores every link as a link; get skips those leading outside and exits 1"
cd "$T/p"
must_mlt run start -n keep --no-git >/dev/null
run_mlt --json log artifact --run keep --keep-links "$L" "$T/dang"
expect_rc 0
expect_json .links 7
run_mlt --json artifact ls -r keep
expect_json '[.entries[] | select(.kind == "link") | .path]' \
  '["dang/broken","links/abs","links/absdir","links/in","links/sub/esc","links/sub/up","links/tosub"]'
expect_out_not_contains "secret"
mkdir -p "$T/p/get-keep"
cd "$T/p/get-keep"
run_mlt artifact get keep links -o lo
expect_rc 1
expect_err_contains "3 symlinks of 'links' were not restored"
expect_err_contains "'abs' -> '$T/outsidedir/secret'"
expect_err_contains "sub/esc"
expect_eq "the inside link is restored" "f" "$(readlink lo/in)"
expect_eq "the file beside them is restored" "target" "$(cat lo/f 2>&1)"
for l in abs absdir sub/esc; do
  { [ -e "lo/$l" ] || [ -L "lo/$l" ]; } && fail "lo/$l is not created" "absent" "$(ls -ld "lo/$l")"
done
run_mlt --json artifact get keep dang -o dg
expect_rc 1
expect_json .skipped 1

t "an add that stores no file exits 1 and records nothing"
mkdir -p "$T/empty/deeper"
cd "$T/p"
before="$(entries_of r)"
run_mlt log artifact --run r "$T/empty"
expect_rc 1
expect_err_contains "nothing added"
expect_unchanged "artifacts of r after adding an empty folder" r "$before"

t "artifact get never creates a link that resolves outside the destination through other links"
cd "$T/p"
mkdir -p "$T/chain/a"
ln -s .. "$T/chain/a/K"        # a/K -> the directory itself: inside
ln -s a/K/.. "$T/chain/M"      # lexically 'a', really the parent of the directory
must_mlt run start -n chain --no-git >/dev/null
must_mlt log artifact --keep-links --run chain "$T/chain" >/dev/null
mkdir -p "$T/p/get8"
cd "$T/p/get8"
run_mlt artifact get chain chain -o out
expect_rc 1
expect_err_contains "'M' -> 'a/K/..'"
expect_eq "a/K is restored" ".." "$(readlink out/a/K)"
dest="$(cd "$T/p/get8/out" 2>/dev/null && pwd -P)"
while IFS= read -r l; do
  real="$(realpath -m "$l")"
  case "$real/" in
    "$dest"/*) ;;
    *) fail "restored link ${l#./} stays inside the destination" "inside $dest" "-> $(readlink "$l") resolves to $real" ;;
  esac
done < <(cd "$T/p/get8" && find out -type l)

t "hostile --as paths exit 2 and change nothing"
cd "$T/p"
printf 'not yet in the run\n' >"$T/hostile.txt"   # an add under its own name would show
for p in '../x' '/abs' 'a//b' 'a/./b' 'a/../b' 'a\b' 'C:x' 'a/' '' $'a\nb' '.' '..' 'a/..' './a' 'x/../../y' \
  $'a\tb' 'c:/x'; do
  before="$(entries_of r)"
  run_mlt log artifact --run r "$T/hostile.txt" --as "$p"
  expect_rc 2
  [ -n "$p" ] && expect_err_contains "invalid artifact path"
  expect_unchanged "artifacts of r after --as $(printf '%q' "$p")" r "$before"
done

t "hostile paths in ls, cat, get and runs:/ URIs exit 2 and write nothing"
mkdir -p "$T/p/get9"
cd "$T/p/get9"
for p in '../x' '/etc/passwd' 'dir//a.txt' 'dir/../model.bin' 'dir\a.txt'; do
  run_mlt artifact cat r "$p"
  expect_rc 2
  expect_out_empty
  run_mlt artifact get r "$p"
  expect_rc 2
  run_mlt artifact ls r "$p"
  expect_rc 2
done
run_mlt artifact cat "runs:/r/../model.bin"
expect_rc 2
run_mlt artifact get "runs:/r/dir/../../x"
expect_rc 2
expect_eq "files written" "" "$(ls -A "$T/p/get9")"

t "a directory holding a name with a backslash or a newline: add exits 2, nothing changes"
cd "$T/p"
mkdir -p "$T/badnames1" "$T/badnames2"
printf 'x\n' >"$T/badnames1/ok"
printf 'x\n' >"$T/badnames1/a\\b"
printf 'x\n' >"$T/badnames2/"$'new\nline'
before="$(entries_of r)"
run_mlt log artifact --run r "$T/badnames1"
expect_rc 2
run_mlt log artifact --run r "$T/badnames2"
expect_rc 2
expect_unchanged "artifacts of r" r "$before"

t "missing run (4), missing artifact path (4), missing source (2), no run (2), no project (3)"
cd "$T/p"
E=$(must_mlt run start -n empty --no-git)
run_mlt artifact ls nosuchrun
expect_rc 4
run_mlt artifact cat nosuchrun model.bin
expect_rc 4
run_mlt artifact get nosuchrun model.bin
expect_rc 4
run_mlt log artifact --run nosuchrun "$D/model.bin"
expect_rc 4
for c in "ls" "cat" "get"; do
  run_mlt artifact "$c" r no/such/path
  expect_rc 4
  expect_out_empty
done
run_mlt artifact cat r model.bin/deeper
expect_rc 4
run_mlt artifact get empty model.bin
expect_rc 4
run_mlt artifact cat empty model.bin
expect_rc 4
run_mlt log artifact "$D/model.bin"
expect_rc 2
before="$(entries_of r)"
run_mlt log artifact --run r "$T/no-such-file"
expect_rc 2
expect_unchanged "artifacts of r" r "$before"
mkdir -p "$T/noproj"
cd "$T/noproj"
run_mlt artifact ls r
expect_rc 3
run_mlt artifact get r model.bin
expect_rc 3
run_mlt artifact cat r model.bin
expect_rc 3
run_mlt log artifact --run r "$D/model.bin"
expect_rc 3
expect_eq "files written outside the project" "" "$(ls -A "$T/noproj")"

t "artifact ls of a run without artifacts: a note, exit 0; --json entries []"
cd "$T/p"
run_mlt artifact ls empty
expect_rc 0
expect_out_empty
expect_err_contains "no artifacts"
run_mlt --json artifact ls empty
expect_rc 0
expect_json .run "$E"
expect_json .entries '[]'

t "log artifact to a deleted run exits 5"
cd "$T/p"
must_mlt run start -n gone --no-git >/dev/null
must_mlt -q run rm gone >/dev/null
run_mlt log artifact --run gone "$D/model.bin"
expect_rc 5

t "re-adding an unchanged directory reads and writes nothing (stat cache); a change is seen"
cd "$T/p"
must_mlt run start -n cache --no-git >/dev/null
C="$T/cached"
mkdir -p "$C/x/y"
for i in 1 2 3 4 5; do head -c $((1000 * i)) /dev/urandom >"$C/x/f$i"; done
head -c 2000000 /dev/urandom >"$C/x/y/large"
find "$C" -exec touch -h -d '2 minutes ago' {} +
run_mlt --json log artifact --run cache "$C"
expect_rc 0
expect_json .files 6
expect_json .read_bytes $((15000 + 2000000))
expect_json '.new_bytes > 0' true
first_root="$(jq_out .artifacts)"
run_mlt --json log artifact --run cache "$C"
expect_rc 0
expect_json .files 6
expect_json .bytes $((15000 + 2000000))
expect_json .read_bytes 0
expect_json .new_bytes 0
expect_json .artifacts "$first_root"
# same size, new content, mtime set back: still noticed (the ctime and content changed)
head -c 3000 /dev/urandom >"$C/x/f3"
touch -d '2 minutes ago' "$C/x/f3"
run_mlt --json log artifact --run cache "$C"
expect_rc 0
expect_json '.read_bytes > 0' true
run_mlt --json artifact ls cache cached/x/f3
expect_json '.entries[0].digest' "$(sha "$C/x/f3")"
run_mlt_bin artifact cat cache cached/x/f3
expect_stdout_file "cat of the changed file" "$C/x/f3"

t "concurrent adds into one run: every entry is kept"
cd "$T/p"
must_mlt run start -n conc --no-git >/dev/null
pids=()
for i in 1 2 3 4 5 6; do
  head -c $((4000 + i)) /dev/urandom >"$T/conc$i"
  "$MLT_BIN" log artifact --run conc "$T/conc$i" </dev/null >/dev/null 2>"$T/conc$i.err" 3>&- &
  pids+=($!)
  track_bg $!
done
bad=0
for pid in "${pids[@]}"; do wait "$pid" || bad=$((bad + 1)); done
last_cmd="6 x mlt log artifact --run conc FILE (concurrently)"
out="" err="$(cat "$T"/conc*.err)"
expect_eq "adds that exited non-zero" 0 "$bad"
run_mlt --json artifact ls conc
expect_json '[.entries[] | .path]' '["conc1","conc2","conc3","conc4","conc5","conc6"]'
for i in 1 2 3 4 5 6; do
  expect_json ".entries[] | select(.path == \"conc$i\") | .digest" "$(sha "$T/conc$i")"
done


t "run show names the artifact tree: its digest changes with every add, null without artifacts"
cd "$T/p"
must_mlt run start -n treeview --no-git >/dev/null
run_mlt --json run show treeview
expect_rc 0
expect_json .artifacts null
printf 'one\n' >"$T/tv1.txt"
must_mlt -q log artifact --run treeview "$T/tv1.txt"
run_mlt --json run show treeview
first=$(printf '%s' "$out" | jq -r .artifacts)
case "$first" in sha256:????????????????????????????????????????????????????????????????) ;;
  *) fail "artifacts is sha256:<64 hex>" "sha256:..." "$first" ;; esac
printf 'two\n' >"$T/tv2.txt"
must_mlt -q log artifact --run treeview "$T/tv2.txt"
run_mlt --json run show treeview
second=$(printf '%s' "$out" | jq -r .artifacts)
[ "$first" != "$second" ] || fail "a new add gives a new tree digest" "different" "$second"
run_mlt run show treeview
expect_out_contains "artifacts  $second"

finish
