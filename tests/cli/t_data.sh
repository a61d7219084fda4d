# t_data.sh: data versioning: mlt data add (NAME@vN, annotated git tags data/NAME/vN at HEAD,
# dedup of unchanged content and in the store), data ls (NAME, --commit REV), data show (every
# reference form and its errors, an ambiguous digest prefix), data diff (files, sizes, CSV rows),
# data checkout (-o DIR byte-identical, in place, refusing modified files unless --force; file
# datasets too), data status; run inputs: mlt log input, mlt run --input, run show, mlt diff, the
# datasets.* keys of mlt runs -f/--columns; bad input (2), unknown names (4), conflicts (5); git
# without a commit, a dirty tree, no repository at all, data.tag_prefix and MLT_DATA_TAG_PREFIX.
# shellcheck disable=SC2164  # every cd goes into a directory this suite just created
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
command -v git >/dev/null 2>&1 || lib_die "git is required by this suite (Debian: apt-get install git)"

# json_of ARG...: the stdout of `mlt --json ARG...` (for setup and before/after comparisons).
json_of() { "$MLT_BIN" --json "$@" </dev/null 2>/dev/null 3>&-; }

# field JSON EXPR: jq -r EXPR of a JSON text.
field() { printf '%s' "$1" | jq -r "$2" 2>/dev/null; }

# size_of FILE: its size in bytes.
size_of() { wc -c <"$1" | tr -d ' '; }

# new_repo NAME: $T/NAME, a git repository (branch main) in which everything but .gitignore and
# src/ is ignored (data stays out of git, as it should), with one commit, and an mlt project; it
# becomes the working directory.
new_repo() {
  mkdir -p "$T/$1"
  cd "$T/$1" || lib_die "cannot cd to '$T/$1'"
  { git init -q . && git symbolic-ref HEAD refs/heads/main &&
    git config user.name "Repo User" && git config user.email repo@example.com; } ||
    lib_die "git init failed in '$T/$1'"
  printf '/*\n!/.gitignore\n!/src/\n' >.gitignore
  mkdir -p src
  printf 'print("train v1")\n' >src/train.py
  { git add .gitignore src && git commit -q -m one; } || lib_die "git commit failed in '$T/$1'"
  must_mlt -q init >/dev/null
  lib_fold_subshell_failures
}

# expect_tag TAG COMMIT TEXT...: TAG is an annotated tag on COMMIT whose message holds each TEXT.
expect_tag() {
  local tag="$1" commit="$2" msg
  shift 2
  run_cmd git cat-file -t "$tag"
  expect_rc 0
  expect_out_eq "tag"
  run_cmd git rev-parse "$tag^{commit}"
  expect_rc 0
  expect_out_eq "$commit"
  run_cmd git tag -l --format='%(contents)' "$tag"
  msg="$out"
  for text in "$@"; do
    case "$msg" in *"$text"*) ;; *) fail "the message of tag $tag mentions '$text'" "$text" "$msg" ;; esac
  done
}

# expect_same_tree WHAT EXPECTED-DIR ACTUAL-DIR: same files, same bytes (diff -r, links not followed).
expect_same_tree() {
  local d
  d="$(diff -r --no-dereference "$2" "$3" 2>&1)" || fail "$1" "no differences" "$(printf '%s' "$d" | head -n 10)"
}

# expect_same_file WHAT EXPECTED-FILE ACTUAL-FILE: the two files are byte-identical.
expect_same_file() {
  if [ ! -f "$3" ] || [ -L "$3" ]; then
    fail "$1" "a regular file '$3' equal to '$2'" "$(ls -ld "$3" 2>&1)"
  elif ! cmp -s "$2" "$3"; then
    fail "$1" "'$3' byte-identical to '$2' ($(size_of "$2") bytes)" "$(cmp "$2" "$3" 2>&1 | head -n 1) ($(size_of "$3") bytes)"
  fi
}

# expect_file_text WHAT FILE TEXT: FILE holds exactly TEXT (no trailing newline added).
expect_file_text() {
  local have
  have="$(cat "$2" 2>&1)"
  [ "$have" = "$3" ] || fail "$1" "$(lib_show "$3")" "$(lib_show "$have")"
}

# names_of_runs: the names of the runs in the stdout of `mlt --json runs`, sorted, space-separated.
names_of_runs() { jq -r '[.runs[].name] | sort | join(" ")' <"$T/.lib/stdout" 2>&1; }

# expect_runs FILTER NAMES: `mlt --json runs -f FILTER` exits 0 and lists exactly the runs NAMES.
expect_runs() {
  run_mlt --json runs -f "$1"
  expect_rc 0
  expect_eq "runs matching [$1]" "$2" "$(names_of_runs)"
}

mkdir -p "$T/copies" "$T/out"

# ---------------------------------------------------------------------------------------------
# The main fixture: a repository g (commit C1), a directory dataset 'train' from data/.
new_repo g
C1=$(git rev-parse HEAD)
mkdir -p data/sub
printf 'id,x\n1,a\n2,b\n3,c\n' >data/train.csv      # 17 bytes
printf 'notes v1\n' >data/sub/notes.txt             # 9 bytes
printf 'a\n' >data/readme.md                        # 2 bytes
cp -R data "$T/copies/v1"

t "data add DIR -n -m: prints NAME@v1; an annotated tag data/NAME/v1 at HEAD whose message holds the digest"
cd "$T/g"
MLT_NOW_MS=$T0_MS run_mlt data add data -n train -m "first cut"
expect_rc 0
expect_out_eq "train@v1"
expect_err_contains "tagged ${C1:0:12} as 'data/train/v1'"
expect_err_contains "3 files"
expect_err_not_contains "warning"
run_mlt --json data show train@v1
expect_rc 0
expect_json '[.ref, .name, .version, .kind, .files, .bytes, .source, .message]' '["train@v1","train",1,"dir",3,28,"data","first cut"]'
expect_json '[.git_commit, .git_tag, .git_dirty, .user]' "[\"$C1\",\"data/train/v1\",false,\"$USER\"]"
expect_json '.digest | test("^sha256:[0-9a-f]{64}$")' true
D1=$(jq_out .digest)
expect_tag data/train/v1 "$C1" "$D1" "train@v1" "first cut" "files: 3" "bytes: 28"
run_cmd git status --porcelain
expect_out_empty                                     # mlt leaves the work tree alone
run_cmd git rev-parse HEAD
expect_out_eq "$C1"

t "data add of unchanged content: no new version, the existing ref printed, no new tag"
cd "$T/g"
tags_before="$(git tag -l)"
run_mlt data add data -n train
expect_rc 0
expect_out_eq "train@v1"
expect_err_contains "unchanged since train@v1"
expect_err_not_contains "tagged"
run_mlt --json data add data/ -n train -m "same again"        # a trailing slash names the same directory
expect_rc 0
expect_json '[.ref, .created_version, .new_bytes, .message]' '["train@v1",false,0,"first cut"]'
cd "$T/g/src"
run_mlt data add ../data -n train                              # a relative path from a subdirectory
expect_rc 0
expect_out_eq "train@v1"
cd "$T/g"
expect_eq "git tags after adding unchanged content" "$tags_before" "$(git tag -l)"
run_mlt --json data ls train
expect_json '[.versions[].ref]' '["train@v1"]'

