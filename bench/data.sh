#!/usr/bin/env bash
# Data versioning (issue 8's targets), beside git-lfs on the same data, a DVC-style whole-file
# cache (arithmetic: every version is one more full copy), git status and a stat-only floor:
#   1. version a CSV of SIZE_MB (default 1024) MiB, append 1% rows, version it again:
#      store growth (target < 3% of the file)
#   2. mlt data status on an unchanged directory of FILES (default 10,000) files of FILE_KB
#      (default 10) KiB in 100 folders: median of RUNS (default 15) (target < 100 ms)
#   3. mlt data checkout of the CSV (compressible) and of SIZE_MB MiB of random bytes (stored raw)
#      into a new directory, then sync, beside cp then sync (target: at least half cp's rate).
#      Caches are dropped before each timed copy when /proc/sys/vm/drop_caches is writable (root);
#      otherwise (or with DROP_CACHES=0, or in smoke mode) the figures are warm-cache, and say so.
# Every mlt data add is durable (syncfs before the commit); checkout is timed with and without the
# sync that makes it durable. Not a test: figures and verdicts are printed, the exit code is 0.
# Usage: bench/data.sh   (env SIZE_MB, FILES, FILE_KB, RUNS, COPIES, DROP_CACHES, MLT_BIN, BENCH_DIR)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mlt=${MLT_BIN:-$here/../build/mlt}
size_mb=${SIZE_MB:-1024} files=${FILES:-10000} file_kb=${FILE_KB:-10} runs=${RUNS:-15} copies=${COPIES:-3}
if [ "${BENCH_SMOKE:-0}" = 1 ]; then size_mb=4 files=50 file_kb=1 runs=3 copies=1; fi
mlt=$(cd "$(dirname "$mlt")" && pwd)/$(basename "$mlt")
work=$(mktemp -d "${BENCH_DIR:-/tmp}/mlt-bench-data.XXXXXX")
trap 'rm -rf "$work"' EXIT
unset MLT_DIR MLT_RUN_ID MLT_NOW_MS MLT_EXPERIMENT
export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost \
  GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@localhost
cd "$work"

now() { date +%s%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e6 }'; }
mbps() { awk -v bytes="$1" -v ns="$2" 'BEGIN { printf "%.0f", bytes / 1e6 / (ns / 1e9) }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", 100 * a / b }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m }'; }
verdict() { awk -v ok="$1" 'BEGIN { print ok ? "PASS" : "FAIL" }'; }
stored() { "$mlt" --json du | jq .stored_bytes; }
dir_bytes() { du -sb "$1" | cut -f1; }
# gen_csv BYTES SEED FIRST_ID: rows of an event table (id, unix time, user, city, tier, two
# features, amount, label) until BYTES; the same arguments give the same bytes (mawk or gawk).
gen_csv() {
  awk -v target="$1" -v seed="$2" -v id="$3" 'BEGIN {
    srand(seed); split("NYC,SFO,LAX,AUS,SEA,CHI,BOS,DEN", city, ","); split("bronze,silver,gold,platinum", tier, ",")
    if (id == 0) { l = "id,ts,user,city,tier,f1,f2,amount,label\n"; printf "%s", l; n = length(l) }
    while (n < target) {
      l = sprintf("%d,%d,u%06d,%s,%s,%.4f,%.4f,%.2f,%d\n", id, 1704067200 + 3 * id + int(rand() * 3),
                  int(rand() * 1000000), city[1 + int(rand() * 8)], tier[1 + int(rand() * 4)],
                  rand() * 2 - 1, rand() * 10, rand() * 1000, rand() < .3)
      printf "%s", l; n += length(l); id++
    }
  }'
}
if [ "${BENCH_SMOKE:-0}" != 1 ] && [ "${DROP_CACHES:-1}" = 1 ] && (sync && echo 3 >/proc/sys/vm/drop_caches) 2>/dev/null; then
  cold=1; cache_note="caches dropped before each timed copy"
  drop() { sync; echo 3 >/proc/sys/vm/drop_caches; }
else
  cold=0; cache_note="WARM CACHE: /proc/sys/vm/drop_caches not writable (needs root), or DROP_CACHES=0, or smoke mode"
  drop() { sync; }
