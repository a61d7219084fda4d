# t_diskfull.sh: a full or read-only .mlt/ (issue 16, item 4). Exit 7 is "storage full or not
# writable" (ENOSPC, EDQUOT, SQLITE_FULL; EROFS, write permission denied, SQLITE_READONLY), with
# a message naming the cause ("no space left on [the] device" / "read-only"; for a refused
# permission, "permission denied" too).
#
# Disk full: a project inside an 8 MiB tmpfs, filled by `mlt log artifact` of incompressible files
# and by `mlt log stream` of many points, with a filler file taking the rest: the failing command
# exits 7 naming the cause, reading commands still work, nothing is corrupted (PRAGMA
# integrity_check, mlt fsck --full), and once the filler is removed everything works again.
# Read-only: a project whose files the user may not write (as root: mlt runs as nobody through
# setpriv; otherwise chmod a-w), and one on a read-only bind mount: reading commands work, writing
# commands exit 7 saying read-only, and nothing changes.
#
# The cases that need root and mount print "SKIP: ..." and are not counted when they cannot run.
# Every mount this suite makes is unmounted at exit, failed or not.
# shellcheck disable=SC2164  # every cd goes into a directory this suite just created
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

have_sqlite3=0
command -v sqlite3 >/dev/null 2>&1 && have_sqlite3=1
is_root=0
[ "$(id -u)" = 0 ] && is_root=1

# ---------------------------------------------------------------------------------------------
# Mounts, always undone