t "a changed directory becomes v2, tagged at the new HEAD; git checkout data/train/v1 gives back v1's commit"
cd "$T/g"
printf 'print("train v2")\n' >src/train.py
git commit -q -am two
C2=$(git rev-parse HEAD)
printf 'id,x\n1,a\n3,c\n4,d\n5,e\n' >data/train.csv   # 21 bytes: row 2 gone, rows 4 and 5 new
rm -rf data/sub
printf 'extra\n' >data/extra.txt                     # 6 bytes
printf 'bb\n' >data/readme.md                        # 3 bytes
cp -R data "$T/copies/v2"
run_mlt data add data -n train -m "second"
expect_rc 0
expect_out_eq "train@v2"
expect_err_contains "as 'data/train/v2'"
run_mlt --json data show train@v2
expect_json '[.version, .files, .bytes, .git_commit, .git_tag, .git_dirty]' "[2,3,30,\"$C2\",\"data/train/v2\",false]"
D2=$(jq_out .digest)
[ "$D1" != "$D2" ] || fail "the two versions have different digests" "different" "both $D1"
expect_tag data/train/v2 "$C2" "$D2" "train@v2" "second"
expect_tag data/train/v1 "$C1" "$D1"                          # v1's tag did not move
run_cmd git checkout -q data/train/v1
expect_rc 0
expect_eq "HEAD after git checkout data/train/v1" "$C1" "$(git rev-parse HEAD)"
expect_file_text "src/train.py at data/train/v1" src/train.py 'print("train v1")'
run_cmd git checkout -q main
expect_rc 0
expect_eq "HEAD back on main" "$C2" "$(git rev-parse HEAD)"
expect_file_text "src/train.py on main" src/train.py 'print("train v2")'

t "data ls: a row per dataset; ls NAME: its versions, newest first; --json; an unknown NAME exits 4"
cd "$T/g"
run_mlt data ls
expect_rc 0
expect_out_lines 2
expect_out_match $'^NAME +LATEST +VERSIONS +FILES +SIZE +PATH +UPDATED\ntrain +v2 +2 +3 +30 B +data '
run_mlt --json data ls
expect_rc 0
expect_json '[.datasets[] | [.name, .versions, .latest.ref, .latest.digest]]' "[[\"train\",2,\"train@v2\",\"$D2\"]]"
run_mlt data ls train
expect_rc 0
expect_out_lines 3
expect_out_match "$(printf '\ntrain@v2 +%s +3 +30 B +%s +data/train/v2 +[-0-9]+ [0-9:]+ UTC +second\ntrain@v1 +%s +3 +28 B +%s +data/train/v1 +2023-11-14 22:13:20 UTC +first cut$' "${D2:7:12}" "${C2:0:12}" "${D1:7:12}" "${C1:0:12}")"
run_mlt --json data ls train
expect_json '[.versions[] | [.ref, .git_commit]]' "[[\"train@v2\",\"$C2\"],[\"train@v1\",\"$C1\"]]"
run_mlt data ls nope
expect_rc 4
expect_err_contains "no dataset 'nope'"
run_mlt --json data ls nope
expect_rc 4
expect_err_json .error.code 4

t "data ls --commit REV: HEAD, a tag, a hash, a short hash, a branch, with NAME; an unknown REV exits 4"
cd "$T/g"
for rev in HEAD main "$C2"; do
  run_mlt --json data ls --commit "$rev"
  expect_rc 0
  expect_json '[.versions[].ref]' '["train@v2"]'
done
for rev in data/train/v1 "$C1" "${C1:0:10}" HEAD~1; do
  run_mlt --json data ls --commit "$rev"
  expect_rc 0
  expect_json '[.versions[].ref]' '["train@v1"]'
done
run_mlt --json data ls train --commit HEAD~1
expect_rc 0
expect_json '[.versions[].ref]' '["train@v1"]'
run_mlt data ls --commit data/train/v1
expect_rc 0
expect_out_lines 2
expect_out_contains "train@v1"
expect_out_not_contains "train@v2"
run_mlt data ls --commit no-such-rev
expect_rc 4
expect_err_contains "no-such-rev"
run_mlt data ls --commit 0000000000000000000000000000000000000000
expect_rc 4
run_mlt data ls nope --commit HEAD
expect_rc 4
printf 'print("train v3")\n' >src/train.py
git commit -q -am three
C3=$(git rev-parse HEAD)
run_mlt data ls --commit HEAD                                 # no version made at C3
expect_rc 0
expect_out_empty
expect_err_contains "no data versions were made at ${C3:0:12}"
run_mlt --json data ls --commit HEAD
expect_rc 0
expect_json .versions '[]'

t "data show: NAME@vN, NAME@latest, NAME alone, NAME@sha256:PREFIX (any case); the text form"
cd "$T/g"
run_mlt data show train@v1
expect_rc 0
expect_out_eq "ref:     train@v1
digest:  $D1
kind:    directory
size:    28 B in 3 files
path:    data
created: 2023-11-14 22:13:20 UTC by $USER
commit:  $C1
tag:     data/train/v1
message: first cut"
for ref in train@v2 train@latest train@LATEST train "train@sha256:${D2:7:8}" "train@$D2" "train@sha256:$(printf '%s' "${D2:7:10}" | tr a-f A-F)"; do
  run_mlt --json data show "$ref"
  expect_rc 0
  expect_json .ref train@v2
done
for ref in train@v1 train@V1 "train@sha256:${D1:7:4}" "train@$D1"; do
  run_mlt --json data show "$ref"
  expect_rc 0
  expect_json '[.ref, .digest]' "[\"train@v1\",\"$D1\"]"
done

t "data show errors: unknown dataset or version exit 4; bad references and short or non-hex prefixes exit 2"
cd "$T/g"
# a prefix neither version has: its first digit differs from both digests' first digits
other=$(printf '%s\n' 0 1 2 3 4 5 6 7 8 9 a b c d e f | grep -v -e "^${D1:7:1}\$" -e "^${D2:7:1}\$" | head -n 1)
for ref in nope@v1 nope train@v3 train@v0 "train@sha256:${other}0000000"; do
  run_mlt data show "$ref"
  expect_rc 4
done
run_mlt data show train@v3
expect_err_contains "no version v3"
for ref in train@sha256:abc train@sha256:zzzz "train@sha256:${D1:7:64}0" train@x train@v train@ @v1 "train@v1x" "train@sha1:abcd"; do
  run_mlt data show "$ref"
  expect_rc 2
done
run_mlt data show train@sha256:abc
expect_err_contains "at least 4 hex"
run_mlt --json data show nope@v1
expect_rc 4
expect_err_json .error.code 4

