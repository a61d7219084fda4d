# t_damage.sh: the damage table (issue 16, item 3). One test case per row: a project is set up,
# one thing in .mlt/ is damaged the way a disk, a copy or a person damages it, and the suite
# records how mlt notices: (a) a read that touches the damaged thing, (b) `mlt fsck`, (c) `mlt fsck
# --full`, each with its exit code and a message fragment. For every object damage it also checks
# that no damaged byte ever reaches a destination: `artifact get -o DEST` and `data checkout` exit 6
# and leave no file (nor a partial or temporary one), and `artifact cat` prints nothing (a chunked
# file: at most the verified chunks before the damaged one, a byte-exact prefix of the file).
#
# The project of every row: run 'victim' with r.bin (3000 random bytes: a raw object), t.txt
# (seq 1 20000: a zstd object) and o.bin (3000 other random bytes: a raw object of the same size),
# 1500 metric points (database rows); data version ds@v1 of a folder holding copies of r.bin and t.txt (so it
# shares their objects).
#
# | damage                                | read (get/cat/checkout, runs, metrics)          | fsck                  | fsck --full          |
# |---------------------------------------|-------------------------------------------------|-----------------------|----------------------|
# | header byte flipped (kind, magic)     | 6 "is damaged: unknown kind" / "not an mlt      | 6, names the object   | 6, same              |
# |                                       |   object"; nothing written                      |   and its run         |                      |
# | reserved header byte (7) flipped      | 0 and the right bytes (content is verified)     | 6 "is damaged" [*]    | 6 "is damaged" [*]   |
# | payload byte flipped                  | 6 "content does not match its name" (raw),      | 0 (by design: reads   | 6, names both        |
# |                                       |   "cannot decompress" (zstd); nothing written   |   headers and sizes)  |                      |
# | last byte flipped                     | 6 as payload (zstd: its checksum); nothing      | 0 (by design)         | 6, names both        |
# | truncated by 10 bytes                 | 6 "size 2990 does not match its header (3000)"  | 6 for the raw object  | 6, names both        |
# |                                       |   (raw), "cannot decompress" (zstd)             |   (zstd: --full only) |                      |
# | zero-length object                    | 6 "truncated header"; nothing written           | 6 "truncated header"  | 6                    |
# | two objects swapped                   | 6 "content does not match its name" for both;   | 0 (same sizes: by     | 6, names both, not   |
# |                                       |   the third file still comes out intact         |   design)             |   the intact one     |
# | missing object                        | 6 "is missing"; nothing written                 | 6 "is missing"        | 6 "is missing"       |
# | byte flipped in one chunk of a 5 MiB  | get 6, nothing written; cat 6 after at most the | 0 (by design)         | 6, names the chunk   |
# |   file                                |   verified chunks before it (a true prefix)     |                       |                      |
# | database page damaged (a leaf of      | metrics 6 "is damaged (database disk image is   | 6 "is damaged" [**]   | 6 "is damaged"       |
# |   metric_points, after a checkpoint)  |   malformed)"; runs, status 0 (other tables)    |                       |                      |
# | zero-length mlt.db                    | every command 6 "is empty, but '.../objects'    | 6, same               | 6, same              |
# |                                       |   holds the project's objects"; init too        |                       |                      |
# | missing mlt.db                        | every command 6 "is missing, and '.../objects'  | 6, same               | 6, same              |
# |                                       |   holds ..."; init too, and creates nothing     |                       |                      |
# | foreign mlt.db: a text file           | 6 "is not an mlt database (not a SQLite file)"; | 6, same               | 6, same              |
# |                                       |   the file is left as it was                    |                       |                      |
# | foreign mlt.db: another SQLite db     | 6 "is not an mlt database (a SQLite database    | 6, same               | 6, same              |
# |                                       |   without mlt's schema)"; left as it was        |                       |                      |
# | mlt.db-wal deleted while it holds     | 0: the database opens and is consistent; what   | 0                     | 0                    |
# |   committed transactions              |   was committed after the last checkpoint is    |                       |                      |
# |                                       |   gone (synchronous=NORMAL): the later run is   |                       |                      |
# |                                       |   not found (4), its objects are unreferenced   |                       |                      |
#
# [*]  fails today: the header's reserved byte (object_store.hpp: "0:u8") is never checked.
# [**] --json: the report document ({"ok":false,...}), as mlt-store(1) says, not only an error;
#      fails today: the quick_check statement's own SQLITE_CORRUPT escapes fsck.
# shellcheck disable=SC2164  # every cd goes into a directory this suite just created
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