fi
echo "mlt: $mlt ($("$mlt" --version 2>/dev/null | head -1)); work dir: $work; load average: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------------------------------------
echo "== 1. a $size_mb MiB CSV, then 1% rows appended"
mkdir -p p/data && cd p && "$mlt" -q init . && cd "$work"
gen_csv $((size_mb << 20)) 3 0 >p/data/train.csv
v1_bytes=$(stat -c %s p/data/train.csv) v1_rows=$(($(wc -l <p/data/train.csv) - 1))
sync
cd p
t0=$(now); /usr/bin/time -f %M -o "$work/rss" "$mlt" -q --json data add data/train.csv -n train --no-git-tag >"$work/add1.json"; t1=$(now)
add1_ns=$((t1 - t0)) rss1=$(cat "$work/rss")
s1=$(stored) o1=$(dir_bytes .mlt/objects)
cd "$work"
gen_csv $((v1_bytes / 100)) 4 "$v1_rows" >append.csv
app_bytes=$(stat -c %s append.csv) app_rows=$(wc -l <append.csv)
if command -v git-lfs >/dev/null; then  # git-lfs sees version 1 before the append
  mkdir lfs && cd lfs && git -c init.defaultBranch=main init -q && git config gc.auto 0 && git lfs install --local >/dev/null && git lfs track '*.csv' >/dev/null
  git add .gitattributes && git commit -qm attributes
  cp "$work/p/data/train.csv" train.csv
  t0=$(now); git add train.csv && git commit -qm v1; t1=$(now); lfs1_ns=$((t1 - t0))
  l1=$(dir_bytes .git/lfs/objects)
  cd "$work"
fi
cat append.csv >>p/data/train.csv
v2_bytes=$(stat -c %s p/data/train.csv)
cd p
t0=$(now); "$mlt" -q --json data add data/train.csv -n train --no-git-tag -m "+1% rows" >"$work/add2.json"; t1=$(now)
add2_ns=$((t1 - t0))
s2=$(stored) o2=$(dir_bytes .mlt/objects)
# exit 1 means "the versions differ", as diff(1) says it
diff_rows=$({ "$mlt" --json data diff train@v1 train@v2 || [ $? -eq 1 ]; } | jq -r '.changes[0] | "\(.rows_added) \(.rows_removed)"')
cd "$work"
[ "$diff_rows" = "$app_rows 0" ] || { echo "bench: mlt data diff says rows +/- '$diff_rows', expected '$app_rows 0'" >&2; exit 1; }
growth=$((s2 - s1)) ogrowth=$((o2 - o1))
growth_pct=$(pct "$growth" "$v1_bytes")
echo "  version 1: $(mib "$v1_bytes") MiB, $v1_rows rows; added in $(ms 0 "$add1_ns") ms ($(mbps "$v1_bytes" "$add1_ns") MB/s, peak RSS $((rss1 / 1024)) MB); store $(mib "$s1") MiB"
echo "  version 2: +$app_rows rows (+$(mib "$app_bytes") MiB, $(pct "$app_bytes" "$v1_bytes")%); added in $(ms 0 "$add2_ns") ms ($(mbps "$v2_bytes" "$add2_ns") MB/s); mlt data diff: rows +${diff_rows% *} -${diff_rows#* }"
echo "  mlt store grew by $(mib "$growth") MiB = ${growth_pct}% of the file (target < 3%), $(pct "$growth" "$s1")% of the store after version 1;" \
  "on disk (du -sb .mlt/objects) +$(mib "$ogrowth") MiB = $(pct "$ogrowth" "$v1_bytes")%; new_bytes reported by add: $(jq .new_bytes "$work/add2.json")"
if [ -d lfs ]; then
  cd lfs
  cp "$work/p/data/train.csv" train.csv
  t0=$(now); git add train.csv && git commit -qm v2; t1=$(now); lfs2_ns=$((t1 - t0))
  l2=$(dir_bytes .git/lfs/objects)
  cd "$work" && rm -rf lfs
  lfs_pct=$(pct $((l2 - l1)) "$v1_bytes")
  echo "  git lfs (add+commit of each version): .git/lfs/objects $(mib "$l1") MiB, then +$(mib $((l2 - l1))) MiB = ${lfs_pct}% of the file" \
    "(add+commit $(ms 0 "$lfs1_ns") ms, $(ms 0 "$lfs2_ns") ms)"