t "data show NAME@sha256:PREFIX matching two versions exits 2 and lists both"
cd "$T/g"
# "row 1074\n" and "row 1437\n" have SHA-256 digests beginning with the same 5 hex digits
p1=$(printf 'row 1074\n' | sha256sum | cut -c1-5)
p2=$(printf 'row 1437\n' | sha256sum | cut -c1-5)
[ "$p1" = "$p2" ] || lib_die "the fixture contents no longer share a digest prefix ($p1, $p2)"
printf 'row 1074\n' >rows.txt
must_mlt data add rows.txt -n rows >/dev/null
printf 'row 1437\n' >rows.txt
must_mlt data add rows.txt -n rows >/dev/null
R2=$(field "$(json_of data show rows@v2)" .digest)
for prefix in "${p1:0:4}" "$p1"; do
  run_mlt data show "rows@sha256:$prefix"
  expect_rc 2
  expect_err_contains "matches 2 versions"
  expect_err_contains "rows@v1"
  expect_err_contains "rows@v2"
done
run_mlt --json data show "rows@sha256:${R2:7:12}"
expect_rc 0
expect_json .ref rows@v2
run_mlt --json data show rows@v1
expect_json '[.kind, .files, .bytes, .source]' '["file",1,9,"rows.txt"]'

t "data diff: added, removed and modified files with sizes, CSV rows added and removed; --json"
cd "$T/g"
run_mlt data diff train@v1 train@v2
expect_rc 1
expect_out_eq "added     extra.txt (6 B)
modified  readme.md (2 B -> 3 B)
removed   sub/notes.txt (9 B)
modified  train.csv (17 B -> 21 B, rows +2 -1)"
run_mlt data diff train@v2 train@v1
expect_rc 1
expect_out_eq "removed   extra.txt (6 B)
modified  readme.md (3 B -> 2 B)
added     sub/notes.txt (9 B)
modified  train.csv (21 B -> 17 B, rows +1 -2)"
run_mlt --json data diff train@v1 train@latest
expect_rc 1
expect_json '[.from.ref, .to.ref, .from.digest, .to.digest]' "[\"train@v1\",\"train@v2\",\"$D1\",\"$D2\"]"
expect_json .changes '[{"path":"extra.txt","change":"added","old_size":0,"new_size":6},{"path":"readme.md","change":"modified","old_size":2,"new_size":3},{"path":"sub/notes.txt","change":"removed","old_size":9,"new_size":0},{"path":"train.csv","change":"modified","old_size":17,"new_size":21,"rows_added":2,"rows_removed":1}]'
run_mlt data diff train@v1 "train@sha256:${D1:7:8}"
expect_rc 0
expect_out_empty
expect_err_contains "the same content"
run_mlt --json data diff train@v2 train@v2
expect_json .changes '[]'
run_mlt data diff train@v1 train@v9
expect_rc 4
run_mlt data diff nope@v1 train@v1
expect_rc 4
run_mlt data diff train@v1 train@bad
expect_rc 2

t "data diff of a CSV file dataset: rows as multisets; the header, blank lines and CRLF do not count"
cd "$T/g"
printf 'h,v\n1,x\n2,y\n2,y\n' >sales.csv;       cp sales.csv "$T/copies/sales1.csv"
must_mlt data add sales.csv >/dev/null
printf 'h,v\n2,y\n3,z\n' >sales.csv;            cp sales.csv "$T/copies/sales2.csv"
must_mlt data add sales.csv >/dev/null
printf 'H,V\n2,y\n3,z\n' >sales.csv;            cp sales.csv "$T/copies/sales3.csv"
must_mlt data add sales.csv >/dev/null
printf 'H,V\r\n2,y\r\n\r\n3,z\r\n\n' >sales.csv; cp sales.csv "$T/copies/sales4.csv"
run_mlt data add sales.csv
expect_rc 0
expect_out_eq "sales.csv@v4"                                 # the default name: the file's name
run_mlt data diff sales.csv@v1 sales.csv@v2
expect_rc 1
expect_out_eq "modified  sales.csv (16 B -> 12 B, rows +1 -2)"   # one 2,y of two removed, 1,x removed, 3,z added
run_mlt --json data diff sales.csv@v1 sales.csv@v2
expect_json '.changes | map([.path, .change, .rows_added, .rows_removed])' '[["sales.csv","modified",1,2]]'
run_mlt --json data diff sales.csv@v2 sales.csv@v3
expect_json '.changes | map([.change, .rows_added, .rows_removed])' '[["modified",0,0]]'
run_mlt --json data diff sales.csv@v3 sales.csv@v4
expect_json '.changes | map([.change, .rows_added, .rows_removed])' '[["modified",0,0]]'
run_mlt --json data diff sales.csv@v1 sales.csv@v4
expect_json '.changes | map([.rows_added, .rows_removed])' '[[1,2]]'
run_mlt --json data diff rows@v1 rows@v2                       # not a CSV: no row counts
expect_json '.changes' '[{"path":"rows.txt","change":"modified","old_size":9,"new_size":9}]'
run_mlt data diff sales.csv@v4 rows@v1                           # two datasets: named after REF_B's file
expect_rc 1
expect_out_eq "modified  rows.txt (18 B -> 9 B)"

t "data checkout -o DIR: every version byte-identical to what was added; --json counts"
cd "$T/g"
run_mlt data checkout train@v1 -o "$T/out/v1"
expect_rc 0
expect_out_empty
expect_err_contains "3 files written"
expect_same_tree "train@v1 checked out" "$T/copies/v1" "$T/out/v1"
run_mlt --json data checkout train@v2 -o out-v2
expect_rc 0
expect_json '[.ref, .destination, .written, .unchanged, .bytes, .extra]' '["train@v2","out-v2",3,0,30,[]]'
expect_same_tree "train@v2 checked out" "$T/copies/v2" out-v2
run_mlt --json data checkout train@v2 -o out-v2                # again: all there already
expect_rc 0
expect_json '[.written, .unchanged]' '[0,3]'
expect_same_tree "train@v2 checked out twice" "$T/copies/v2" out-v2
run_mlt data checkout "train@sha256:${D1:7:8}" -o "$T/out/deep/er/v1"   # parents are made
expect_rc 0
expect_same_tree "train@v1 checked out below new directories" "$T/copies/v1" "$T/out/deep/er/v1"
run_mlt data checkout train@v9 -o "$T/out/none"
expect_rc 4
[ ! -e "$T/out/none" ] || fail "nothing written for an unknown version" "no $T/out/none" "it exists"
rm -rf out-v2

t "data checkout in place: a deleted file comes back (also from a subdirectory); files the version lacks stay"
cd "$T/g"
expect_same_tree "the working copy is train@v2" "$T/copies/v2" data
rm data/train.csv
printf 'mine\n' >data/local.txt
run_mlt --json data checkout train@v2
expect_rc 0
expect_json '[.destination, .written, .unchanged, .extra]' '["data",1,2,["local.txt"]]'
expect_same_file "data/train.csv restored" "$T/copies/v2/train.csv" data/train.csv
expect_file_text "a file the version lacks is left alone" data/local.txt "mine"
run_mlt data checkout train@v2
expect_rc 0
expect_err_contains "0 files written"
expect_err_contains "left in place (e.g. 'local.txt')"
rm data/local.txt
rm data/extra.txt
cd "$T/g/src"
run_mlt data checkout train@v2
expect_rc 0
cd "$T/g"
expect_same_file "data/extra.txt restored at the dataset's path" "$T/copies/v2/extra.txt" data/extra.txt
[ ! -e src/data ] || fail "nothing written below the working directory" "no src/data" "$(ls -R src/data)"
expect_same_tree "the working copy is train@v2 again" "$T/copies/v2" data