have_sqlite3=0
command -v sqlite3 >/dev/null 2>&1 && have_sqlite3=1

# expect_nothing_in DIR: DIR holds nothing at all (no file, no hidden temporary, no folder).
expect_nothing_in() {
  local now
  now="$(find "$1" -mindepth 1 2>&1 | sort)"
  [ -z "$now" ] || fail "nothing written in $1" "(empty)" "$(lib_show "$now")"
}

# data
D="$T/data"
mkdir -p "$D"
head -c 3000 /dev/urandom >"$D/r.bin"    # incompressible: a raw object
seq 1 20000 >"$D/t.txt"                  # compressible: a zstd object
head -c 3000 /dev/urandom >"$D/o.bin"    # the same size as r.bin, for the swap
head -c $((5 * 1024 * 1024)) /dev/urandom >"$D/big.bin"
RH=$(hex "$D/r.bin")
TH=$(hex "$D/t.txt")
OH=$(hex "$D/o.bin")
for i in $(seq 1500); do printf 'loss=0.%s step=%s\n' "$i" "$i"; done >"$T/points.txt"

# mkproj NAME [points]: the project of every row in $T/NAME (the working directory), with the
# 1500 metric points when asked; sets V (the run id).
mkproj() {
  new_project "$1"
  V=$(must_mlt run start -n victim --no-git)
  must_mlt -q log artifact --run victim "$D/r.bin" "$D/t.txt" "$D/o.bin" >/dev/null
  if [ "${2:-}" = points ]; then
    "$MLT_BIN" -q log stream --run victim <"$T/points.txt" >/dev/null 2>&1 3>&- ||
      fail "setup: log stream of 1500 points" "exit 0" "exit $?"
  fi
  mkdir -p ds
  cp "$D/r.bin" "$D/t.txt" ds/
  must_mlt -q data add ds -n ds >/dev/null
  lib_fold_subshell_failures
}

# object_reads DAMAGED...: the reads of row's object damage. Each named file (r.bin, t.txt, o.bin)
# is damaged: get, get -o - and cat exit 6 naming its object and write nothing; a file not named
# comes out intact. The whole tree, and the data version (into a new folder and in place, over its
# own deleted files) exit 6 and write no damaged file.
object_reads() {
  local f h damaged_in_ds=0 want
  mkdir -p "$PWD/dest"
  for f in r.bin t.txt o.bin; do
    h=$(hex "$D/$f")
    if [[ " $* " == *" $f "* ]]; then
      run_mlt artifact get victim "$f" -o dest/"$f"
      expect_rc 6
      expect_err_contains "sha256:$h"
      expect_nothing_in dest
      run_mlt_bin artifact get victim "$f" -o -
      expect_rc 6
      expect_out_empty
      run_mlt_bin artifact cat victim "$f"
      expect_rc 6
      expect_out_empty
      expect_err_contains "sha256:$h"
      [ "$f" = o.bin ] || damaged_in_ds=1
    else
      run_mlt artifact get victim "$f" -o dest/"$f"
      expect_rc 0
      cmp -s "$D/$f" dest/"$f" || fail "intact $f comes out intact" "identical" "differs"
      rm -f dest/"$f"
    fi
  done
  run_mlt artifact get victim "" -o dest/all                 # the whole tree
  expect_rc 6
  expect_nothing_in dest
  want=0
  [ "$damaged_in_ds" = 1 ] && want=6
  run_mlt data checkout ds@v1 -o dest/ds
  expect_rc "$want"
  [ "$want" = 0 ] && rm -rf dest/ds
  expect_nothing_in dest
  rm -f ds/r.bin ds/t.txt                                    # in place, over its deleted files
  run_mlt data checkout ds@v1
  expect_rc "$want"
  for f in r.bin t.txt; do
    if [[ " $* " == *" $f "* ]]; then
      { [ -e ds/"$f" ] || [ -L ds/"$f" ]; } && fail "damaged $f is not written into ds/" "no ds/$f" "$(ls -l ds/"$f")"
    fi
  done
  expect_eq "temporary files left in ds/" "" "$(find ds -name '.*')"
}