DK_MOUNTS=()
dk_cleanup() {
  local i m
  cd / 2>/dev/null
  for ((i = ${#DK_MOUNTS[@]} - 1; i >= 0; i--)); do
    m="${DK_MOUNTS[$i]}"
    if mountpoint -q "$m" 2>/dev/null; then
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || echo "t_diskfull: cannot unmount '$m'" >&2
    fi
  done
  [ -d "$T" ] && chmod -R u+w "$T" 2>/dev/null
  return 0
}
# shellcheck disable=SC2154  # dk_status: set by the trap itself
trap 'dk_status=$?; dk_cleanup; (exit "$dk_status"); lib_on_exit' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# skip WHY: this case cannot run here: say so where it shows, and do not count it.
skip() {
  printf 'SKIP: %s: %s\n' "$lib_test" "$1"
  lib_test=""
}

# ---------------------------------------------------------------------------------------------
# Helpers

# expect_err_imatch ERE: stderr matches ERE, letter case aside (ERE in lower case).
expect_err_imatch() {
  local e="${err,,}"
  [[ "$e" =~ $1 ]] || fail "stderr matches /$1/ (any case)" "a match" "(no match)"
}

# integrity: PRAGMA integrity_check of the working directory's database, opened read-only.
integrity() {
  if [ "$have_sqlite3" = 1 ]; then
    sqlite3 -readonly .mlt/mlt.db 'PRAGMA integrity_check' 2>&1
  else
    echo ok
  fi
}

# avail DIR: the bytes free in the file system of DIR.
avail() { df -B1 --output=avail "$1" | tail -n 1 | tr -d ' '; }

# fill_to DIR FREE FILE: write FILE (zeros) so that about FREE bytes stay free in DIR's file system;
# FREE 0 fills it to the last block (the write's ENOSPC is expected).
fill_to() {
  local a
  a=$(avail "$1")
  if [ "$2" = 0 ]; then
    dd if=/dev/zero of="$3" bs=4096 2>/dev/null
    dd if=/dev/zero of="$3.tail" bs=512 2>/dev/null
  elif [ "$a" -gt "$2" ]; then
    head -c $((a - $2)) /dev/zero >"$3"
  fi
  return 0
}

# data
D="$T/data"
mkdir -p "$D"
head -c $((3 * 1024 * 1024)) /dev/urandom >"$D/big3.bin"    # chunked: several objects
head -c $((900 * 1024)) /dev/urandom >"$D/blob900.bin"       # one blob
head -c $((200 * 1024)) /dev/urandom >"$D/early.bin"
head -c 3000 /dev/urandom >"$D/r.bin"
head -c 3000 /dev/urandom >"$D/g1.bin"
head -c 3000 /dev/urandom >"$D/g2.bin"
for i in $(seq 30000); do printf 'loss=0.%s step=%s\n' "$i" "$i"; done >"$T/points.txt"
printf 'acc=0.1\nacc=0.2\n' >"$T/few.txt"

# ---------------------------------------------------------------------------------------------
# Disk full

M="$T/mnt"
mounted=0
mount_why=""
if [ "$is_root" != 1 ]; then
  mount_why="not root (a tmpfs needs mount)"
elif ! command -v mount >/dev/null 2>&1 || ! command -v mountpoint >/dev/null 2>&1; then
  mount_why="mount/mountpoint not installed"
else
  mkdir -p "$M"
  if mount -t tmpfs -o size=8m,mode=0755 mlt-test-tmpfs "$M" 2>"$T/.lib/mount_err"; then
    DK_MOUNTS+=("$M")
    mounted=1
  else
    mount_why="mount -t tmpfs failed: $(cat "$T/.lib/mount_err")"
  fi
fi

t "disk full: log artifact of a large incompressible file exits 7 naming the cause; nothing corrupted"
if [ "$mounted" = 1 ]; then
  mkdir -p "$M/p"
  cd "$M/p"
  must_mlt -q init >/dev/null
  A=$(must_mlt run start -n early --no-git)
  must_mlt -q log artifact --run early "$D/early.bin" >/dev/null
  for v in 0.1 0.2 0.3; do must_mlt -q log metric --run early acc=$v >/dev/null; done
  fill_to "$M" $((1024 * 1024)) "$M/filler"
  for f in big3.bin blob900.bin; do
    [ "$f" = blob900.bin ] && fill_to "$M" $((256 * 1024)) "$M/filler2"
    run_mlt log artifact --run early "$D/$f"
    expect_rc 7
    expect_err_imatch "no space left on (the )?device"
    expect_eq "temporary files left in .mlt/tmp" "" "$(ls -A .mlt/tmp)"
    run_mlt --json artifact ls early
    expect_rc 0
    expect_json '[.entries[].path]' '["early.bin"]'
  done
  expect_eq "PRAGMA integrity_check while full" ok "$(integrity)"
  run_mlt fsck --full
  expect_rc 0
else
  skip "$mount_why"
fi

t "disk full: log stream, log metric and run start exit 7 naming the cause; reads still work"
if [ "$mounted" = 1 ]; then
  cd "$M/p"
  fill_to "$M" 0 "$M/filler3"
  run_mlt_stdin "$T/points.txt" log stream --run early
  expect_rc 7
  expect_err_imatch "no space left on (the )?device"
  run_mlt log metric --run early acc=0.4
  expect_rc 7
  expect_err_imatch "no space left on (the )?device"
  run_mlt run start -n late --no-git
  expect_rc 7
  expect_err_imatch "no space left on (the )?device"
  expect_out_empty
  run_mlt --json runs
  expect_rc 0
  expect_json '[.runs[].name]' '["early"]'
  run_mlt --json metrics early acc
  expect_rc 0
  expect_json '[.metrics.acc[].value]' '[0.1,0.2,0.3]'
  run_mlt artifact cat early early.bin
  expect_rc 0
  cmp -s "$T/.lib/stdout" "$D/early.bin" || fail "artifact cat while full" "the file" "differs"
  run_mlt status
  expect_rc 0
  run_mlt fsck
  expect_rc 0
  expect_eq "PRAGMA integrity_check while full" ok "$(integrity)"
else
  skip "$mount_why"
fi

t "disk full, then space freed: log artifact and log stream work, runs shows the earlier data"
if [ "$mounted" = 1 ]; then
  cd "$M/p"
  rm -f "$M"/filler*
  expect_eq "PRAGMA integrity_check" ok "$(integrity)"
  run_mlt fsck --full
  expect_rc 0
  run_mlt log artifact --run early "$D/big3.bin"
  expect_rc 0
  run_mlt artifact get early big3.bin -o "$T/big3.out"
  expect_rc 0
  cmp -s "$D/big3.bin" "$T/big3.out" || fail "big3.bin after freeing space" "identical" "differs"
  rm -f "$T/big3.out"
  run_mlt_stdin "$T/few.txt" log stream --run early
  expect_rc 0
  run_mlt --json runs
  expect_rc 0
  expect_json '[.runs[].id]' "[\"$A\"]"
  run_mlt --json metrics early acc
  expect_json '[.metrics.acc[].value][0:3]' '[0.1,0.2,0.3]'
  run_mlt run start -n late --no-git
  expect_rc 0
  run_mlt --json gc --grace 0s          # the chunks the failed adds left behind
  expect_rc 0
  run_mlt fsck --full
  expect_rc 0
  expect_eq "PRAGMA integrity_check" ok "$(integrity)"
else
  skip "$mount_why"
fi

t "disk full and no -wal/-shm (as after restoring mlt.db): reads work or exit 7, never a bare I/O error"
if [ "$mounted" = 1 ] && [ "$have_sqlite3" = 1 ]; then
  cd "$M/p"
  sqlite3 .mlt/mlt.db 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null   # its close removes both
  [ -e .mlt/mlt.db-shm ] && fail "setup: no .mlt/mlt.db-shm" "absent" "present"
  fill_to "$M" 0 "$M/filler"
  for c in "runs" "status"; do
    run_mlt $c
    [ "$rc" = 0 ] || { expect_rc 7; expect_err_imatch "no space left on (the )?device"; }
  done
  run_mlt log metric --run early acc=0.5
  expect_rc 7
  expect_err_imatch "no space left on (the )?device"
  rm -f "$M"/filler*
  run_mlt --json runs
  expect_rc 0
  expect_json '[.runs[].name] | sort' '["early","late"]'
  expect_eq "PRAGMA integrity_check" ok "$(integrity)"
elif [ "$mounted" = 1 ]; then
  skip "sqlite3 not installed"
else
  skip "$mount_why"
fi

if [ "$mounted" = 1 ]; then
  cd /
  umount "$M" 2>/dev/null || umount -l "$M"
fi

# ---------------------------------------------------------------------------------------------
# Read-only

# rproj NAME: a project in $T/NAME with a run 'a' (r.bin, a metric), a data version, a model in
# the registry and an unreferenced object (g1.bin, replaced by g2.bin) for gc to remove.
rproj() {
  new_project "$1"
  must_mlt run start -n a --no-git >/dev/null
  must_mlt -q log artifact --run a "$D/r.bin" >/dev/null
  must_mlt -q log artifact --run a "$D/g1.bin" --as g.bin >/dev/null
  must_mlt -q log artifact --run a "$D/g2.bin" --as g.bin >/dev/null
  must_mlt -q log metric --run a acc=0.9 >/dev/null
  mkdir -p ds
  cp "$D/r.bin" ds/
  must_mlt -q data add ds -n ds >/dev/null
  printf 'weights\n' >w.bin
  uri=$(must_mlt model save w.bin --flavor generic --run a --python 3.11.2)
  must_mlt -q registry register "$uri" m >/dev/null
  lib_fold_subshell_failures
}

# As root, the permission bits do not stop the caller: mlt runs as nobody, against files owned
# by root that others may not write. Otherwise the caller's own write bits are taken away.
AS=()
if [ "$is_root" = 1 ]; then
  if command -v setpriv >/dev/null 2>&1; then
    AS=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  fi
  chmod 755 "$T" "$HOME"      # nobody may look, not write
fi

# run_ro ARG...: run mlt as the user who may not write the project (as run_mlt), stdin from
# $RO_IN (default /dev/null).
run_ro() {
  local in="${RO_IN:-/dev/null}"
  last_cmd="${AS[*]:+${AS[*]} }mlt $(printf '%q ' "$@")"
  last_cmd="${last_cmd% }"
  [ "$in" = /dev/null ] || last_cmd="$last_cmd < $in"
  # shellcheck disable=SC2086
  $LIB_TIMEOUT "${AS[@]}" "$MLT_BIN" "$@" <"$in" >"$T/.lib/stdout" 2>"$T/.lib/stderr" 3>&-
  rc=$?
  out="$(cat "$T/.lib/stdout")"
  err="$(cat "$T/.lib/stderr")"
}

# ro_checks RUNNER FRAGMENT_ERE: reading commands exit 0; writing commands exit 7 with a message
# matching FRAGMENT_ERE; the object store and the database are left as they were.
ro_checks() {
  local runner="$1" frag="$2" n before c
  n=$(nobjects)
  before="$(cat .mlt/mlt.db .mlt/mlt.db-wal 2>/dev/null | sha256sum | cut -c1-64)"
  for c in "runs" "metrics a" "status" "fsck" "fsck --full" "registry ls" "model ls" "data ls" "artifact ls a"; do
    # shellcheck disable=SC2086
    "$runner" $c
    expect_rc 0
  done
  "$runner" --json runs
  expect_json '[.runs[].name]' '["a"]'
  "$runner" artifact cat a r.bin
  expect_rc 0
  cmp -s "$T/.lib/stdout" "$D/r.bin" || fail "artifact cat of a read-only project" "r.bin" "differs"
  for c in "run start -n b --no-git" "log metric --run a x=1" "log artifact --run a $D/r.bin --as copy.bin" \
    "gc --grace 0s"; do
    # shellcheck disable=SC2086
    "$runner" $c
    expect_rc 7
    expect_err_imatch "$frag"
  done
  RO_IN="$T/few.txt" "$runner" log stream --run a
  expect_rc 7
  expect_err_imatch "$frag"
  "$runner" log tag --run a k=v
  expect_rc 7
  expect_err_imatch "$frag"
  expect_eq "object files (gc removed nothing)" "$n" "$(nobjects)"
  expect_eq "database and WAL unchanged" "$before" "$(cat .mlt/mlt.db .mlt/mlt.db-wal 2>/dev/null | sha256sum | cut -c1-64)"
}

# run_plain ARG...: as run_ro, as the caller (on the read-only mount, where nobody can write).
run_plain() {
  local AS=()
  run_ro "$@"
}

t "read-only by permissions: reads work; run start, log metric/artifact/stream/tag, gc exit 7 saying so"
if [ "$is_root" = 1 ] && [ "${#AS[@]}" = 0 ]; then
  skip "running as root without setpriv: cannot drop the permission bypass"
else
  rproj rop
  [ "$is_root" = 1 ] || chmod -R a-w .mlt
  ro_checks run_ro "read-only|permission denied"
  [ "$is_root" = 1 ] || chmod -R u+w .mlt
fi

t "read-only by permissions, no -wal/-shm (as after restoring mlt.db): reads still work, writes exit 7"
if [ "$is_root" = 1 ] && [ "${#AS[@]}" = 0 ]; then
  skip "running as root without setpriv: cannot drop the permission bypass"
elif [ "$have_sqlite3" = 0 ]; then
  skip "sqlite3 not installed"
else
  rproj ropc
  sqlite3 .mlt/mlt.db 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
  [ -e .mlt/mlt.db-shm ] && fail "setup: no .mlt/mlt.db-shm" "absent" "present"
  [ "$is_root" = 1 ] || chmod -R a-w .mlt
  ro_checks run_ro "read-only|permission denied"
  [ "$is_root" = 1 ] || chmod -R u+w .mlt
fi

# a read-only bind mount of the project folder of PROJECT at $T/NAME
ro_bind() {
  mkdir -p "$T/$2"
  if mount --bind "$T/$1" "$T/$2" 2>"$T/.lib/mount_err"; then
    DK_MOUNTS+=("$T/$2")
    mount -o remount,bind,ro "$T/$2" 2>>"$T/.lib/mount_err" && return 0
  fi
  return 1
}

t "read-only mount: reads work; run start, log metric/artifact/stream/tag, gc exit 7 saying read-only"
if [ "$is_root" != 1 ]; then
  skip "not root (a bind mount needs mount)"
else
  rproj robsrc
  if ro_bind robsrc rob; then
    cd "$T/rob"
    ro_checks run_plain "read-only"
    cd /
    umount "$T/rob"
  else
    skip "read-only bind mount failed: $(cat "$T/.lib/mount_err")"
  fi
fi

t "read-only mount, no -wal/-shm (as after restoring mlt.db): reads still work, writes exit 7"
if [ "$is_root" != 1 ]; then
  skip "not root (a bind mount needs mount)"
elif [ "$have_sqlite3" = 0 ]; then
  skip "sqlite3 not installed"
else
  rproj robcsrc
  sqlite3 .mlt/mlt.db 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
  [ -e .mlt/mlt.db-shm ] && fail "setup: no .mlt/mlt.db-shm" "absent" "present"
  if ro_bind robcsrc robc; then
    cd "$T/robc"
    ro_checks run_plain "read-only"
    cd /
    umount "$T/robc"
  else
    skip "read-only bind mount failed: $(cat "$T/.lib/mount_err")"
  fi
fi

finish