t "data checkout refuses modified files (exit 5, naming them, nothing written); --force replaces them"
cd "$T/g"
printf 'changed\n' >data/readme.md
printf 'id,x\n9,z\n' >data/train.csv
rm data/extra.txt
run_mlt data checkout train@v2
expect_rc 5
expect_err_contains "2 files"
expect_err_contains "readme.md"
expect_err_contains "train.csv"
expect_err_contains "--force"
expect_file_text "a refused checkout leaves modified files alone" data/readme.md "changed"
[ ! -e data/extra.txt ] || fail "a refused checkout writes nothing" "data/extra.txt still missing" "it was restored"
run_mlt --json data checkout train@v2
expect_rc 5
expect_err_json .error.code 5
run_mlt data checkout train@v2 --force
expect_rc 0
expect_same_tree "--force restores train@v2" "$T/copies/v2" data
run_mlt data checkout train@v1                               # the older version over the newer one
expect_rc 5
expect_err_contains "readme.md"
expect_same_tree "a refused checkout of v1 leaves v2 alone" "$T/copies/v2" data
run_mlt data checkout train@v1 -f
expect_rc 0
expect_err_contains "left in place (e.g. 'extra.txt')"
for f in train.csv readme.md sub/notes.txt; do
  expect_same_file "data/$f is v1's" "$T/copies/v1/$f" "data/$f"
done
expect_same_file "extra.txt (not in v1) stays" "$T/copies/v2/extra.txt" data/extra.txt
must_mlt -q data checkout train@v2 --force >/dev/null
rm -rf data/sub
expect_same_tree "back to train@v2" "$T/copies/v2" data

t "a file dataset (one CSV): checkout to -o FILE and in place, restoring it when deleted; modified: 5, --force"
cd "$T/g"
run_mlt --json data show sales.csv@v1
expect_json '[.kind, .files, .bytes, .source]' '["file",1,16,"sales.csv"]'
run_mlt data checkout sales.csv@v1 -o "$T/out/sales1.csv"
expect_rc 0
expect_same_file "sales.csv@v1 to -o FILE" "$T/copies/sales1.csv" "$T/out/sales1.csv"
mkdir -p "$T/out/into"
printf 'keep\n' >"$T/out/into/keep.txt"
run_mlt data checkout sales.csv@v2 -o "$T/out/into"              # an existing directory: inside it, like cp
expect_rc 0
expect_same_file "sales.csv@v2 into -o DIR" "$T/copies/sales2.csv" "$T/out/into/sales.csv"
expect_file_text "other files in -o DIR stay" "$T/out/into/keep.txt" "keep"
run_mlt data checkout train@v1 -o "$T/out/sales1.csv"            # a directory version where a file is
expect_rc 5
expect_same_file "the file in the way is left alone" "$T/copies/sales1.csv" "$T/out/sales1.csv"
rm sales.csv
run_mlt data checkout sales.csv@v2
expect_rc 0
expect_same_file "sales.csv@v2 restored in place" "$T/copies/sales2.csv" sales.csv
run_mlt --json data checkout sales.csv@v2
expect_rc 0
expect_json '[.written, .unchanged]' '[0,1]'
run_mlt data checkout sales.csv@v4
expect_rc 5
expect_err_contains "sales.csv"
expect_same_file "a refused checkout leaves the file alone" "$T/copies/sales2.csv" sales.csv
run_mlt data checkout sales.csv@v4 --force
expect_rc 0
expect_same_file "--force writes sales.csv@v4" "$T/copies/sales4.csv" sales.csv

t "data status: clean; modified (same size), added and deleted files; --json; every dataset; unknown NAME 4"
cd "$T/g"
run_mlt data status train
expect_rc 0
expect_out_eq "train: 'data' matches train@v2"
printf 'cc\n' >data/readme.md                              # same size as v2's 'bb'
printf 'n\n' >data/new.txt
rm data/extra.txt
run_mlt data status train
expect_rc 1
expect_out_eq "train: 'data' differs from train@v2
removed   extra.txt (6 B)
added     new.txt (2 B)
modified  readme.md (3 B -> 3 B)"
run_mlt --json data status train
expect_rc 1
expect_json '.datasets | map([.name, .latest, .path, .missing, .clean])' '[["train","train@v2","data",false,false]]'
expect_json '.datasets[0].changes | map([.path, .change, .old_size, .new_size])' '[["extra.txt","removed",6,0],["new.txt","added",0,2],["readme.md","modified",3,3]]'
run_mlt data status
expect_rc 1
expect_out_contains "train: 'data' differs from train@v2"
expect_out_contains "sales.csv: 'sales.csv' matches sales.csv@v4"
expect_out_contains "rows: 'rows.txt' matches rows@v2"
run_mlt --json data status
expect_json '[.datasets[] | [.name, .clean]] | sort' '[["rows",true],["sales.csv",true],["train",false]]'
printf 'H,V\n2,y\n3,Z\n' >sales.csv
run_mlt data status sales.csv
expect_out_eq "sales.csv: 'sales.csv' differs from sales.csv@v4
modified  sales.csv (18 B -> 12 B)"
run_mlt data status nope
expect_rc 4
must_mlt -q data checkout sales.csv@v4 --force >/dev/null
must_mlt -q data checkout train@v2 --force >/dev/null
rm data/new.txt
run_mlt --json data status
expect_rc 0
expect_json '[.datasets[].clean]' '[true,true,true]'

t "data status: a missing path is reported (--json missing: true); put back, it matches again"
cd "$T/g"
mv data data.away
mv sales.csv sales.away
run_mlt data status train
expect_rc 1
expect_out_eq "train: 'data' is missing (latest train@v2)"
run_mlt data status sales.csv
expect_out_eq "sales.csv: 'sales.csv' is missing (latest sales.csv@v4)"
run_mlt --json data status train
expect_json '.datasets | map([.name, .missing, .clean])' '[["train",true,false]]'
mv data.away data
mv sales.away sales.csv
run_mlt --json data status
expect_json '[.datasets[] | [.missing, .clean]] | unique' '[[false,true]]'

t "a new version of a directory with one changed file of 16 stores about that file only (dedup)"
cd "$T/g"
mkdir big
for i in $(seq 1 16); do head -c 65536 /dev/urandom >"big/f$i.bin"; done
run_mlt --json data add big
expect_rc 0
expect_json '[.ref, .files, .bytes]' '["big@v1",16,1048576]'
before=$(field "$(json_of du)" .stored_bytes)
logical_before=$(field "$(json_of du)" .logical_bytes)
head -c 65536 /dev/urandom >big/f7.bin
run_mlt --json data add big
expect_rc 0
expect_json .ref big@v2
new_bytes=$(jq_out .new_bytes)
after=$(field "$(json_of du)" .stored_bytes)
expect_eq "logical bytes grow by v2's 1 MiB (counted per reference)" $((logical_before + 1048576)) "$(field "$(json_of du)" .logical_bytes)"
growth=$((after - before))
if [ "$new_bytes" -lt 65536 ] || [ "$new_bytes" -ge 98304 ]; then
  fail "new bytes of v2 (one new 64 KiB file)" "64 KiB to 96 KiB" "$new_bytes"