else
  lfs_pct=; echo "  git-lfs: not installed (apt-get install git-lfs)"
fi
dvc_pct=$(pct "$v2_bytes" "$v1_bytes")
echo "  DVC-style whole-file cache (arithmetic): +$(mib "$v2_bytes") MiB = ${dvc_pct}% of the file"
ok1=$(awk -v g="$growth_pct" 'BEGIN { print (g < 3) }')

# ---------------------------------------------------------------------------------------------
dirs=$((files >= 100 ? 100 : 1)) per=$((files / (files >= 100 ? 100 : 1)))
files=$((dirs * per))
echo "== 2. mlt data status on an unchanged directory of $files files of $file_kb KiB in $dirs folder$([ "$dirs" = 1 ] || echo s)"
mkdir -p p2 && cd p2 && "$mlt" -q init .
for ((d = 0; d < dirs; d++)); do
  dir=$(printf 'images/class%02d' "$d"); mkdir -p "$dir"
  head -c $((per * file_kb * 1024)) /dev/urandom | split -b $((file_kb * 1024)) -a 4 -d --additional-suffix=.bin - "$dir/img"
done
# Written well before the add, as data usually is: a file modified in the same clock tick as the
# add cannot be trusted from its stat data alone and would be re-hashed (racily clean).
find images -type f -exec touch -d '1 minute ago' {} +
t0=$(now); "$mlt" -q data add images --no-git-tag >/dev/null; t1=$(now)
echo "  first add: $(ms "$t0" "$t1") ms"
clean=$("$mlt" --json data status | jq -r '[.datasets[].clean] | all')
[ "$clean" = true ] || { echo "bench: mlt data status says the unchanged directory changed" >&2; "$mlt" data status >&2; exit 1; }
git -c init.defaultBranch=main init -q && git config gc.auto 0 && echo .mlt/ >>.git/info/exclude && git add images && git commit -qm images && git status --porcelain >/dev/null
status_ms() {  # "WALL CPU": median wall ms and mean CPU ms (user + sys) of $runs runs of "$@", after a warm-up run
  if command -v hyperfine >/dev/null; then
    hyperfine -N --style none --warmup 1 --runs "$runs" --export-json "$work/hf.json" -- "$(printf '%q ' "$@")" \
      >/dev/null 2>"$work/hf.err" || { cat "$work/hf.err" >&2; return 1; }
    jq -r '.results[0] | "\(.median * 1000) \((.user + .system) * 1000)"' "$work/hf.json" | awk '{ printf "%.1f %.1f\n", $1, $2 }'
  else
    "$@" >/dev/null
    local cpu
    cpu=$( (for ((i = 0; i < runs; i++)); do "$@" >/dev/null; done; times) | tail -1 |
      awk -v n="$runs" '{ gsub(/[ms]/, " "); print ($1 * 60 + $2 + $3 * 60 + $4) * 1000 / n }')
    for ((i = 0; i < runs; i++)); do
      local a b; a=$(now); "$@" >/dev/null; b=$(now); ms "$a" "$b"; echo
    done | median | awk -v cpu="$cpu" '{ printf "%.1f %.1f\n", $1, cpu }'
  fi
}
read -r st_ms st_cpu < <(status_ms "$mlt" data status)
read -r st1_ms st1_cpu < <(status_ms "$mlt" data status images)
read -r git_ms git_cpu < <(status_ms git status --porcelain)
read -r find_ms find_cpu < <(status_ms find images -type f -printf %s,%T@,%i,)
read -r ver_ms ver_cpu < <(status_ms "$mlt" --version)
cd "$work"
echo "  (wall ms median of $runs, and CPU ms user+sys mean; wall well above CPU means waiting, for a CPU or the disk: load $(cut -d' ' -f1 /proc/loadavg) on $(nproc) CPUs)"
echo "  mlt data status:          $st_ms ms wall, $st_cpu ms CPU (target < 100 ms); 'mlt data status images': $st1_ms ms, $st1_cpu ms CPU"
echo "  git status --porcelain:   $git_ms ms wall, $git_cpu ms CPU (peer: git's index holds the same stat data)"
echo "  find -printf size,mtime:  $find_ms ms wall, $find_cpu ms CPU (floor: one stat per file); mlt --version: $ver_ms ms wall, $ver_cpu ms CPU (start-up)"
ok2=$(awk -v t="$st_ms" 'BEGIN { print (t < 100) }')
rm -rf p2

