# t_store.sh: the object store under damage and maintenance: mlt fsck (fast and --full) on a
# healthy store and after flipped bytes, truncated, missing and swapped objects; artifact get/cat
# never handing out damaged bytes (exit 6, nothing written); an add killed with SIGKILL; mlt gc
# (--grace, --dry-run, referenced and young objects); mlt du.
# shellcheck disable=SC2164  # every cd goes into a directory this suite just created
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# hex FILE: the SHA-256 of FILE in hex (sha256sum).
hex() { sha256sum <"$1" | cut -c1-64; }

# obj HEX: the object file of digest HEX in the project of the working directory.
obj() { printf '%s\n' "$PWD/.mlt/objects/${1:0:2}/${1:2}"; }

# nobjects: the number of object files in the project of the working directory.
nobjects() { find "$PWD/.mlt/objects" -type f | wc -l | tr -d ' '; }

# flip_byte FILE OFFSET: invert every bit of one byte of FILE in place.
flip_byte() {
  local b
  chmod u+w "$1"
  b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
  # shellcheck disable=SC2059
  printf "$(printf '\\%03o' $((b ^ 255)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# bad_objects DIR: checks every object file below DIR on its own (without mlt) and prints one line
# for each bad one: the 16-byte header ("MLTO" 1 kind encoding 0 size:u64le), the size of a raw
# object, and for blobs and trees the SHA-256 of the (decompressed) payload against the name.
bad_objects() {
  local f name size kind enc psize got
  while IFS= read -r f; do
    name="$(basename "$(dirname "$f")")$(basename "$f")"
    size=$(stat -c %s "$f")
    if [ "$size" -lt 16 ] || [ "$(head -c 4 "$f")" != MLTO ]; then
      echo "$name: no object header"
      continue
    fi
    kind=$(od -An -tu1 -j5 -N1 "$f" | tr -d ' ')
    enc=$(od -An -tu1 -j6 -N1 "$f" | tr -d ' ')
    psize=$(od -An -tu8 -j8 -N8 "$f" | tr -d ' ')
    if [ "$enc" = 0 ]; then
      [ "$size" = $((16 + psize)) ] || { echo "$name: raw size $((size - 16)), header says $psize"; continue; }
      got=""
      [ "$kind" = 2 ] || got=$(tail -c +17 "$f" | sha256sum | cut -c1-64)
    elif command -v zstd >/dev/null 2>&1; then
      got=$(tail -c +17 "$f" | zstd -dcq 2>/dev/null | sha256sum | cut -c1-64)
    else
      got=""
    fi
    [ -z "$got" ] || [ "$got" = "$name" ] || echo "$name: content hashes to $got"
  done < <(find "$1" -type f)
}

# run_mlt_bin ARG...: as run_mlt, for commands printing binary data: $out only says how many bytes.
run_mlt_bin() {
  last_cmd="mlt $(printf '%q ' "$@")"
  last_cmd="${last_cmd% }"
  # shellcheck disable=SC2086
  $LIB_TIMEOUT "$MLT_BIN" "$@" </dev/null >"$T/.lib/stdout" 2>"$T/.lib/stderr" 3>&-
  rc=$?
  out="($(wc -c <"$T/.lib/stdout" | tr -d ' ') bytes on stdout)"
  [ -s "$T/.lib/stdout" ] || out=""
  err="$(cat "$T/.lib/stderr")"
}

# entries_of RUN: "KIND PATH DIGEST" for every artifact of RUN.
entries_of() {
  "$MLT_BIN" --json artifact ls -r "$1" 2>&1 3>&- | jq -r '.entries[] | "\(.kind) \(.path) \(.digest)"' 2>&1
}

# expect_nothing_new DIR BEFORE: `ls -A DIR` still prints BEFORE (no file, no hidden temporary).
expect_nothing_new() {
  local now
  now="$(ls -A "$1" 2>&1)"
  [ "$now" = "$2" ] || fail "nothing written in $1" "$(lib_show "$2")" "$(lib_show "$now")"
}

# data
D="$T/data"
mkdir -p "$D/dir/sub"
seq 1 20000 >"$D/text.txt"                 # compressible: a zstd object
head -c 3000 /dev/urandom >"$D/rand.bin"   # incompressible: a raw object
head -c 3000 /dev/urandom >"$D/rand2.bin"  # same size, other content
printf 'x\n' >"$D/dir/a.txt"
seq 1 500 >"$D/dir/sub/m.txt"
head -c 1500 /dev/urandom >"$D/dir/z.bin"
head -c $((5 * 1024 * 1024)) /dev/urandom >"$D/big.bin"

# a project with every kind of object in it
new_project p
must_mlt run start -n alpha --no-git >/dev/null
must_mlt run start -n beta --no-git >/dev/null
must_mlt -q log artifact --run alpha "$D/text.txt" "$D/rand.bin" "$D/dir" "$D/big.bin" >/dev/null
must_mlt -q log artifact --run beta "$D/rand2.bin" --as models/r.bin >/dev/null

# ---------------------------------------------------------------------------------------------
t "fsck on a healthy store exits 0, fast and --full; --json fields"
cd "$T/p"
run_mlt fsck
expect_rc 0
expect_out_empty
expect_err_contains "no damage"
run_mlt fsck --full
expect_rc 0
run_mlt --json fsck
expect_rc 0
expect_json '[.ok, .full, .database, .damage]' '[true,false,"ok",[]]'
expect_json '.objects_checked > 5' true
run_mlt --json fsck --full
expect_rc 0
expect_json '[.ok, .full, .database, .damage]' '[true,true,"ok",[]]'
expect_json ".bytes_checked >= $((5 * 1024 * 1024 + 3000 + 3000))" true
new_project empty
run_mlt fsck --full
expect_rc 0

t "fsck, gc and du outside a project exit 3"
mkdir -p "$T/noproj"
cd "$T/noproj"
for c in fsck gc du; do
  run_mlt "$c"
  expect_rc 3
done

# ---------------------------------------------------------------------------------------------
t "a flipped byte in a file's object: get exits 6 and writes nothing, cat exits 6"
new_project flip
V=$(must_mlt run start -n victim --no-git)
must_mlt -q log artifact --run victim "$D/rand.bin" "$D/text.txt" >/dev/null
RH=$(hex "$D/rand.bin")
TH=$(hex "$D/text.txt")
flip_byte "$(obj "$RH")" 1000
flip_byte "$(obj "$TH")" 200
mkdir -p dest
for f in rand.bin text.txt; do
  run_mlt artifact get victim "$f" -o dest/out
  expect_rc 6
  expect_nothing_new dest ""
  run_mlt artifact get victim "$f" -o dest/
  expect_rc 6
  expect_nothing_new dest ""
  (cd dest && "$MLT_BIN" artifact get victim "$f" </dev/null >/dev/null 2>&1 3>&-)
  rc=$?
  last_cmd="cd dest && mlt artifact get victim $f"
  expect_rc 6
  expect_nothing_new dest ""
  run_mlt_bin artifact cat victim "$f"
  expect_rc 6
  expect_out_empty
done
run_mlt artifact get victim rand.bin -o dest/out --force
expect_rc 6
expect_nothing_new dest ""
printf 'mine\n' >dest/keep
run_mlt artifact get victim rand.bin -o dest/keep --force
expect_rc 6
expect_eq "an existing file is left as it was" "mine" "$(cat dest/keep)"
expect_nothing_new dest "keep"

t "a damaged object: get -o into directories that do not exist yet creates none of them"
cd "$T/flip"
mkdir -p dest2
run_mlt artifact get victim rand.bin -o dest2/new/sub/out
expect_rc 6
expect_nothing_new dest2 ""
rm -rf dest2/new
run_mlt artifact get victim "" -o dest2/new/whole       # the whole tree, holding the damaged files
expect_rc 6
expect_nothing_new dest2 ""

t "a flipped byte: fsck --full exits 6 naming the object and 'run <id8> (<name>)'"
cd "$T/flip"
run_mlt fsck --full
expect_rc 6
expect_err_contains "sha256:$RH"
expect_err_contains "sha256:$TH"
expect_err_contains "run ${V:0:8} (victim)"
run_mlt --json fsck --full
expect_rc 6
expect_json '.ok' false
expect_json '[.damage[].object] | sort' "$(printf '["sha256:%s","sha256:%s"]' "$RH" "$TH" | jq -c sort)"
expect_json "[.damage[] | .referenced_by | contains(\"run ${V:0:8} (victim)\")] | all" true

t "a damaged file inside a directory: get DIR exits 6 and creates nothing"
new_project flipdir
must_mlt run start -n victim --no-git >/dev/null
must_mlt -q log artifact --run victim "$D/dir" >/dev/null
flip_byte "$(obj "$(hex "$D/dir/z.bin")")" 500      # the last file in name order
mkdir -p dest
run_mlt artifact get victim dir -o dest/restored
expect_rc 6
expect_nothing_new dest ""
run_mlt artifact get victim dir/z.bin -o dest/z.bin
expect_rc 6
expect_nothing_new dest ""
run_mlt artifact get victim dir/a.txt -o dest/a.txt     # an intact file still comes out
expect_rc 0
expect_nothing_new dest "a.txt"

t "a damaged file inside a directory: get DIR into an existing directory never writes the damaged file"
# (man: into a directory that exists, entries are written one at a time; the damaged one is not)
cd "$T/flipdir"
mkdir -p existing
for force in "" --force; do
  run_mlt artifact get victim dir -o existing $force
  expect_rc 6
  { [ -e existing/z.bin ] || [ -L existing/z.bin ]; } && fail "the damaged file is not written" "no existing/z.bin" "$(ls -l existing/z.bin)"
  expect_eq "temporary files left in the destination" "" "$(find existing -name '.*mlt-*')"
done
printf 'mine\n' >existing/z.bin
run_mlt artifact get victim dir -o existing --force
expect_rc 6
expect_eq "an existing file at the damaged file's path is left as it was" "mine" "$(cat existing/z.bin)"

t "a flipped byte in one chunk of a 5 MiB file: get exits 6, nothing written; fsck --full exits 6"
new_project chunk
C=$(must_mlt run start -n chunky --no-git)
must_mlt -q log artifact --run chunky "$D/big.bin" >/dev/null
# the chunks are the large raw blobs; the file's own object (its manifest) is small
chunkfile=$(find "$PWD/.mlt/objects" -type f -size +100k | sort | head -n 1)
chunkhex="$(basename "$(dirname "$chunkfile")")$(basename "$chunkfile")"
if [ -z "$chunkfile" ] || [ "$chunkhex" = "$(hex "$D/big.bin")" ]; then
  fail "a chunk object exists for a 5 MiB file" "an object file > 100 KiB" "$(find .mlt/objects -type f | head)"
fi
flip_byte "$chunkfile" 5000
mkdir -p dest
run_mlt artifact get chunky big.bin -o dest/big.bin
expect_rc 6
expect_nothing_new dest ""
run_mlt_bin artifact cat chunky big.bin
expect_rc 6
run_mlt fsck --full
expect_rc 6
expect_err_contains "sha256:$chunkhex"
expect_err_contains "run ${C:0:8} (chunky)"

t "a truncated raw object: plain fsck exits 6 naming it; get exits 6"
new_project trunc
must_mlt run start -n victim --no-git >/dev/null
must_mlt -q log artifact --run victim "$D/rand.bin" >/dev/null
o="$(obj "$(hex "$D/rand.bin")")"
chmod u+w "$o"
truncate -s -10 "$o"
run_mlt fsck
expect_rc 6
expect_err_contains "sha256:$(hex "$D/rand.bin")"
expect_err_contains "(victim)"
run_mlt artifact get victim rand.bin -o out
expect_rc 6
[ -e out ] && fail "nothing written" "no 'out'" "$(ls -l out)"

t "a truncated compressed object: fsck --full exits 6 naming it; get exits 6"
# (man: the fast fsck checks the size of uncompressed objects only)
new_project truncz
must_mlt run start -n victim --no-git >/dev/null
must_mlt -q log artifact --run victim "$D/text.txt" >/dev/null
o="$(obj "$(hex "$D/text.txt")")"
[ "$(od -An -tu1 -j6 -N1 "$o" | tr -d ' ')" = 1 ] ||
  fail "text.txt is stored compressed (encoding byte 1)" "1" "$(od -An -tu1 -j6 -N1 "$o")"
chmod u+w "$o"
truncate -s -10 "$o"
run_mlt fsck --full
expect_rc 6
expect_err_contains "sha256:$(hex "$D/text.txt")"
expect_err_contains "(victim)"
run_mlt artifact get victim text.txt -o out
expect_rc 6
[ -e out ] && fail "nothing written" "no 'out'" "$(ls -l out)"

t "a missing object: plain fsck exits 6 naming it; get and cat exit 6"
new_project missing
must_mlt run start -n victim --no-git >/dev/null
must_mlt -q log artifact --run victim "$D/rand.bin" "$D/dir" >/dev/null
rm -f "$(obj "$(hex "$D/rand.bin")")"
run_mlt fsck
expect_rc 6
expect_err_contains "sha256:$(hex "$D/rand.bin")"
expect_err_contains "missing"
run_mlt artifact get victim rand.bin -o out
expect_rc 6
[ -e out ] && fail "nothing written" "no 'out'" "$(ls -l out)"
run_mlt_bin artifact cat victim rand.bin
expect_rc 6
expect_out_empty
# a missing tree: listing below it fails with 6, and fsck says so
sub=$("$MLT_BIN" --json artifact ls victim dir 3>&- | jq -r '.entries[] | select(.path == "dir/sub") | .digest')
rm -f "$(obj "${sub#sha256:}")"
run_mlt artifact ls -r victim dir
expect_rc 6
run_mlt fsck
expect_rc 6
expect_err_contains "$sub"

t "a swapped object (another object's file copied over it): get exits 6, fsck --full exits 6"
new_project swap
must_mlt run start -n victim --no-git >/dev/null
must_mlt -q log artifact --run victim "$D/rand.bin" "$D/rand2.bin" >/dev/null
o1="$(obj "$(hex "$D/rand.bin")")"
o2="$(obj "$(hex "$D/rand2.bin")")"
chmod u+w "$o1"
cp "$o2" "$o1"
mkdir -p dest
run_mlt artifact get victim rand.bin -o dest/rand.bin
expect_rc 6
expect_nothing_new dest ""
run_mlt_bin artifact cat victim rand.bin
expect_rc 6
expect_out_empty
run_mlt artifact get victim rand2.bin -o dest/rand2.bin     # the other one is intact
expect_rc 0
cmp -s "$D/rand2.bin" dest/rand2.bin || fail "rand2.bin restored" "identical" "differs"
run_mlt fsck --full
expect_rc 6
expect_err_contains "sha256:$(hex "$D/rand.bin")"
expect_err_not_contains "sha256:$(hex "$D/rand2.bin")"

t "a damaged tree: ls and fsck exit 6; gc refuses and deletes nothing"
new_project tree
must_mlt run start -n victim --no-git >/dev/null
must_mlt -q log artifact --run victim "$D/dir" >/dev/null
must_mlt -q log artifact --run victim "$D/rand2.bin" --as dir/a.txt >/dev/null   # leaves garbage
root=$("$MLT_BIN" --json artifact ls victim 3>&- | jq -r '.entries[] | select(.path == "dir") | .digest')
flip_byte "$(obj "${root#sha256:}")" 20
n=$(nobjects)
run_mlt artifact ls -r victim dir
expect_rc 6
run_mlt fsck
expect_rc 6
expect_err_contains "$root"
run_mlt gc --grace 0s
expect_rc 6
expect_eq "object files after a refused gc" "$n" "$(nobjects)"

# ---------------------------------------------------------------------------------------------
t "an add killed with SIGKILL: fsck clean, the run's artifacts unchanged, no partial object"
new_project kill
must_mlt run start -n k --no-git >/dev/null
must_mlt -q log artifact --run k "$D/text.txt" "$D/rand.bin" >/dev/null
must_mlt -q gc --grace 0s >/dev/null     # the store holds referenced objects only
head -c $((200 * 1024 * 1024)) /dev/urandom >"$T/huge.bin"
before="$(entries_of k)"
n0=$(nobjects)
"$MLT_BIN" log artifact --run k "$T/huge.bin" </dev/null >/dev/null 2>"$T/kill.err" 3>&- &
addpid=$!
track_bg "$addpid"
for _ in $(seq 250); do
  [ "$(nobjects)" -gt "$n0" ] && break
  sleep 0.02
done
sleep 0.1
kill -KILL "$addpid"
{ wait "$addpid"; } 2>/dev/null
rc=$?
last_cmd="mlt log artifact --run k huge.bin (200 MiB), kill -9 after ~0.2 s"
out="" err="$(cat "$T/kill.err")"
expect_rc 137
n1=$(nobjects)
[ "$n1" -gt "$n0" ] || fail "the killed add had stored some chunks" "more than $n0 objects" "$n1"
expect_eq "artifacts of run k" "$before" "$(entries_of k)"
run_mlt fsck
expect_rc 0
run_mlt fsck --full
expect_rc 0
expect_eq "object files that fail verification" "" "$(bad_objects "$T/kill/.mlt/objects")"

t "gc --dry-run and gc with the default grace remove nothing"
cd "$T/kill"
run_mlt --json gc --dry-run --grace 0s
expect_rc 0
expect_json .dry_run true
expect_json '.removed > 0' true
expect_eq "object files after gc --dry-run" "$n1" "$(nobjects)"
run_mlt --json gc
expect_rc 0
expect_json .removed 0
expect_json .removed_bytes 0
expect_eq "object files after gc (default grace)" "$n1" "$(nobjects)"
run_mlt gc --dry-run
expect_rc 0
expect_eq "object files after gc --dry-run" "$n1" "$(nobjects)"

t "gc reports the unreferenced objects it keeps for being young as young"
cd "$T/kill"
run_mlt --json gc
expect_rc 0
expect_json ".young" $((n1 - n0))

t "gc --grace 0s removes the unreferenced objects and keeps every referenced one"
cd "$T/kill"
run_mlt --json gc --grace 0s
expect_rc 0
expect_json .dry_run false
expect_json .removed $((n1 - n0))
expect_json .kept "$n0"
expect_eq "object files after gc --grace 0s" "$n0" "$(nobjects)"
expect_eq "files left in .mlt/tmp" "" "$(ls -A .mlt/tmp)"
run_mlt fsck --full
expect_rc 0
expect_eq "artifacts of run k" "$before" "$(entries_of k)"
mkdir -p out
run_mlt artifact get k text.txt -o out/text.txt
expect_rc 0
cmp -s "$D/text.txt" out/text.txt || fail "text.txt after gc" "identical" "differs"
run_mlt artifact get k rand.bin -o out/rand.bin
expect_rc 0
cmp -s "$D/rand.bin" out/rand.bin || fail "rand.bin after gc" "identical" "differs"
run_mlt --json du
expect_json .unreferenced_bytes 0

t "after a killed add and gc, adding the same file again works and verifies"
cd "$T/kill"
run_mlt --json log artifact --run k "$T/huge.bin"
expect_rc 0
run_mlt --json artifact ls k huge.bin
expect_json '.entries[0].digest' "sha256:$(hex "$T/huge.bin")"
run_mlt fsck --full
expect_rc 0
expect_eq "object files that fail verification" "" "$(bad_objects "$T/kill/.mlt/objects")"
rm -f "$T/huge.bin"

t "gc never removes referenced objects: replaced ones go, those of other and deleted runs stay"
new_project gc
must_mlt run start -n a --no-git >/dev/null
must_mlt run start -n b --no-git >/dev/null
must_mlt run start -n d --no-git >/dev/null
head -c 5000 /dev/urandom >"$T/old.bin"
head -c 5000 /dev/urandom >"$T/new.bin"
head -c 5000 /dev/urandom >"$T/deleted.bin"
must_mlt -q log artifact --run a "$T/old.bin" --as w.bin >/dev/null
must_mlt -q log artifact --run a "$D/dir" "$D/big.bin" >/dev/null
must_mlt -q log artifact --run b "$D/big.bin" "$D/rand.bin" >/dev/null
must_mlt -q log artifact --run d "$T/deleted.bin" >/dev/null
must_mlt -q run rm d >/dev/null
must_mlt -q log artifact --run a "$T/new.bin" --as w.bin >/dev/null    # old.bin is garbage now
ea="$(entries_of a)"
eb="$(entries_of b)"
n=$(nobjects)
run_mlt --json gc --grace 0s
expect_rc 0
expect_json '.removed >= 1' true
[ -e "$(obj "$(hex "$T/old.bin")")" ] && fail "the replaced file's object is removed" "gone" "still there"
for f in "$T/new.bin" "$T/deleted.bin" "$D/big.bin" "$D/rand.bin" "$D/dir/z.bin"; do
  [ -e "$(obj "$(hex "$f")")" ] || fail "the object of referenced $(basename "$f") is kept" "present" "removed"
done
expect_eq "objects left" $((n - $(jq_out .removed))) "$(nobjects)"
run_mlt fsck --full
expect_rc 0
expect_eq "artifacts of run a" "$ea" "$(entries_of a)"
expect_eq "artifacts of run b" "$eb" "$(entries_of b)"
must_mlt -q run restore d >/dev/null
mkdir -p out
run_mlt artifact get d deleted.bin -o out/deleted.bin
expect_rc 0
cmp -s "$T/deleted.bin" out/deleted.bin || fail "deleted run's artifact after gc" "identical" "differs"
run_mlt artifact get a dir -o out/dir
expect_rc 0
diff -r "$D/dir" out/dir >/dev/null || fail "run a's directory after gc" "identical" "differs"
run_mlt artifact get b big.bin -o out/big.bin
expect_rc 0
cmp -s "$D/big.bin" out/big.bin || fail "run b's big.bin after gc" "identical" "differs"
run_mlt --json gc --grace 0s
expect_rc 0
expect_json .removed 0

t "gc after removing objects: an unchanged file added again is stored again (no stale cache)"
cd "$T/gc"
touch -d '2 minutes ago' "$T/old.bin"
must_mlt -q log artifact --run b "$T/old.bin" --as first.bin >/dev/null
must_mlt -q log artifact --run b "$T/new.bin" --as first.bin >/dev/null   # old.bin garbage again
run_mlt gc --grace 0s
expect_rc 0
[ -e "$(obj "$(hex "$T/old.bin")")" ] && fail "old.bin's object removed by gc" "gone" "still there"
run_mlt --json log artifact --run b "$T/old.bin" --as again.bin
expect_rc 0
[ -e "$(obj "$(hex "$T/old.bin")")" ] || fail "old.bin's object stored again" "present" "missing"
run_mlt fsck --full
expect_rc 0
run_mlt_bin artifact cat b again.bin
expect_rc 0

t "gc: a bad --grace exits 2 and removes nothing"
cd "$T/gc"
n=$(nobjects)
for g in abc 5 -1d 1y ''; do
  run_mlt gc --grace "$g"
  expect_rc 2
done
expect_eq "object files" "$n" "$(nobjects)"

# ---------------------------------------------------------------------------------------------
# gc and a wrong database (issue 15, item 1)

t "gc: a database that references nothing beside old objects: exit 6, nothing deleted; --force deletes"
if command -v sqlite3 >/dev/null 2>&1; then
  new_project wrongdb
  must_mlt run start -n r --no-git >/dev/null
  must_mlt -q log artifact --run r "$D/rand.bin" "$D/dir" >/dev/null
  sqlite3 .mlt/mlt.db 'UPDATE runs SET artifacts = NULL' >/dev/null    # as a database from elsewhere
  n=$(nobjects)
  for args in "gc --grace 0s" "gc --grace 0s --dry-run"; do
    # shellcheck disable=SC2086
    run_mlt $args
    expect_rc 6
    expect_err_contains "gc stopped before deleting anything: the database '$T/wrongdb/.mlt/mlt.db' references no object"
    expect_err_contains "mlt gc --force"
  done
  expect_eq "object files after the refused gc" "$n" "$(nobjects)"
  run_mlt gc                                   # nothing is old enough: nothing to refuse
  expect_rc 0
  run_mlt --json gc --grace 0s --force
  expect_rc 0
  expect_json .removed "$n"
  expect_eq "object files after gc --force" 0 "$(nobjects)"
else
  echo "note: sqlite3 not installed; case skipped"
fi

t "gc: a database failing quick_check: exit 6 naming it, nothing deleted, --force or not, no SQL shown"
if command -v sqlite3 >/dev/null 2>&1; then
  new_project qc
  must_mlt run start -n r --no-git >/dev/null
  must_mlt -q log artifact --run r "$D/rand.bin" >/dev/null
  must_mlt -q log artifact --run r "$D/rand2.bin" --as rand.bin >/dev/null    # rand.bin's object is garbage
  for i in $(seq 200); do printf 'loss=0.%s step=%s\n' "$i" "$i"; done >"$T/pts.txt"
  for i in $(seq 20); do "$MLT_BIN" log stream --run r <"$T/pts.txt" >/dev/null 2>&1 3>&-; done
  sqlite3 .mlt/mlt.db 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
  size=$(stat -c %s .mlt/mlt.db)
  # damage the last pages (metric points), not the schema: the database opens, the check fails
  dd if=/dev/urandom of=.mlt/mlt.db bs=4096 seek=$((size / 4096 - 3)) count=2 conv=notrunc 2>/dev/null
  n=$(nobjects)
  for args in "gc --grace 0s" "gc --grace 0s --force"; do
    # shellcheck disable=SC2086
    run_mlt $args
    expect_rc 6
    expect_err_contains "'$T/qc/.mlt/mlt.db'"
    expect_err_not_contains "SELECT"
  done
  expect_eq "object files after the refused gc" "$n" "$(nobjects)"
else
  echo "note: sqlite3 not installed; case skipped"
fi

# ---------------------------------------------------------------------------------------------
# gc --purge-deleted (issue 15, item 5)

t "gc --purge-deleted --dry-run lists the deleted runs and changes nothing"
new_project purge
must_mlt run start -n keep --no-git >/dev/null
must_mlt -q log artifact --run keep "$D/rand.bin" >/dev/null
G=$(MLT_NOW_MS=$T0_MS must_mlt run start -n gone --no-git)
must_mlt -q log param --run gone lr=0.1 >/dev/null
must_mlt -q log tag --run gone team=x >/dev/null
for i in 1 2 3; do must_mlt -q log metric --run gone loss=0.$i >/dev/null; done
must_mlt -q log artifact --run gone "$D/rand2.bin" "$D/big.bin" >/dev/null
must_mlt -q run end gone >/dev/null   # a deleted run that is still RUNNING is not purged
MLT_NOW_MS=$((T0_MS + 1000)) must_mlt -q run rm gone >/dev/null
N=$(MLT_NOW_MS=$((T0_MS + 2000)) must_mlt run start -n recent --no-git)
printf 'recent\n' >"$T/recent.txt"
must_mlt -q log artifact --run recent "$T/recent.txt" >/dev/null
must_mlt -q run end recent >/dev/null
MLT_NOW_MS=$((T0_MS + 10 * 86400000)) must_mlt -q run rm recent >/dev/null
n=$(nobjects)
run_mlt gc --purge-deleted --dry-run --grace 0s
expect_rc 0
expect_out_contains "would purge ${G:0:8}  gone  (deleted 2023-11-14 22:13:21 UTC)"
expect_out_contains "would purge ${N:0:8}  recent"
expect_err_contains "would purge 2 deleted runs (3 metric points)"
expect_eq "object files after --dry-run" "$n" "$(nobjects)"
run_mlt --json runs --deleted
expect_json '[.runs[].name] | sort' '["gone","recent"]'

t "gc --purge-deleted --older-than: only runs deleted longer ago; --json"
cd "$T/purge"
MLT_NOW_MS=$((T0_MS + 11 * 86400000)) run_mlt --json gc --purge-deleted --older-than 7d --grace 0s
expect_rc 0
expect_json '[.purged_runs[].id]' "[\"$G\"]"
expect_json '.purged_runs[0].name' gone
expect_json '.purged_runs[0].deleted_time' "2023-11-14T22:13:21.000Z"
expect_json '.purged_runs[0].deleted_time_ms' $((T0_MS + 1000))
expect_json .purged_metric_points 3
expect_json .vacuumed true
expect_json '.database_bytes_after <= .database_bytes_before' true
expect_json '.removed > 2' true                    # rand2.bin, big.bin's chunks and manifest, the tree
[ -e "$(obj "$(hex "$D/rand2.bin")")" ] && fail "the purged run's object is removed" "gone" "still there"
[ -e "$(obj "$(hex "$D/rand.bin")")" ] || fail "the kept run's object stays" "present" "removed"
[ -e "$(obj "$(hex "$T/recent.txt")")" ] || fail "the recent deleted run's object stays" "present" "removed"
run_mlt run show "$G"
expect_rc 4
run_mlt --json runs --deleted
expect_json '[.runs[].name]' '["recent"]'
if command -v sqlite3 >/dev/null 2>&1; then
  for tbl in params tags metric_points metric_summary; do
    expect_eq "rows of the purged run in $tbl" 0 \
      "$(sqlite3 .mlt/mlt.db "SELECT count(*) FROM $tbl WHERE run_id NOT IN (SELECT id FROM runs)")"
  done
fi
run_mlt fsck --full
expect_rc 0
run_mlt gc --purge-deleted --grace 0s
expect_rc 0
expect_out_contains "purged ${N:0:8}  recent"
expect_err_contains "purged 1 deleted run"
expect_err_contains "database compacted from"
run_mlt --json runs --deleted
expect_json '.runs' '[]'
run_mlt artifact get keep rand.bin -o "$T/purge-keep.bin"
expect_rc 0
cmp -s "$D/rand.bin" "$T/purge-keep.bin" || fail "the kept run's artifact" "identical" "differs"

t "gc --purge-deleted refuses (exit 5), purging nothing, while a registry version or a child refers to a run"
new_project purgeref
printf 'weights\n' >w.bin
R=$(must_mlt run start -n registered --no-git)
URI=$(must_mlt model save w.bin --flavor generic --run registered --python 3.11.2)
must_mlt -q registry register "$URI" churn >/dev/null
must_mlt -q run end registered >/dev/null
must_mlt -q run rm registered >/dev/null
P=$(must_mlt run start -n parent --no-git)
must_mlt run start -n child --parent parent --no-git >/dev/null
must_mlt -q run end parent >/dev/null
must_mlt -q run rm parent >/dev/null
must_mlt run start -n plain --no-git >/dev/null
must_mlt -q run end plain >/dev/null
must_mlt -q run rm plain >/dev/null
for args in "gc --purge-deleted" "gc --purge-deleted --dry-run"; do
  # shellcheck disable=SC2086
  run_mlt $args
  expect_rc 5
  expect_err_contains "cannot purge deleted runs that are still referenced; nothing was purged"
  expect_err_contains "run ${R:0:8} (registered): registry version models:/churn/1"
  expect_err_contains "run ${P:0:8} (parent): its child run"
  expect_err_not_contains "(plain)"
done
run_mlt --json runs --deleted
expect_json '[.runs[].name] | sort' '["parent","plain","registered"]'
run_mlt --json registry show churn/1
expect_rc 0

t "gc --older-than without --purge-deleted, or a bad duration, exits 2"
cd "$T/purgeref"
run_mlt gc --older-than 7d
expect_rc 2
expect_err_contains "--older-than needs --purge-deleted"
run_mlt gc --purge-deleted --older-than 7y
expect_rc 2
run_mlt --json runs --deleted
expect_json '.runs | length' 3

# ---------------------------------------------------------------------------------------------
# progress (issue 15, item 22): only on a terminal

t "fsck --full and gc print no progress line when stderr is not a terminal"
cd "$T/p"
run_mlt fsck --full
expect_rc 0
case "$err" in *$'\r'* | *"fsck ["*) fail "no progress line" "none" "$(lib_show "$err")" ;; esac
run_mlt gc --grace 0s
expect_rc 0
case "$err" in *$'\r'* | *"gc ["*) fail "no progress line" "none" "$(lib_show "$err")" ;; esac

# ---------------------------------------------------------------------------------------------
t "du --json: the same 2 MiB file in two runs counts twice logically, once uniquely"
new_project du
must_mlt run start -n one --no-git >/dev/null
must_mlt run start -n two --no-git >/dev/null
run_mlt --json du
expect_rc 0
expect_json '[.logical_bytes, .unique_bytes, .stored_bytes, .unreferenced_bytes]' '[0,0,0,0]'
head -c $((2 * 1024 * 1024)) /dev/urandom >"$T/two.bin"
must_mlt -q log artifact --run one "$T/two.bin" >/dev/null
must_mlt -q log artifact --run two "$T/two.bin" --as copy.bin >/dev/null
run_mlt --json du
expect_rc 0
expect_json .logical_bytes $((4 * 1024 * 1024))
expect_json .unique_bytes $((2 * 1024 * 1024))
expect_json .dedup_ratio 2
expect_json ".stored_bytes >= $((2 * 1024 * 1024)) and .stored_bytes < $((2 * 1024 * 1024 + 65536))" true
expect_json '.objects > 2' true
expect_json .unreferenced_bytes 0
expect_json '.compression_ratio > 0.98 and .compression_ratio <= 1' true
run_mlt du
expect_rc 0
expect_out_contains "logical"
expect_out_contains "dedup ratio 2.00"

t "du: compressible data is stored smaller (compression ratio > 1)"
cd "$T/du"
seq 1 400000 >"$T/text.txt"
must_mlt -q log artifact --run one "$T/text.txt" >/dev/null
run_mlt --json du
expect_rc 0
expect_json .unique_bytes $((2 * 1024 * 1024 + $(wc -c <"$T/text.txt")))
expect_json '.stored_bytes < .unique_bytes' true
expect_json '.compression_ratio > 1' true

finish