fi
if [ "$growth" -lt 65536 ] || [ "$growth" -ge 98304 ]; then
  fail "store growth from v1 to v2 (du stored_bytes $before -> $after)" "64 KiB to 96 KiB" "$growth"
fi
run_mlt --json data diff big@v1 big@v2
expect_json '.changes | map([.path, .change])' '[["f7.bin","modified"]]'

# ---------------------------------------------------------------------------------------------
# Inputs of runs.

t "mlt log input REF --context C --run RUN: once per context; run show and --json run show list the inputs"
cd "$T/g"
CONS=$(must_mlt run start -n consumer)
run_mlt log input train@v1 --context train --run consumer
expect_rc 0
expect_out_empty
run_mlt log input train@v1 --context train --run "${CONS:0:8}"   # again: still one input
expect_rc 0
run_mlt --json log input train@v2 --context eval --run consumer
expect_rc 0
expect_json '[.run, .input, .digest, .context]' "[\"$CONS\",\"train@v2\",\"$D2\",\"eval\"]"
MLT_RUN_ID=$CONS run_mlt log input "sales.csv@sha256:$(field "$(json_of data show sales.csv@v1)" .digest | cut -c8-15)"
expect_rc 0
run_mlt --json run show consumer
expect_rc 0
expect_json '[.inputs[] | [.ref, .name, .version, .context]]' '[["sales.csv@v1","sales.csv",1,""],["train@v1","train",1,"train"],["train@v2","train",2,"eval"]]'
expect_json '[.inputs[] | select(.ref == "train@v1") | .digest]' "[\"$D1\"]"
run_mlt run show consumer
expect_rc 0
expect_out_contains "input      train@v1  sha256:${D1:7:12}  (train)"
expect_out_contains "input      train@v2  sha256:${D2:7:12}  (eval)"
expect_out_match $'\ninput      sales.csv@v1  sha256:[0-9a-f]{12}\n'
run_mlt log input train@v1 --context eval --run consumer      # the same version in another context
expect_rc 0
run_mlt --json run show consumer
expect_json '[.inputs[] | select(.ref == "train@v1") | .context] | sort' '["eval","train"]'
must_mlt -q run end consumer >/dev/null
run_mlt log input rows@v1 --run consumer                         # an ended run may still record inputs
expect_rc 0

t "log input errors: unknown dataset or version 4, bad reference 2, no run 2, unknown run 4, deleted run 5"
cd "$T/g"
before=$(json_of run show consumer | jq -c .inputs)
run_mlt log input nope@v1 --run consumer
expect_rc 4
expect_err_contains "no dataset 'nope'"
run_mlt log input train@v9 --run consumer
expect_rc 4
expect_err_contains "no version v9"
run_mlt log input train@vx --run consumer
expect_rc 2
run_mlt log input train@v1
expect_rc 2
run_mlt log input train@v1 --run no-such-run
expect_rc 4
run_mlt log input train@v1 --run consumer --context "$(printf 'c%.0s' $(seq 1 251))"
expect_rc 2
must_mlt run start -n gone >/dev/null
must_mlt -q run rm gone >/dev/null
run_mlt log input train@v1 --run gone
expect_rc 5
expect_eq "consumer's inputs after refused log input" "$before" "$(json_of run show consumer | jq -c .inputs)"
run_mlt --json run show gone
expect_json .inputs '[]'

t "mlt run --input REF and --input CONTEXT=REF: recorded before CMD starts; bad inputs start no run"
cd "$T/g"
# shellcheck disable=SC2016  # expanded by the command's shell
run_mlt run -n fit --input train@v1 --input eval=sales.csv@v2 -- sh -c 'mlt --json run show "$MLT_RUN_ID" | jq -c "[.inputs[] | .ref]"'
expect_rc 0
expect_out_contains '["sales.csv@v2","train@v1"]'
run_mlt --json run show fit
expect_json '[.inputs[] | [.ref, .context]]' '[["sales.csv@v2","eval"],["train@v1",""]]'
expect_json .status FINISHED
run_mlt run start -n starter --input train=train@latest --input train=train@v2
expect_rc 0
run_mlt --json run show starter
expect_json '[.inputs[] | [.ref, .context]]' '[["train@v2","train"]]'
n_runs=$(json_of runs --all | jq '.runs | length')
for bad in nope@v1 train@v9 eval=nope; do
  run_mlt run -n bad --input "$bad" -- sh -c 'touch ran'
  expect_rc 4
done
for bad in train@x eval=train@; do
  run_mlt run -n bad --input "$bad" -- sh -c 'touch ran'
  expect_rc 2
done
run_mlt run start -n bad --input nope
expect_rc 4
[ ! -e ran ] || fail "the command does not run when an input is bad" "no file 'ran'" "it was created"
expect_eq "runs after bad --input values" "$n_runs" "$(json_of runs --all | jq '.runs | length')"

# ---------------------------------------------------------------------------------------------
# datasets.* in filters and columns, and mlt diff, in a project q (no git) with runs of known inputs.
mkdir -p "$T/q"
cd "$T/q"
must_mlt -q init >/dev/null
printf 'a\n1\n' >alpha.csv
must_mlt -q data add alpha.csv -n alpha >/dev/null
A1=$(field "$(json_of data show alpha@v1)" .digest)
printf 'a\n2\n' >alpha.csv
must_mlt -q data add alpha.csv -n alpha >/dev/null
A2=$(field "$(json_of data show alpha@v2)" .digest)
printf 'b\n' >beta.txt
must_mlt -q data add beta.txt -n beta >/dev/null
B1=$(field "$(json_of data show beta@v1)" .digest)
MLT_NOW_MS=$((T0_MS + 1000)) must_mlt -q run -n r1 --input train=alpha@v1 -- true >/dev/null
MLT_NOW_MS=$((T0_MS + 2000)) must_mlt -q run -n r2 --input alpha@v2 --input eval=beta@v1 -- true >/dev/null
MLT_NOW_MS=$((T0_MS + 3000)) must_mlt -q run -n r3 -- true >/dev/null
R1=$(field "$(json_of run show r1)" .id)
R2=$(field "$(json_of run show r2)" .id)
R3=$(field "$(json_of run show r3)" .id)

