#!/usr/bin/env bash
# Object store throughput and dedup (issue 4's targets), beside a single-threaded floor
# (bench/floor_store.cpp: read, SHA-256, zstd -1, write, one fsync) and, when installed, git-lfs,
# restic and borg on the same input:
#   1. add one incompressible file of BIG_MB (default 2048) MiB
#   2. add a directory of FILES (default 10,000) files of 100 KiB; add it again unchanged
#   3. change 1 MiB in the middle of a MID_MB (default 1024) MiB file and add it again
#   4. append 1% to a CSV of MID_MB MiB and add it again
# Every mlt add is durable (syncfs before the commit). Usage: bench/artifacts.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mlt=${MLT_BIN:-$here/../build/mlt}
floor=${FLOOR_BIN:-$here/../build/bench/bench_floor_store}
big_mb=${BIG_MB:-2048} files=${FILES:-10000} mid_mb=${MID_MB:-1024}
if [ "${BENCH_SMOKE:-0}" = 1 ]; then big_mb=8 files=50 mid_mb=8; fi
work=$(mktemp -d "${BENCH_DIR:-/tmp}/mlt-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
unset MLT_DIR MLT_RUN_ID MLT_NOW_MS MLT_EXPERIMENT
cd "$work"

now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
rate() { awk -v mb="$1" -v s="$2" 'BEGIN { printf "%.0f", mb / s }'; }
store_bytes() { du -sb "$1/.mlt/objects" | cut -f1; }
mlt_add() {  # project, source [--as DEST]; prints seconds; peak RSS (KiB) in $work/rss
  local p=$1; shift
  local t0 t1
  t0=$(now)
  /usr/bin/time -f %M -o "$work/rss" "$mlt" -q -C "$p" log artifact --run bench "$@" >/dev/null
  t1=$(now)
  secs "$t0" "$t1"
}
new_project() { mkdir -p "$1" && "$mlt" -q -C "$1" init . && "$mlt" -C "$1" run start --no-git -n bench >/dev/null; }

echo "== 1. one incompressible file of $big_mb MiB"
head -c $((big_mb << 20)) /dev/urandom >big.bin
sync
cat big.bin >/dev/null  # page cache warm for everyone
mkdir floor-out; read -r _ floor_s < <("$floor" floor-out big.bin); rm -rf floor-out
new_project p1
s=$(mlt_add p1 "$work/big.bin"); rss1=$(cat rss)
echo "  floor (1 thread: read, sha256, zstd -1, write): $(rate "$big_mb" "$floor_s") MB/s"
echo "  mlt log artifact:                               $(rate "$big_mb" "$s") MB/s  (${s} s, peak RSS $((rss1 / 1024)) MB)"
digest=$("$mlt" -C p1 --json artifact ls bench big.bin | jq -r '.entries[0].digest')
[ "$digest" = "sha256:$(sha256sum big.bin | cut -d' ' -f1)" ] || { echo "bench: digest mismatch" >&2; exit 1; }
if command -v restic >/dev/null; then
  export RESTIC_PASSWORD=bench
  restic init -q -r restic-repo >/dev/null
  t0=$(now); restic backup -q -r restic-repo big.bin >/dev/null; t1=$(now)
  echo "  restic backup:                                  $(rate "$big_mb" "$(secs "$t0" "$t1")") MB/s"
else echo "  restic: not installed (apt-get install restic)"; fi
if command -v borg >/dev/null; then
  export BORG_PASSPHRASE="" BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes
  borg init -e none borg-repo >/dev/null 2>&1
  t0=$(now); borg create borg-repo::a big.bin >/dev/null 2>&1; t1=$(now)
  echo "  borg create:                                    $(rate "$big_mb" "$(secs "$t0" "$t1")") MB/s"
else echo "  borg: not installed (apt-get install borgbackup)"; fi
if command -v git-lfs >/dev/null; then
  mkdir lfs && (cd lfs && git init -q && git lfs install --local >/dev/null && git lfs track '*.bin' >/dev/null && cp ../big.bin . &&
    t0=$(now) && git add big.bin && t1=$(now) && echo "  git lfs (git add):                              $(rate "$big_mb" "$(secs "$t0" "$t1")") MB/s")
  rm -rf lfs
else echo "  git-lfs: not installed (apt-get install git-lfs)"; fi
rm -rf restic-repo borg-repo

echo "== 2. $files files of 100 KiB"
mkdir small
awk -v n="$files" 'BEGIN { srand(7); for (i = 0; i < n; i++) print i }' | while read -r i; do
  head -c 102400 /dev/urandom >"small/f$i.bin"
done
find small -type f -exec touch -d '1 minute ago' {} +
small_mb=$((files * 100 / 1024))
mkdir floor-out; read -r _ floor_small < <("$floor" floor-out small/*); rm -rf floor-out
new_project p2
s=$(mlt_add p2 "$work/small"); rss2=$(cat rss)
s2=$(mlt_add p2 "$work/small")
echo "  floor (1 thread: read, sha256, zstd -1, write; one syncfs): $(rate "$small_mb" "$floor_small") MB/s"
echo "  mlt log artifact:   $(rate "$small_mb" "$s") MB/s  (${s} s, peak RSS $((rss2 / 1024)) MB)"
echo "  re-add unchanged:   ${s2} s = $(awk -v a="$s2" -v b="$s" 'BEGIN { printf "%.1f", 100 * a / b }')% of the first add (target < 5%)"

echo "== 3. 1 MiB changed in the middle of a $mid_mb MiB file"
head -c $((mid_mb << 20)) /dev/urandom >mid.bin
new_project p3
mlt_add p3 "$work/mid.bin" >/dev/null; rss3=$(cat rss)
before=$(store_bytes p3)
dd if=/dev/urandom of=mid.bin bs=1M count=1 seek=$((mid_mb / 2)) conv=notrunc status=none
mlt_add p3 "$work/mid.bin" --as mid-v2.bin >/dev/null
after=$(store_bytes p3)
echo "  store grew by $(awk -v b=$((after - before)) 'BEGIN { printf "%.1f", b / 1048576 }') MiB (target < 8 MiB; whole-file storage: $mid_mb MiB); peak RSS $((rss3 / 1024)) MB"

echo "== 4. 1% appended to a $mid_mb MiB CSV"
awk -v target=$((mid_mb << 20)) 'BEGIN { srand(3); while (n < target) { l = sprintf("%d,%.6f,%.6f,%s\n", i++, rand(), rand(), (rand() < .5 ? "a" : "b")); printf "%s", l; n += length(l) } }' >data.csv
new_project p4
mlt_add p4 "$work/data.csv" >/dev/null
before=$(store_bytes p4)
awk -v target=$((mid_mb << 20)) 'BEGIN { srand(4); while (n < target / 100) { l = sprintf("%d,%.6f,%.6f,c\n", 1e9 + i++, rand(), rand()); printf "%s", l; n += length(l) } }' >>data.csv
mlt_add p4 "$work/data.csv" --as data-v2.csv >/dev/null
after=$(store_bytes p4)
echo "  store grew by $(awk -v b=$((after - before)) -v t=$((mid_mb << 20)) 'BEGIN { printf "%.2f%%", 100 * b / t }') of the file (target < 3%; whole-file storage: 101%)"
"$mlt" -C p4 fsck >/dev/null