# fsck_names MODE RC FRAGMENT DAMAGED...: `mlt fsck MODE` exits RC; when 6, its stderr holds
# FRAGMENT (unless empty) and names every damaged object with the run that references it, and
# --json lists exactly them.
fsck_names() {
  local mode="$1" want="$2" fragment="$3" f list=""
  shift 3
  # shellcheck disable=SC2086
  run_mlt fsck $mode
  expect_rc "$want"
  if [ "$want" = 0 ]; then
    expect_err_contains "no damage"
    return
  fi
  [ -z "$fragment" ] || expect_err_contains "$fragment"
  for f in "$@"; do
    expect_err_contains "sha256:$(hex "$D/$f")"
    list="$list,\"sha256:$(hex "$D/$f")\""
  done
  expect_err_contains "referenced by: run ${V:0:8} (victim)"
  # shellcheck disable=SC2086
  run_mlt --json fsck $mode
  expect_rc "$want"
  expect_json '.ok' false
  expect_json '[.damage[].object] | sort' "$(printf '[%s]' "${list#,}" | jq -c sort)"
}

# ---------------------------------------------------------------------------------------------
# Object damage

t "row: a flipped header byte (kind; magic): reads 6, fsck 6, fsck --full 6"
mkproj hdr
flip_byte "$(obj "$RH")" 5
flip_byte "$(obj "$TH")" 0
object_reads r.bin t.txt
run_mlt artifact cat victim r.bin
expect_err_contains "object sha256:$RH is damaged: unknown kind"
run_mlt artifact cat victim t.txt
expect_err_contains "object sha256:$TH is damaged: not an mlt object"
fsck_names "" 6 "unknown kind" r.bin t.txt
fsck_names --full 6 "not an mlt object" r.bin t.txt

t "row: a flipped reserved header byte: reads give the right bytes or 6, fsck and fsck --full 6"
mkproj reserved
flip_byte "$(obj "$RH")" 7          # header: "MLTO" version kind encoding 0:u8 size:u64le
mkdir -p dest
run_mlt artifact get victim r.bin -o dest/r.bin
if [ "$rc" = 0 ]; then
  cmp -s "$D/r.bin" dest/r.bin || fail "what get wrote is the original" "identical" "differs"
else
  expect_rc 6
  expect_nothing_in dest
fi
fsck_names "" 6 "is damaged" r.bin
fsck_names --full 6 "is damaged" r.bin

t "row: a flipped payload byte: reads 6, fsck 0 (headers and sizes only), fsck --full 6"
mkproj payload
flip_byte "$(obj "$RH")" 1000
flip_byte "$(obj "$TH")" 100
object_reads r.bin t.txt
run_mlt artifact cat victim r.bin
expect_err_contains "object sha256:$RH is damaged: content does not match its name"
run_mlt artifact cat victim t.txt
expect_err_contains "object sha256:$TH is damaged: cannot decompress"
fsck_names "" 0 ""
fsck_names --full 6 "content does not match its name" r.bin t.txt

t "row: a flipped last byte: reads 6, fsck 0, fsck --full 6"
mkproj lastbyte
for h in "$RH" "$TH"; do
  o="$(obj "$h")"
  flip_byte "$o" $(($(stat -c %s "$o") - 1))
done
object_reads r.bin t.txt
fsck_names "" 0 ""
fsck_names --full 6 "" r.bin t.txt

t "row: a truncated object: reads 6, fsck 6 for the raw one, fsck --full 6 for both"
mkproj trunc
for h in "$RH" "$TH"; do
  chmod u+w "$(obj "$h")"
  truncate -s -10 "$(obj "$h")"
done
object_reads r.bin t.txt
run_mlt artifact cat victim r.bin
expect_err_contains "object sha256:$RH is damaged: size 2990 does not match its header (3000)"
fsck_names "" 6 "size 2990 does not match its header (3000)" r.bin
fsck_names --full 6 "" r.bin t.txt

t "row: a zero-length object: reads 6, fsck 6, fsck --full 6 ('truncated header')"
mkproj zeroobj
for h in "$RH" "$TH"; do
  chmod u+w "$(obj "$h")"
  : >"$(obj "$h")"
done
object_reads r.bin t.txt
run_mlt artifact cat victim r.bin
expect_err_contains "object sha256:$RH is damaged: truncated header"
fsck_names "" 6 "truncated header" r.bin t.txt
fsck_names --full 6 "truncated header" r.bin t.txt

t "row: two objects swapped: reads 6 for both, the third intact; fsck 0; fsck --full 6 naming both"
mkproj swap
o1="$(obj "$RH")"
o2="$(obj "$OH")"
chmod u+w "$o1" "$o2"
cp "$o1" "$T/swap.tmp"
cp "$o2" "$o1"
cp "$T/swap.tmp" "$o2"
cmp -s "$o1" "$o2" && fail "the two objects differ before the swap" "different files" "identical"
object_reads r.bin o.bin
run_mlt artifact cat victim o.bin
expect_err_contains "object sha256:$OH is damaged: content does not match its name"
fsck_names "" 0 ""
fsck_names --full 6 "content does not match its name" r.bin o.bin
run_mlt fsck --full
expect_err_not_contains "sha256:$TH"

t "row: a missing object: reads 6 ('is missing'), fsck 6, fsck --full 6"
mkproj missing
rm -f "$(obj "$RH")" "$(obj "$TH")"
object_reads r.bin t.txt
run_mlt artifact cat victim t.txt
expect_err_contains "object sha256:$TH is missing"
fsck_names "" 6 "is missing" r.bin t.txt
fsck_names --full 6 "is missing" r.bin t.txt

t "row: a flipped byte in one chunk of a 5 MiB file: get 6 writes nothing, cat prints only a verified prefix"
mkproj chunk
must_mlt -q log artifact --run victim "$D/big.bin" >/dev/null
# a chunk that is not the file's first (so that chunks before it exist): its payload does not
# start like the file
chunkfile=""
for f in $(find "$PWD/.mlt/objects" -type f -size +100k | sort); do
  if ! cmp -s <(tail -c +17 "$f" | head -c 4096) <(head -c 4096 "$D/big.bin"); then
    chunkfile="$f"
    break
  fi
done
chunkhex="$(basename "$(dirname "$chunkfile")")$(basename "$chunkfile")"
if [ -z "$chunkfile" ]; then
  fail "a chunk object other than the first exists for a 5 MiB file" "an object file > 100 KiB" \
    "$(find .mlt/objects -type f -size +100k)"
else
  flip_byte "$chunkfile" 5000
  mkdir -p dest
  run_mlt artifact get victim big.bin -o dest/big.bin
  expect_rc 6
  expect_err_contains "sha256:$chunkhex"
  expect_nothing_in dest
  run_mlt_bin artifact cat victim big.bin
  expect_rc 6
  n=$(wc -c <"$T/.lib/stdout" | tr -d ' ')
  [ "$n" -lt $((5 * 1024 * 1024)) ] || fail "cat stops before the end" "< 5 MiB on stdout" "$n bytes"
  cmp -s -n "$n" "$T/.lib/stdout" "$D/big.bin" ||
    fail "what cat printed is a byte-exact prefix of the file (no damaged byte)" "a prefix" \
      "differs at $(cmp -n "$n" "$T/.lib/stdout" "$D/big.bin" 2>&1)"
  run_mlt fsck
  expect_rc 0
  run_mlt fsck --full
  expect_rc 6
  expect_err_contains "sha256:$chunkhex"
  expect_err_contains "referenced by: run ${V:0:8} (victim) artifact 'big.bin'"
fi

# ---------------------------------------------------------------------------------------------
# Database damage

t "row: a damaged database page (a leaf of metric_points): metrics 6, runs 0; fsck 6; fsck --full 6"
if [ "$have_sqlite3" = 1 ] &&
  [ "$(sqlite3 :memory: "SELECT count(*) FROM pragma_module_list WHERE name = 'dbstat'" 2>/dev/null)" = 1 ]; then
  mkproj dbpage points
  sqlite3 .mlt/mlt.db 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
  expect_eq "WAL bytes after the checkpoint" 0 "$(stat -c %s .mlt/mlt.db-wal 2>/dev/null || echo 0)"
  psize=$(sqlite3 .mlt/mlt.db 'PRAGMA page_size')
  leaves=$(sqlite3 .mlt/mlt.db "SELECT count(*) FROM dbstat WHERE name = 'metric_points' AND pagetype = 'leaf'")
  page=$(sqlite3 .mlt/mlt.db "SELECT pageno FROM dbstat WHERE name = 'metric_points' AND pagetype = 'leaf'
                               ORDER BY path LIMIT 1 OFFSET $((leaves / 2))")
  [ "${leaves:-0}" -ge 3 ] || fail "metric_points spans several leaf pages" ">= 3" "${leaves:-none}"
  # the b-tree page header (type, first freeblock, cell count, content start): all bits flipped
  for i in 0 1 2 3 4 5 6 7; do flip_byte .mlt/mlt.db $(((page - 1) * psize + i)); done
  n=$(nobjects)
  run_mlt metrics victim loss
  expect_rc 6
  expect_err_contains "database '$T/dbpage/.mlt/mlt.db' is damaged (database disk image is malformed)"
  expect_err_not_contains "SELECT"
  run_mlt runs                       # another table: still readable
  expect_rc 0
  expect_out_contains "victim"
  run_mlt status
  expect_rc 0
  run_mlt fsck
  expect_rc 6
  expect_err_contains "is damaged"
  run_mlt fsck --full
  expect_rc 6
  expect_err_contains "is damaged"
  run_mlt gc --grace 0s
  expect_rc 6
  expect_eq "object files after the refused gc" "$n" "$(nobjects)"
else
  echo "note: sqlite3 (with dbstat) not installed; case skipped"
fi

t "row: a damaged database page: fsck --json prints its report (ok false, SQLite's words), exit 6"
if [ -d "$T/dbpage" ]; then
  cd "$T/dbpage"
  for mode in "" --full; do
    # shellcheck disable=SC2086
    run_mlt --json fsck $mode
    expect_rc 6
    expect_json '.ok' false
    expect_json '.database != "ok"' true
  done
else
  echo "note: the damaged-page project was not made; case skipped"
fi

# db_refused FRAGMENT: every command, fsck, fsck --full and init exit 6 with FRAGMENT, and none of
# them changes .mlt/mlt.db or the objects.
db_refused() {
  local before n c
  before="$( (sha256sum .mlt/mlt.db 2>/dev/null || echo none) | cut -c1-64)"
  n=$(nobjects)
  for c in "runs" "status" "metrics victim" "artifact cat victim t.txt" "data ls" "log metric --run victim x=1" \
    "run start -n new --no-git" "fsck" "fsck --full" "gc --grace 0s" "init"; do
    # shellcheck disable=SC2086
    run_mlt $c
    expect_rc 6
    expect_err_contains "$1"
    expect_out_empty
  done
  expect_eq "mlt.db after the refused commands" "$before" \
    "$( (sha256sum .mlt/mlt.db 2>/dev/null || echo none) | cut -c1-64)"
  expect_eq "object files after the refused commands" "$n" "$(nobjects)"
}

t "row: a zero-length mlt.db: every command, fsck and init exit 6 ('is empty'), nothing changed"
if [ "$have_sqlite3" = 1 ]; then
  mkproj zerodb
  sqlite3 .mlt/mlt.db 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
  rm -f .mlt/mlt.db-wal .mlt/mlt.db-shm
  : >.mlt/mlt.db
  db_refused "the project's database '$T/zerodb/.mlt/mlt.db' is empty, but '$T/zerodb/.mlt/objects' holds the project's objects"
  expect_eq "mlt.db stays zero-length" 0 "$(stat -c %s .mlt/mlt.db)"
else
  echo "note: sqlite3 not installed; case skipped"
fi

t "row: a missing mlt.db: every command, fsck and init exit 6 ('is missing'), no database made"
mkproj nodb
rm -f .mlt/mlt.db .mlt/mlt.db-wal .mlt/mlt.db-shm
db_refused "the project's database '$T/nodb/.mlt/mlt.db' is missing, and '$T/nodb/.mlt/objects' holds the project's objects"
[ -e .mlt/mlt.db ] && fail "no database is made beside the objects" "no .mlt/mlt.db" "$(ls -l .mlt/mlt.db)"

t "row: a foreign mlt.db (a text file): every command, fsck and init exit 6, the file left as it was"
mkproj foreigntext
rm -f .mlt/mlt.db .mlt/mlt.db-wal .mlt/mlt.db-shm
printf 'these are my notes, not a database\n' >.mlt/mlt.db
db_refused "'$T/foreigntext/.mlt/mlt.db' is not an mlt database (not a SQLite file)"
expect_eq "the text file" "these are my notes, not a database" "$(cat .mlt/mlt.db)"

t "row: a foreign mlt.db (another SQLite database): every command, fsck and init exit 6, left as it was"
if [ "$have_sqlite3" = 1 ]; then
  mkproj foreignsql
  rm -f .mlt/mlt.db .mlt/mlt.db-wal .mlt/mlt.db-shm
  sqlite3 .mlt/mlt.db 'CREATE TABLE notes(x TEXT); INSERT INTO notes VALUES (1)' >/dev/null
  db_refused "'$T/foreignsql/.mlt/mlt.db' is not an mlt database (a SQLite database without mlt's schema)"
  expect_eq "tables of the foreign database" "notes" "$(sqlite3 .mlt/mlt.db "SELECT group_concat(name) FROM sqlite_master")"
  expect_eq "its journal mode" "delete" "$(sqlite3 .mlt/mlt.db 'PRAGMA journal_mode')"
else
  echo "note: sqlite3 not installed; case skipped"
fi

t "row: mlt.db-wal deleted while it holds committed data: opens, consistent, the later commits gone"
# With synchronous=NORMAL a commit is in the WAL only until a checkpoint copies it into mlt.db;
# losing the WAL loses those commits (SQLite cannot know they were there). What must hold: the
# database opens, is consistent, and what was checkpointed is all there.
if [ "$have_sqlite3" = 1 ]; then
  mkproj nowal points
  must_mlt -q log metric --run victim acc=0.5 >/dev/null
  sqlite3 .mlt/mlt.db 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
  L=$(must_mlt run start -n late --no-git)
  head -c 2000 /dev/urandom >"$T/late.bin"
  must_mlt -q log artifact --run late "$T/late.bin" >/dev/null
  must_mlt -q log metric --run victim acc=0.9 >/dev/null
  wal=$(stat -c %s .mlt/mlt.db-wal 2>/dev/null || echo 0)
  [ "$wal" -gt 0 ] || fail "the WAL holds the later commits" "mlt.db-wal > 0 bytes" "$wal bytes"
  rm -f .mlt/mlt.db-wal                                     # the -shm (its stale index) stays
  run_mlt --json runs
  expect_rc 0
  expect_json '[.runs[].name]' '["victim"]'
  run_mlt run show late
  expect_rc 4
  run_mlt run show "$L"
  expect_rc 4
  run_mlt --json metrics victim acc
  expect_rc 0
  expect_json '[.metrics.acc[].value]' '[0.5]'
  run_mlt --json metrics victim loss
  expect_rc 0
  expect_json '.metrics.loss | length' 1500
  run_mlt artifact get victim r.bin -o "$T/nowal-r.bin"
  expect_rc 0
  cmp -s "$D/r.bin" "$T/nowal-r.bin" || fail "r.bin after the WAL loss" "identical" "differs"
  run_mlt fsck
  expect_rc 0
  run_mlt fsck --full
  expect_rc 0
  expect_eq "PRAGMA integrity_check" ok "$(sqlite3 -readonly .mlt/mlt.db 'PRAGMA integrity_check' 2>&1)"
  run_mlt run start -n after --no-git                        # and it takes new writes
  expect_rc 0
  run_mlt --json runs
  expect_json '[.runs[].name] | sort' '["after","victim"]'
  run_mlt --json gc --grace 0s --dry-run                     # the lost run's object is garbage now
  expect_rc 0
  expect_json '.removed >= 1' true
else
  echo "note: sqlite3 not installed; case skipped"
fi

finish