t "runs -f datasets.name / context / version: a condition holds when any one input meets it"
cd "$T/q"
expect_runs "datasets.name = 'alpha'" "r1 r2"
expect_runs "datasets.name = 'beta'" "r2"
expect_runs "dataset.name = 'nope'" ""
expect_runs "datasets.name IN ('beta', 'nope')" "r2"
expect_runs "datasets.name != 'alpha'" "r2"
expect_runs "NOT datasets.name = 'alpha'" "r3"
expect_runs "datasets.context = 'train'" "r1"
expect_runs "datasets.context = 'eval'" "r2"
expect_runs "datasets.context = ''" "r2"
expect_runs "datasets.version = 2" "r2"
expect_runs "datasets.version >= 1" "r1 r2"
expect_runs "datasets.name = 'alpha' AND datasets.version = 1" "r1 r2"   # each condition on its own: r2 has beta@v1
expect_runs "datasets.name = 'alpha' AND datasets.context = 'train'" "r1"
expect_runs "datasets.name ILIKE 'ALP%'" "r1 r2"

t "runs -f datasets.digest: = with or without sha256:, LIKE on the shown form, IN"
cd "$T/q"
expect_runs "datasets.digest = '$A1'" "r1"
expect_runs "datasets.digest = '${A1:7}'" "r1"
expect_runs "datasets.digest IN ('$B1', '$A1')" "r1 r2"
expect_runs "datasets.digest LIKE '%${A2:60}'" "r2"
# the values are shown as sha256:HEX (--columns, run show --json): LIKE matches that form
expect_runs "datasets.digest LIKE 'sha256:${A1:7:8}%'" "r1"
expect_runs "datasets.digest LIKE 'sha256:%'" "r1 r2"
expect_runs "datasets.digest LIKE '${A1:7:8}%'" "r1"                 # the bare hex, as stored
expect_runs "datasets.digest NOT LIKE '${A1:7:8}%'" "r2"

t "runs -f datasets.name IS NULL: runs without inputs; IS NOT NULL: runs with; -s datasets.* exits 2"
cd "$T/q"
expect_runs "datasets.name IS NULL" "r3"
expect_runs "datasets.digest IS NULL" "r3"
expect_runs "datasets.name IS NOT NULL" "r1 r2"
expect_runs "datasets.name IS NULL OR datasets.context = 'train'" "r1 r3"
run_mlt runs -s datasets.name
expect_rc 2
expect_err_contains "cannot order by datasets.name"
run_mlt runs -f "datasets.size = 'x'"
expect_rc 2
run_mlt runs -f "datasets.version = 'two'"
expect_rc 2
expect_err_contains "numbers"

t "runs --columns datasets.*: every input's value, comma-separated; empty for a run without inputs"
cd "$T/q"
run_mlt runs --format csv --columns datasets.name,datasets.context,datasets.version,datasets.digest
expect_rc 0
expect_out_eq "id,name,datasets.name,datasets.context,datasets.version,datasets.digest
$R3,r3,,,,
$R2,r2,\"alpha,beta\",\",eval\",\"2,1\",\"$A2,$B1\"
$R1,r1,alpha,train,1,$A1"
run_mlt runs --columns datasets.name
expect_rc 0
expect_out_match $'\n[0-9a-f]{8} +r1 +alpha *(\n|$)'
run_mlt --json runs --columns datasets.name -f "datasets.name = 'beta'"
expect_rc 0
expect_json '[.runs[].name]' '["r2"]'
run_mlt runs --format json -f "attributes.name = 'r2'"
expect_rc 0
expect_json '.runs[0].inputs' "[{\"ref\":\"alpha@v2\",\"name\":\"alpha\",\"version\":2,\"digest\":\"$A2\",\"context\":\"\"},{\"ref\":\"beta@v1\",\"name\":\"beta\",\"version\":1,\"digest\":\"$B1\",\"context\":\"eval\"}]"

t "mlt diff RUN_A RUN_B: an inputs section with each side's data versions; --json inputs"
cd "$T/q"
run_mlt diff r1 r2
expect_rc 1
expect_out_contains "inputs:"
expect_out_contains "- alpha (train) = alpha@v1 sha256:${A1:7:12}"
expect_out_contains "+ alpha = alpha@v2 sha256:${A2:7:12}"
expect_out_contains "+ beta (eval) = beta@v1 sha256:${B1:7:12}"
run_mlt --json diff r1 r2
expect_json '.inputs | map([.key, .a, .b])' "[[\"alpha\",null,\"alpha@v2 sha256:${A2:7:12}\"],[\"alpha (train)\",\"alpha@v1 sha256:${A1:7:12}\",null],[\"beta (eval)\",null,\"beta@v1 sha256:${B1:7:12}\"]]"
run_mlt diff r1 r3
expect_out_contains "- alpha (train) = alpha@v1"
run_mlt diff r2 r2
expect_rc 0
expect_out_not_contains "inputs:"

# ---------------------------------------------------------------------------------------------
# Bad input and git situations.

t "bad input: outside the project, inside .mlt, missing, a dangling symlink, invalid names: exit 2, nothing recorded"
cd "$T/g"
before=$(json_of data ls | jq -c '[.datasets[] | [.name, .versions]]')
tags_before="$(git tag -l)"
mkdir -p "$T/elsewhere" && printf 'x\n' >"$T/elsewhere/x.csv"
for p in ../elsewhere "$T/elsewhere/x.csv" ../elsewhere/x.csv /; do
  run_mlt data add "$p" -n outside
  expect_rc 2
  expect_err_contains "outside the project"
done
for p in .mlt .mlt/config.yaml ./.mlt/objects data/../.mlt; do
  run_mlt data add "$p" -n store
  expect_rc 2
  expect_err_contains "inside the store"
done
run_mlt data add no-such-path
expect_rc 2
expect_err_contains "no such file"
ln -s no-such-target datalink          # a link to nothing (a link to data is followed: see below)
run_mlt data add datalink
expect_rc 2
expect_err_contains "symbolic link"
ln -s "$T/elsewhere" escape
run_mlt data add escape/x.csv -n escape
expect_rc 2
rm datalink escape
run_mlt data add data -n train -m "$(head -c 65537 /dev/zero | tr '\0' m)"   # a message over 64 KiB
expect_rc 2
run_mlt data add data -n train -m $'bad \xff utf-8'
expect_rc 2
long="d$(printf 'x%.0s' $(seq 1 128))"      # 129 characters
for n in '-x' '.x' '_x' 'a..b' 'a.' 'x.lock' 'a b' 'a/b' 'a@b' 'a:b' 'a~b' 'caf'$'\xc3\xa9' "$long"; do
  run_mlt data add data -n "$n"
  expect_rc 2
  expect_err_contains "invalid dataset name"
done
run_mlt data add data -n "d$(printf 'x%.0s' $(seq 1 127))"     # 128 characters: fine
expect_rc 0
expect_out_eq "d$(printf 'x%.0s' $(seq 1 127))@v1"
after=$(json_of data ls | jq -c '[.datasets[] | [.name, .versions]]')
expect_eq "datasets after bad adds" "$(printf '%s' "$before" | jq -c --arg n "d$(printf 'x%.0s' $(seq 1 127))" '. + [[$n,1]] | sort')" "$(printf '%s' "$after" | jq -c 'sort')"
expect_eq "git tags after bad adds" "$(printf '%s\n%s' "$tags_before" "data/d$(printf 'x%.0s' $(seq 1 127))/v1" | sort)" "$(git tag -l | sort)"