# ---------------------------------------------------------------------------------------------
echo "== 3. mlt data checkout into a new directory, beside cp, each followed by sync ($cache_note)"
head -c $((size_mb << 20)) /dev/urandom >p/data/blob.bin
(cd p && "$mlt" -q data add data/blob.bin -n blob --no-git-tag >/dev/null)
co_summary=
checkout_vs_cp() {  # REF SOURCE LABEL SHORT
  local ref=$1 src=$2 label=$3 short=$4 bytes cps=() cos=() cosyncs=() cpus=() i a b c
  bytes=$(stat -c %s "$src")
  for ((i = 0; i < copies; i++)); do
    rm -rf out; drop
    a=$(now); mkdir out && cp --reflink=never "$src" out/x && sync; b=$(now); cps+=($((b - a)))
    rm -rf out; drop
    a=$(now); (cd p && /usr/bin/time -f '%U %S' -o "$work/cpu" "$mlt" -q data checkout "$ref" -o "$work/out/x" >/dev/null); b=$(now); sync; c=$(now)
    cos+=($((b - a))) cosyncs+=($((c - a))) cpus+=("$(awk '{ print $1 + $2 }' "$work/cpu")")
    if [ "$i" = 0 ]; then cmp -s "$src" out/x || { echo "bench: checkout of $ref differs from $src" >&2; exit 1; }; fi
  done
  rm -rf out
  local cp_ns co_ns cosync_ns
  cp_ns=$(printf '%s\n' "${cps[@]}" | median) co_ns=$(printf '%s\n' "${cos[@]}" | median) cosync_ns=$(printf '%s\n' "${cosyncs[@]}" | median)
  local r_cp r_co r_cosync ratio
  r_cp=$(mbps "$bytes" "$cp_ns") r_co=$(mbps "$bytes" "$co_ns") r_cosync=$(mbps "$bytes" "$cosync_ns")
  ratio=$(awk -v a="$r_cosync" -v b="$r_cp" 'BEGIN { printf "%.2f", a / b }')
  echo "  $label ($(mib "$bytes") MiB, median of $copies):"
  echo "    cp + sync:                 $r_cp MB/s ($(ms 0 "$cp_ns") ms)"
  echo "    mlt data checkout + sync:  $r_cosync MB/s ($(ms 0 "$cosync_ns") ms) = ${ratio}x cp (target >= 0.5x) $(verdict "$(awk -v r="$ratio" 'BEGIN { print (r >= 0.5) }')")"
  echo "    mlt data checkout alone:   $r_co MB/s ($(ms 0 "$co_ns") ms; data may still be in the page cache); CPU (user+sys) $(printf '%s\n' "${cpus[@]}" | median) s"
  co_summary+="$(printf '%-40s %-28s %-40s %s' "3. checkout $short >= 0.5x cp" "$r_cosync MB/s (${ratio}x)" "cp + sync $r_cp MB/s" "$(verdict "$(awk -v r="$ratio" 'BEGIN { print (r >= 0.5) }')")")"$'\n'
}
checkout_vs_cp train@v2 p/data/train.csv "CSV, zstd-compressed in the store" CSV
checkout_vs_cp blob@v1 p/data/blob.bin "random bytes, stored raw" "random bytes"
(cd p && "$mlt" -q fsck >/dev/null)

# ---------------------------------------------------------------------------------------------
echo "== summary ($size_mb MiB CSV, $files files; $([ "$cold" = 1 ] && echo "cold cache" || echo "warm cache"))"
printf '%-40s %-28s %-40s %s\n' target mlt peer verdict
printf '%-40s %-28s %-40s %s\n' "1. store growth after +1% rows < 3%" "${growth_pct}%" \
  "${lfs_pct:+git lfs ${lfs_pct}%, }DVC ${dvc_pct}%" "$(verdict "$ok1")"
printf '%-40s %-28s %-40s %s\n' "2. data status, $files files < 100 ms" "$st_ms ms ($st_cpu ms CPU)" "git status $git_ms ms, stat floor $find_ms ms" "$(verdict "$ok2")"
printf '%s' "$co_summary"
[ "${BENCH_SMOKE:-0}" = 1 ] && echo "(smoke mode: sizes too small for the verdicts to mean anything)"
true