t "a git repository without a commit: add exits 2 and records nothing, unless --no-git-tag"
mkdir -p "$T/nc"
cd "$T/nc"
git init -q . || lib_die "git init failed"
must_mlt -q init >/dev/null
printf 'x,y\n1,2\n' >f.csv
run_mlt data add f.csv
expect_rc 2
expect_err_contains "no commit"
expect_err_contains "--no-git-tag"
run_mlt --json data ls
expect_json .datasets '[]'
run_mlt data add f.csv --no-git-tag
expect_rc 0
expect_out_eq "f.csv@v1"
expect_err_not_contains "warning"
run_mlt --json data show f.csv@v1
expect_json '[.git_commit, .git_tag, .git_dirty]' '[null,null,false]'
run_cmd git tag -l
expect_out_empty

t "a dirty working tree: add warns and succeeds, tagging HEAD; the version records it (COMMIT+ in ls)"
cd "$T/g"
HEAD_NOW=$(git rev-parse HEAD)
printf '# local edit\n' >>src/train.py
printf 'd\n' >dirty.txt
run_mlt data add dirty.txt -n dirty
expect_rc 0
expect_out_eq "dirty@v1"
expect_err_contains "warning"
expect_err_contains "uncommitted changes"
expect_err_contains "${HEAD_NOW:0:12}"
run_mlt --json data show dirty@v1
expect_json '[.git_commit, .git_dirty, .git_tag]' "[\"$HEAD_NOW\",true,\"data/dirty/v1\"]"
expect_tag data/dirty/v1 "$HEAD_NOW" "dirty@v1"
run_mlt data ls dirty
expect_out_contains "${HEAD_NOW:0:12}+"
run_mlt data show dirty@v1
expect_out_contains "commit:  $HEAD_NOW (with uncommitted changes)"
git checkout -q src/train.py
printf 'dd\n' >dirty.txt
run_mlt data add dirty.txt -n dirty                              # clean again: no warning
expect_rc 0
expect_err_not_contains "warning"
run_mlt --json data show dirty@v2
expect_json .git_dirty false

t "outside git: versions without a commit or a tag, the note said once (the second add says nothing of git)"
if git -C "$T" rev-parse --git-dir >/dev/null 2>&1; then
  echo "note: the scratch directory is inside a git repository; case skipped"
else
  mkdir -p "$T/ng"
  cd "$T/ng"
  must_mlt -q init >/dev/null
  printf 'a\n' >f.txt
  run_mlt data add f.txt
  expect_rc 0
  expect_out_eq "f.txt@v1"
  expect_err_contains "not a git repository"
  expect_eq "mentions of git in the first add's notes" 1 "$(printf '%s\n' "$err" | grep -c -i 'git')"
  printf 'b\n' >f.txt
  run_mlt data add f.txt
  expect_rc 0
  expect_out_eq "f.txt@v2"
  expect_err_not_contains "git"
  mkdir d && printf 'c\n' >d/c.txt
  run_mlt data add d -n other
  expect_rc 0
  expect_err_not_contains "git"
  run_mlt --json data ls f.txt
  expect_json '[.versions[] | [.ref, .git_commit, .git_tag]]' '[["f.txt@v2",null,null],["f.txt@v1",null,null]]'
  run_mlt data ls f.txt
  expect_out_match $'\nf.txt@v2 +[0-9a-f]{12} +1 +2 B +- +- '
  run_mlt data ls --commit HEAD
  expect_rc 4
  run_mlt data checkout f.txt@v1 -o v1.txt
  expect_rc 0
  expect_file_text "f.txt@v1 outside git" v1.txt "a"
fi

t "data.tag_prefix in .mlt/config.yaml and MLT_DATA_TAG_PREFIX (which wins unless empty) name the tags; a bad one warns; --no-git-tag"
new_repo tp
TP1=$(git rev-parse HEAD)
printf 'data:\n  tag_prefix: ds-\n' >>.mlt/config.yaml
printf '1\n' >f.txt
run_mlt data add f.txt -n f
expect_rc 0
expect_err_contains "as 'ds-f/v1'"
expect_tag ds-f/v1 "$TP1" "f@v1"
run_cmd git rev-parse -q --verify refs/tags/data/f/v1
expect_rc 1
run_mlt --json data show f@v1
expect_json .git_tag ds-f/v1
printf '2\n' >f.txt
MLT_DATA_TAG_PREFIX=env/ run_mlt data add f.txt -n f
expect_rc 0
expect_tag env/f/v2 "$TP1" "f@v2"
run_mlt --json data show f@v2
expect_json .git_tag env/f/v2
printf 'data:\n  tag_prefix: "releases/data-"\n' >.mlt/config.yaml
printf '3\n' >f.txt
run_mlt data add f.txt -n f
expect_rc 0
expect_tag releases/data-f/v3 "$TP1" "f@v3"
MLT_DATA_TAG_PREFIX='' run_mlt data add f.txt -n f                # unchanged content: no tag at all
expect_rc 0
expect_err_not_contains "tagged"
printf '4\n' >f.txt
MLT_DATA_TAG_PREFIX='' run_mlt data add f.txt -n f                # empty: the file's prefix stays
expect_rc 0
expect_tag releases/data-f/v4 "$TP1" "f@v4"
printf 'data:\n  tag_prefix: ""\n' >.mlt/config.yaml
printf '5\n' >f.txt
run_mlt data add f.txt -n f                                       # an empty prefix: NAME/vN
expect_rc 0
expect_tag f/v5 "$TP1" "f@v5"
expect_eq "tags made" "ds-f/v1 env/f/v2 f/v5 releases/data-f/v3 releases/data-f/v4" "$(git tag -l | sort | tr '\n' ' ' | sed 's/ $//')"
printf '6\n' >f.txt
MLT_DATA_TAG_PREFIX='bad..prefix/' run_mlt data add f.txt -n f    # not a valid tag name: a warning
expect_rc 0
expect_out_eq "f@v6"
expect_err_contains "warning"
expect_err_contains "no git tag"
run_mlt --json data show f@v6
expect_json '[.git_commit, .git_tag]' "[\"$TP1\",null]"
tags_before="$(git tag -l)"
printf '7\n' >f.txt
run_mlt data add f.txt -n f --no-git-tag                           # the commit is recorded, no tag made
expect_rc 0
expect_out_eq "f@v7"
expect_err_not_contains "tagged"
expect_err_not_contains "warning"
run_mlt --json data show f@v7
expect_json '[.git_commit, .git_tag, .git_dirty]' "[\"$TP1\",null,false]"
expect_eq "tags after --no-git-tag" "$tags_before" "$(git tag -l)"

t "an existing tag of that name is left alone: a warning, the version is still recorded"
cd "$T/tp"
printf '# back to the default prefix\n' >.mlt/config.yaml
git tag data/g/v1 "$TP1"                   # a lightweight tag in the way
printf 'print("two")\n' >src/train.py
git commit -q -am two
printf 'g\n' >g.txt
run_mlt data add g.txt -n g
expect_rc 0
expect_out_eq "g@v1"
expect_err_contains "warning"
expect_err_contains "no git tag"
run_cmd git cat-file -t data/g/v1
expect_out_eq "commit"                      # still the lightweight tag
run_cmd git rev-parse data/g/v1
expect_out_eq "$TP1"
run_mlt --json data show g@v1
expect_json '[.git_commit, .git_tag]' "[\"$(git rev-parse HEAD)\",null]"

t "data add . (the project's root): named after its folder, its .mlt left out; show says path ."
mkdir -p "$T/rootproj"
cd "$T/rootproj"
must_mlt -q init >/dev/null
mkdir -p sub && printf 'r\n' >sub/r.txt && printf 't\n' >top.txt
run_mlt data add .
expect_rc 0
expect_out_eq "rootproj@v1"
run_mlt --json data show rootproj@v1
expect_json '[.kind, .files, .bytes, .source]' '["dir",2,4,""]'
run_mlt data show rootproj@v1
expect_out_contains "path:    ."
run_mlt data status rootproj
expect_out_eq "rootproj: '.' matches rootproj@v1"
run_mlt --json data checkout rootproj@v1 -o "$T/out/rootproj"
expect_rc 0
expect_json .written 2
[ ! -e "$T/out/rootproj/.mlt" ] || fail "the checkout of the root holds no .mlt" "no .mlt" "$(ls -a "$T/out/rootproj")"

t "a damaged or missing object: checkout exits 6 and leaves nothing at the destination"
mkdir -p "$T/dmg"
cd "$T/dmg"
must_mlt -q init >/dev/null
head -c 4096 /dev/urandom >blob.bin
must_mlt -q data add blob.bin -n blob >/dev/null
hex=$(field "$(json_of data show blob@v1)" .digest | cut -c8-)
obj=$(find .mlt/objects -type f -name "*${hex:2}*" | head -n 1)
[ -n "$obj" ] || lib_die "the object of blob@v1 ($hex) is not in .mlt/objects"
chmod u+w "$obj"
# flip every bit of the last byte (writing a fixed byte left it unchanged one time in 256)
last=$(tail -c 1 "$obj" | od -An -tu1 | tr -d ' ')
printf "\\$(printf '%03o' $((last ^ 255)))" | dd of="$obj" bs=1 seek=$(($(wc -c <"$obj") - 1)) conv=notrunc 2>/dev/null
run_mlt data checkout blob@v1 -o "$T/out/blob.bin"
expect_rc 6
[ ! -e "$T/out/blob.bin" ] || fail "nothing written from a damaged object" "no $T/out/blob.bin" "$(ls -l "$T/out/blob.bin")"
left=$(find "$T/out" -maxdepth 1 -iname '*blob*' | head -n 1)
[ -z "$left" ] || fail "no temporary file left" "nothing named *blob* in $T/out" "$left"
rm -f "$obj"
run_mlt data checkout blob@v1 -o "$T/out/blob.bin"
expect_rc 6
[ ! -e "$T/out/blob.bin" ] || fail "nothing written from a missing object" "no $T/out/blob.bin" "$(ls -l "$T/out/blob.bin")"

t "concurrent adds: 12 different contents of one dataset get v1..v12 and 12 tags; 12 equal ones one version"
cd "$T/g"
mkdir -p par
pids=()
for i in $(seq 1 12); do
  printf '%s\n' "$i" >"par/f$i.txt"
done
for i in $(seq 1 12); do
  "$MLT_BIN" data add "par/f$i.txt" -n par </dev/null >"$T/.lib/par$i.out" 2>"$T/.lib/par$i.err" 3>&- &
  pids+=($!)
  track_bg $!
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
expect_eq "parallel adds that failed" 0 "$failed"
expect_eq "versions printed" "$(seq 1 12 | sed 's/^/par@v/' | tr '\n' ' ')" "$(cat "$T"/.lib/par*.out | sort -t v -k2 -n | tr '\n' ' ')"
run_mlt --json data ls par
expect_json '[.versions[].version] | sort' "[$(seq -s, 1 12)]"
expect_json '[.versions[].git_tag] | sort' "$(seq 1 12 | sed 's|^|data/par/v|' | jq -R . | jq -sc 'sort')"
expect_eq "tags data/par/*" 12 "$(git tag -l 'data/par/*' | wc -l | tr -d ' ')"
mkdir -p same && printf 'same\n' >same/a.txt
pids=()
for i in $(seq 1 12); do
  "$MLT_BIN" data add same -n same </dev/null >"$T/.lib/same$i.out" 2>/dev/null 3>&- &
  pids+=($!)
  track_bg $!
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
expect_eq "parallel equal adds that failed" 0 "$failed"
expect_eq "what the equal adds printed" "same@v1" "$(cat "$T"/.lib/same*.out | sort -u)"
run_mlt --json data ls same
expect_json '[.versions[].ref]' '["same@v1"]'
expect_eq "tags data/same/*" "data/same/v1" "$(git tag -l 'data/same/*')"

t "an empty -n is an invalid dataset name (exit 2), not the default"
mkdir -p "$T/nm"
cd "$T/nm"
must_mlt -q init >/dev/null
mkdir data && printf 'x\n' >data/x.txt
run_mlt data add data -n ''
expect_rc 2
expect_err_contains "invalid dataset name"
run_mlt --json data ls
expect_json .datasets '[]'
run_mlt data add data -n data
expect_rc 0
expect_out_eq "data@v1"

t "data add follows a PATH that is a symlink; links below follow the artifact rules; checkout exits 1 on a skipped link"
mkdir -p "$T/dl/real/sub" "$T/dl-outside"
cd "$T/dl"
must_mlt -q init >/dev/null
printf 'a\n' >real/a.csv
printf 'far\n' >"$T/dl-outside/far.csv"
ln -s a.csv real/alias.csv               # inside: a link
ln -s "$T/dl-outside/far.csv" real/far.csv   # outside: stored as the file
ln -s real here
run_mlt --json data add here --no-git-tag -n dl
expect_rc 0
expect_json .files 3
expect_json .source real
run_mlt data checkout dl@v1 -o "$T/dl-out"
expect_rc 0
expect_eq "the inside link restored" "a.csv" "$(readlink "$T/dl-out/alias.csv")"
expect_eq "the outside link restored as its content" "far" "$(cat "$T/dl-out/far.csv" 2>&1)"
mkdir -p empty-dir/deeper
run_mlt data add empty-dir --no-git-tag
expect_rc 1
expect_err_contains "nothing added"
run_mlt --json data ls
expect_json '[.datasets[].name]' '["dl"]'

t "data ls and data status on a project without data: a note, exit 0; --json empty lists"
mkdir -p "$T/empty"
cd "$T/empty"
must_mlt -q init >/dev/null
run_mlt data ls
expect_rc 0
expect_out_empty
expect_err_contains "no data versions yet"
run_mlt --json data ls
expect_json .datasets '[]'
run_mlt --json data status
expect_rc 0
expect_json .datasets '[]'
run_mlt data show x@v1
expect_rc 4
cd "$T"
run_mlt data ls
expect_rc 3

finish
