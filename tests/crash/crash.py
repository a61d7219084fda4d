#!/usr/bin/python3
"""crash.py: crash-consistency driver for mlt (issue 16).

Each round runs a mixed workload against ONE project that lives across all rounds (a real project
that crashes again and again): streaming metric writers (`mlt run -- sh` writing to
$MLT_METRICS_FD or to stdout, and `mlt log stream` fed from a pipe), one-shot `mlt log metric`
calls, `mlt log artifact` of a directory of a few hundred files, `mlt data add`, registry
registrations and alias moves, and `mlt run end`. Everything runs in one process group, which is
SIGKILLed after a random (seeded) delay. The checks then require that:

  1. SQLite's integrity_check is ok;
  2. `mlt fsck --full` exits 0; `mlt gc --grace 0` succeeds and leaves .mlt/tmp empty;
  3. every file under .mlt/objects is a whole object (non-empty, header, payload complete, raw
     payloads hash to their name, zstd frames walk to the end);
  4. every stream stored whole lines only: loss and acc at the same steps, steps exactly 0..k-1,
     values as written, the per-run per-key summary equal to the points; a writer that reported
     success stored every line;
  5. every registry event a command reported is there, versions are 1..N with one register event
     each, aliases point at existing versions of their model; data versions likewise;
  6. the project keeps working: `mlt run -- true`, `mlt log metric` and `mlt runs` succeed.

Runs left RUNNING by the kill are expected; those of `mlt run` must be flagged stale.
Python 3 standard library only. Run `crash.py --help`; see tests/crash/README.md.
"""

import argparse
import ctypes
import hashlib
import json
import math
import os
import random
import re
import shlex
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time

# ------------------------------------------------------------------------------------------------
# Workload scripts (POSIX sh; positional parameters only, nothing is formatted into them).
# Each loop appends what its commands reported to a log: "ok ..." after an exit 0, "FAIL WHAT RC"
# otherwise. A command killed by the SIGKILL never reaches its log line.

# Streaming writers. $1 lines "step=i loss=i acc=i.5", written $2 lines at a time with a pause of
# $3 seconds between (so that the one-shot loops get a share of 2 cores).

# one write(2) per line, to $MLT_METRICS_FD
W_FD_ECHO = r'''i=0
while [ "$i" -lt "$1" ]; do
  echo "step=$i loss=$i acc=$i.5" >&"$MLT_METRICS_FD"
  i=$((i + 1))
  [ $((i % $2)) -ne 0 ] || sleep "$3"
done'''

# each line in two write(2)s, as a program that prints a line field by field
W_FD_PIECES = r'''i=0
while [ "$i" -lt "$1" ]; do
  printf "step=%d loss=%d" "$i" "$i" >&"$MLT_METRICS_FD"
  printf " acc=%d.5\n" "$i" >&"$MLT_METRICS_FD"
  i=$((i + 1))
  [ $((i % $2)) -ne 0 ] || sleep "$3"
done'''

# awk, block-buffered: lines cross write(2) boundaries
W_AWK = r'''i=0
while [ "$i" -lt "$1" ]; do
  awk -v s="$i" -v e="$1" -v n="$2" 'BEGIN { for (j = s; j < s + n && j < e; j++) printf "step=%d loss=%d acc=%d.5\n", j, j, j }'
  i=$((i + $2))
  sleep "$3"
done'''

W_FD_AWK = '{\n' + W_AWK + '\n} >&"$MLT_METRICS_FD"'

# on stdout, after the metrics prefix (mlt run --metrics-from-stdout)
W_STDOUT = W_FD_ECHO.replace('echo "step=', 'echo "mlt: step=').replace(' >&"$MLT_METRICS_FD"', '')

# piped into mlt log stream: $4 run, $5 log, $6 stderr file
W_STREAM_TAIL = r'''rc=$?
if [ "$rc" -ne 0 ]; then echo "FAIL log-stream $rc" >>"$5"; exit "$rc"; fi
echo "ok streamed" >>"$5"
mlt run end "$4" >/dev/null 2>>"$6" || { rc=$?; echo "FAIL run-end $rc" >>"$5"; exit "$rc"; }
echo "ok ended" >>"$5"'''

W_STREAM_ECHO = ('{\n' + W_FD_ECHO.replace(' >&"$MLT_METRICS_FD"', '') + '\n} | mlt log stream --run "$4" 2>>"$6"\n'
                 + W_STREAM_TAIL)
W_STREAM_AWK = '{\n' + W_AWK + '\n} | mlt log stream --run "$4" 2>>"$6"\n' + W_STREAM_TAIL

# $1 run, $2 log, $3 stderr file: mlt log metric with the automatic step, two keys
L_METRIC = r'''i=0
while :; do
  if mlt log metric m="$i" mm="$i.5" --run "$1" >/dev/null 2>>"$3"; then
    echo "ok $i" >>"$2"
  else
    echo "FAIL log-metric $? $i" >>"$2"
  fi
  i=$((i + 1))
done'''

# $1 run, $2 log, $3 stderr file, $4 source directory
L_ARTIFACT = r'''k=0
while :; do
  echo "$k" >"$4/iter"
  if mlt log artifact "$4" --as "a$k" --run "$1" >/dev/null 2>>"$3"; then
    echo "ok $k" >>"$2"
  else
    echo "FAIL log-artifact $? $k" >>"$2"
  fi
  k=$((k + 1))
done'''

# $1 round, $2 log, $3 stderr file: a directory dataset and a file dataset, alternately
L_DATA = r'''k=0
while :; do
  if [ $((k % 2)) -eq 0 ]; then
    echo "$1 $k" >data/ds/iter
    if out=$(mlt data add data/ds -n ds -m "r$1 k$k" 2>>"$3"); then echo "ok ds $k $out" >>"$2"
    else echo "FAIL data-add $? ds $k" >>"$2"; fi
  else
    echo "$1,$k" >>data/table.csv
    if out=$(mlt data add data/table.csv -n table -m "r$1 k$k" 2>>"$3"); then echo "ok table $k $out" >>"$2"
    else echo "FAIL data-add $? table $k" >>"$2"; fi
  fi
  k=$((k + 1))
done'''

# $1 model URI, $2 registered model, $3 alias, $4 log, $5 stderr file
L_REGISTRY = r'''while :; do
  if v=$(mlt registry register "$1" "$2" 2>>"$5"); then
    echo "ok reg $v" >>"$4"
  else
    echo "FAIL register $?" >>"$4"
    continue
  fi
  if mlt registry alias "$2" "$3" "$v" >/dev/null 2>>"$5"; then
    echo "ok alias $v" >>"$4"
  else
    echo "FAIL alias $? $v" >>"$4"
  fi
done'''

# $1 seconds, $2 run (finished), $3 run (failed), $4 log, $5 stderr file
L_END = r'''sleep "$1"
if mlt run end "$2" >/dev/null 2>>"$5"; then echo "ok end $2 FINISHED" >>"$4"; else echo "FAIL run-end $? $2" >>"$4"; fi
if mlt run end "$3" --status failed >/dev/null 2>>"$5"; then echo "ok end $3 FAILED" >>"$4"; else echo "FAIL run-end $? $3" >>"$4"; fi'''

WRITER_KINDS = ["run-fd-echo", "run-fd-pieces", "run-fd-awk", "run-stdout", "stream-echo", "stream-awk"]
MODEL = "crash-model"            # the registered model both registry loops add versions to
ALIASES = {"A": "champion", "B": "challenger"}
ART_FILES = 300                  # files in the artifact source directory
DATA_FILES = 20                  # files in the dataset directory
OBJ_NAME = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{62}$")


class CheckFailed(Exception):
    pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------
# Object files: a structural check that needs no zstd decoder.

def zstd_frame_problem(b, expect_size):
    """None when b is exactly one complete zstd frame (block structure walked to the end)."""
    if len(b) < 6 or b[:4] != b"\x28\xb5\x2f\xfd":
        return "payload is not a zstd frame"
    fhd = b[4]
    pos = 5
    fcs_flag, single, has_sum, did_flag = fhd >> 6, (fhd >> 5) & 1, (fhd >> 2) & 1, fhd & 3
    if (fhd >> 3) & 1:
        return "zstd frame header has the reserved bit set"
    if not single:
        pos += 1
    pos += (0, 1, 2, 4)[did_flag]
    fcs_size = (1 if single else 0, 2, 4, 8)[fcs_flag]
    if pos + fcs_size > len(b):
        return "zstd frame header truncated"
    if fcs_size:
        fcs = int.from_bytes(b[pos:pos + fcs_size], "little") + (256 if fcs_size == 2 else 0)
        if fcs != expect_size:
            return f"zstd frame content size {fcs} != header size {expect_size}"
        pos += fcs_size
    while True:
        if pos + 3 > len(b):
            return f"zstd frame truncated (block header at {pos} of {len(b)})"
        bh = int.from_bytes(b[pos:pos + 3], "little")
        pos += 3
        last, btype, bsize = bh & 1, (bh >> 1) & 3, bh >> 3
        if btype == 3:
            return "zstd block of the reserved type"
        pos += 1 if btype == 1 else bsize
        if pos > len(b):
            return f"zstd frame truncated (block ends at {pos} of {len(b)})"
        if last:
            break
    if has_sum:
        pos += 4
    if pos != len(b):
        return f"zstd frame ends at {pos} but the object has {len(b)} payload bytes"
    return None


def object_problem(path, name):
    """None when the file at path is a whole object named name (64 hex); else what is wrong."""
    with open(path, "rb") as f:
        data = f.read()
    if not data:
        return "zero-length object file"
    if len(data) < 16 or data[:4] != b"MLTO":
        return f"no object header ({len(data)} bytes)"
    ver, kind, enc = data[4], data[5], data[6]
    size = struct.unpack_from("<Q", data, 8)[0]
    payload = data[16:]
    if ver != 1 or kind not in (1, 2, 3) or enc not in (0, 1):
        return f"bad header (version {ver}, kind {kind}, encoding {enc})"
    if enc == 1:
        return zstd_frame_problem(payload, size)
    if len(payload) != size:
        return f"raw payload has {len(payload)} bytes, header says {size}"
    if kind in (1, 3):
        if hashlib.sha256(payload).hexdigest() != name:
            return "raw payload does not hash to the object's name"
        return None
    # chunked manifest: "MLTC" 1 0 0 0 file_size:u64 count:u64 (digest:32 size:u64){count} sha:32
    if len(payload) < 24 + 32 or payload[:4] != b"MLTC":
        return "chunk manifest without its header"
    file_size, count = struct.unpack_from("<QQ", payload, 8)
    if len(payload) != 24 + 40 * count + 32:
        return f"chunk manifest of {count} chunks has {len(payload)} bytes"
    if hashlib.sha256(payload[:-32]).digest() != payload[-32:]:
        return "chunk manifest checksum mismatch"
    total = sum(struct.unpack_from("<Q", payload, 24 + 40 * i + 32)[0] for i in range(count))
    if total != file_size:
        return f"chunk sizes add up to {total}, manifest says {file_size}"
    return None


# ------------------------------------------------------------------------------------------------
# Processes

def set_child_subreaper():
    """Orphans of the killed group are reparented to us, so we can reap them (no zombies left)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def group_members(pgid, parent=None):
    """Live (non-zombie) processes of process group pgid (and, when given, of that parent)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
        except OSError:
            continue
        fields = s[s.rfind(")") + 2:].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] != "Z" and parent in (None, int(fields[1])):
            out.append(int(d))
    return out


def reap_group(pgid):
    while True:
        try:
            pid, _ = os.waitpid(-pgid, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


# ------------------------------------------------------------------------------------------------

class Driver:
    def __init__(self, a):
        self.a = a
        self.mlt_bin = os.path.abspath(a.mlt)
        self.stats = {"rounds": 0, "kills_sent": 0, "processes_killed": 0, "checks_run": 0,
                      "failures": [], "seconds_per_round": [], "workload_ms": []}
        self.round_failures = []
        self.check_seconds = {}       # check -> seconds spent, over all rounds
        base = a.workdir or tempfile.gettempdir()
        self.scratch = tempfile.mkdtemp(prefix="mlt-crash.", dir=base)
        self.proj = os.path.join(self.scratch, "project")
        self.art_src = os.path.join(self.scratch, "artsrc")
        self.fx = os.path.join(self.scratch, "fx")
        self.rounds_dir = os.path.join(self.scratch, "rounds")
        self.env = self.make_env()
        self.models = {}        # loop -> model URI
        self.reported_versions = {}   # registry version -> (loop, round)
        self.data_reported = {}       # (dataset, version) -> message
        self.project_number = 0

    # -- environment ------------------------------------------------------------------------------
    def make_env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLT_") and not k.startswith("GIT_")}
        home = os.path.join(self.scratch, "home")
        bindir = os.path.join(self.scratch, "bin")
        os.makedirs(os.path.join(home, ".config"), exist_ok=True)
        os.makedirs(bindir, exist_ok=True)
        os.symlink(self.mlt_bin, os.path.join(bindir, "mlt"))
        env.update({
            "HOME": home, "XDG_CONFIG_HOME": os.path.join(home, ".config"),
            "XDG_DATA_HOME": os.path.join(home, ".local/share"), "XDG_CACHE_HOME": os.path.join(home, ".cache"),
            "PATH": bindir + ":" + env.get("PATH", "/usr/bin:/bin"), "TZ": "UTC", "LC_ALL": "C", "LANG": "C",
            "NO_COLOR": "1", "USER": "mlt-crash", "LOGNAME": "mlt-crash",
            "GIT_AUTHOR_NAME": "Mlt Crash", "GIT_AUTHOR_EMAIL": "crash@example.com",
            "GIT_COMMITTER_NAME": "Mlt Crash", "GIT_COMMITTER_EMAIL": "crash@example.com",
            "GIT_CONFIG_NOSYSTEM": "1",
        })
        return env

    def wait_for_binary(self):
        """The binary may be briefly missing while it is rebuilt: wait for it (up to 5 minutes)."""
        for _ in range(300):
            if os.access(self.mlt_bin, os.X_OK):
                return
            time.sleep(1)
        raise SystemExit(f"crash.py: '{self.mlt_bin}' is not an executable file")

    def mlt(self, *args, ok=True, timeout=120, what=None):
        """Run mlt in the project (outside the killed group); with ok, a non-zero exit fails the check."""
        self.wait_for_binary()
        try:
            p = subprocess.run([self.mlt_bin, *args], cwd=self.proj, env=self.env, stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise CheckFailed(f"'mlt {shlex.join(args)}' did not finish within {timeout} s (hung after a crash?)")
        if ok and p.returncode != 0:
            raise CheckFailed(f"'mlt {shlex.join(args)}' exited {p.returncode}"
                              + (f" ({what})" if what else "") + f"\n  stdout: {p.stdout.strip()[:2000]}"
                              + f"\n  stderr: {p.stderr.strip()[:2000]}")
        return p

    def sh(self, *args):
        subprocess.run(args, cwd=self.proj, env=self.env, stdin=subprocess.DEVNULL, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def check(self, name, fn, *args):
        """Run one check; a failure is recorded for this round and the other checks go on."""
        self.stats["checks_run"] += 1
        t = time.monotonic()
        try:
            fn(*args)
        except CheckFailed as e:
            self.round_failures.append({"round": self.round, "check": name, "message": str(e)})
            log(f"  FAIL [{name}] {e}")
        except (sqlite3.Error, OSError, ValueError, KeyError, json.JSONDecodeError) as e:
            self.round_failures.append({"round": self.round, "check": name,
                                        "message": f"{type(e).__name__}: {e}"})
            log(f"  FAIL [{name}] {type(e).__name__}: {e}")
        finally:
            self.check_seconds[name] = self.check_seconds.get(name, 0) + time.monotonic() - t

    # -- the project ------------------------------------------------------------------------------
    def new_project(self):
        """A fresh project: git repository with one commit, the model packages, the source folders."""
        if os.path.exists(self.proj):
            shutil.rmtree(self.proj)
        self.project_number += 1
        self.reported_versions = {}
        self.data_reported = {}
        rng = random.Random(f"{self.a.seed}:setup")
        os.makedirs(os.path.join(self.proj, "data", "ds"))
        for i in range(DATA_FILES):
            with open(os.path.join(self.proj, "data", "ds", f"part{i:02d}.csv"), "w") as f:
                f.write("".join(f"{rng.randrange(10**6)},{rng.random():.6f}\n" for _ in range(20)))
        with open(os.path.join(self.proj, "data", "table.csv"), "w") as f:
            f.write("round,k\n")
        with open(os.path.join(self.proj, ".gitignore"), "w") as f:
            f.write("data/\n.mlt/\n")
        self.sh("git", "init", "-q")
        self.sh("git", "add", ".gitignore")
        self.sh("git", "commit", "-q", "-m", "crash project")
        self.mlt("-q", "init")
        shutil.rmtree(self.art_src, ignore_errors=True)
        os.makedirs(os.path.join(self.art_src, "sub"))
        for i in range(ART_FILES):
            with open(self.art_path(i), "w") as f:
                f.write(f"file {i} " + "".join(rng.choice("abcdef") for _ in range(rng.randrange(20, 120))) + "\n")
        os.makedirs(self.fx, exist_ok=True)
        run = self.mlt("run", "start", "-n", "models", "--no-git").stdout.strip()
        for loop in ALIASES:
            w = os.path.join(self.fx, f"weights-{loop}.bin")
            with open(w, "wb") as f:
                f.write(f"weights of model {loop}\n".encode() * 50)
            uri = self.mlt("model", "save", w, "--flavor", "generic", "--run", run, "-n", f"model{loop}",
                           "--uuid", f"{ord(loop):032x}").stdout.strip()
            self.models[loop] = uri
        self.mlt("run", "end", run)

    def art_path(self, i):
        return os.path.join(self.art_src if i % 3 else os.path.join(self.art_src, "sub"), f"f{i:03d}.txt")

    # -- one round --------------------------------------------------------------------------------
    def run_round(self, r):
        self.round = r
        self.round_failures = []
        rng = random.Random(f"{self.a.seed}:{r}")
        t0 = time.monotonic()
        if self.a.rounds_per_project and r > 1 and (r - 1) % self.a.rounds_per_project == 0:
            self.new_project()
        rdir = os.path.join(self.rounds_dir, f"{r:04d}")
        os.makedirs(rdir)
        tag = f"c{r:04d}"

        # vary a few bytes of the sources
        with open(self.art_path(rng.randrange(ART_FILES)), "a") as f:
            f.write(f"round {r}\n")
        with open(os.path.join(self.proj, "data", "ds", f"part{rng.randrange(DATA_FILES):02d}.csv"), "a") as f:
            f.write(f"{r},{rng.random():.6f}\n")

        # runs the workload logs to, made before the kill window
        def start_run(name):
            return self.mlt("run", "start", "-n", name, "--no-git").stdout.strip()

        writers = []
        for i in range(8):
            kind = rng.choice(WRITER_KINDS)
            lines = int(math.exp(rng.uniform(math.log(self.a.min_lines), math.log(self.a.max_lines))))
            w = {"i": i, "kind": kind, "lines": lines, "name": f"{tag}w{i}", "chunk": rng.choice([50, 100, 250]),
                 "pause": rng.uniform(0.01, 0.05),
                 "log": os.path.join(rdir, f"w{i}.log"), "err": os.path.join(rdir, f"w{i}.err"),
                 "git": kind.startswith("run-") and rng.random() < 0.15}
            if kind.startswith("stream-"):
                w["run"] = start_run(w["name"])
            writers.append(w)
        metric_run = start_run(f"{tag}metric")
        art_run = start_run(f"{tag}art")
        end_runs = (start_run(f"{tag}end1"), start_run(f"{tag}end2"))
        end_delay = rng.uniform(0, self.a.max_sleep_ms / 1000.0)
        sleep_ms = rng.uniform(self.a.min_sleep_ms, self.a.max_sleep_ms)
        child_kill = rng.random() < self.a.child_kill_rate
        order = list(range(8 + 6))
        rng.shuffle(order)

        def lg(name):
            return os.path.join(rdir, name + ".log"), os.path.join(rdir, name + ".err")

        cmds = []     # (label, argv)
        for w in writers:
            pace = [str(w["lines"]), str(w["chunk"]), f"{w['pause']:.3f}"]
            if w["kind"].startswith("run-"):
                argv = ["mlt", "run", "-n", w["name"]] + ([] if w["git"] else ["--no-git"])
                if w["kind"] == "run-stdout":
                    argv += ["--metrics-from-stdout", "--", "sh", "-c", W_STDOUT, "sh"] + pace
                elif w["kind"] == "run-fd-echo":
                    argv += ["--", "sh", "-c", W_FD_ECHO, "sh"] + pace
                elif w["kind"] == "run-fd-pieces":
                    argv += ["--", "sh", "-c", W_FD_PIECES, "sh"] + pace
                else:
                    argv += ["--", "sh", "-c", W_FD_AWK, "sh"] + pace
            else:
                script = W_STREAM_ECHO if w["kind"] == "stream-echo" else W_STREAM_AWK
                argv = ["sh", "-c", script, "sh"] + pace + [w["run"], w["log"], w["err"]]
            cmds.append((f"w{w['i']}", argv))
        ml, me = lg("metric")
        cmds.append(("metric", ["sh", "-c", L_METRIC, "sh", metric_run, ml, me]))
        al, ae = lg("artifact")
        cmds.append(("artifact", ["sh", "-c", L_ARTIFACT, "sh", art_run, al, ae, self.art_src]))
        dl, de = lg("data")
        cmds.append(("data", ["sh", "-c", L_DATA, "sh", str(r), dl, de]))
        for loop, alias in ALIASES.items():
            rl, re_ = lg(f"reg{loop}")
            cmds.append((f"reg{loop}", ["sh", "-c", L_REGISTRY, "sh", self.models[loop], MODEL, alias, rl, re_]))
        el, ee = lg("end")
        cmds.append(("end", ["sh", "-c", L_END, "sh", f"{end_delay:.3f}", end_runs[0], end_runs[1], el, ee]))

        # -- the workload, in one process group, then SIGKILL --------------------------------------
        self.wait_for_binary()
        binary = self.binary_id()
        anchor = subprocess.Popen(["sleep", "3600"], process_group=0, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pgid = anchor.pid
        try:
            procs, children_killed, members, killed_after = self.launch_and_kill(
                pgid, order, cmds, rdir, writers, sleep_ms, child_kill)
        except BaseException:
            os.killpg(pgid, signal.SIGKILL)    # never leave the workload running
            raise
        self.stats["kills_sent"] += 1
        self.stats["processes_killed"] += len(members) - 1     # not counting the anchor
        self.stats["workload_ms"].append(killed_after)
        rcs = {label: p.wait() for label, p in procs.items()}
        anchor.wait()
        deadline = time.monotonic() + 10
        while True:
            reap_group(pgid)
            alive = group_members(pgid)
            if not alive:
                break
            if time.monotonic() > deadline:
                self.round_failures.append({"round": r, "check": "kill",
                                            "message": f"processes {alive} of the group survived SIGKILL for 10 s"})
                break
            time.sleep(0.01)
        finished = [lb for lb, rc in rcs.items() if rc == 0]
        if self.a.verbose:
            oks = {n: sum(1 for x in self.log_lines(os.path.join(rdir, n + ".log")) if x.startswith("ok"))
                   for n in ("metric", "artifact", "data", "regA", "regB", "end")}
            streams = sum(1 for w in writers if (rcs[f"w{w['i']}"] == 0 if w["kind"].startswith("run-")
                                                 else "ok streamed" in self.log_lines(w["log"])))
            log(f"  round {r}: writers " + " ".join(f"{w['kind']}:{w['lines']}" for w in writers)
                + (f"; commands of {', '.join(sorted(children_killed))} killed first" if child_kill else ""))
            log(f"  round {r}: killed {len(members) - 1} processes after {killed_after:.0f} ms; "
                f"finished before the kill: {', '.join(sorted(finished)) or 'none'}; streams complete {streams}/8; "
                f"reported ok: " + ", ".join(f"{k} {v}" for k, v in oks.items()))

        # -- checks ------------------------------------------------------------------------------
        ctx = {"rdir": rdir, "tag": tag, "writers": writers, "rcs": rcs, "children_killed": children_killed,
               "metric_run": metric_run,
               "art_run": art_run, "end_runs": end_runs}
        self.check("integrity_check", self.check_integrity)
        self.check("streams", self.check_streams, ctx)
        self.check("log metric", self.check_metric_loop, ctx)
        self.check("registry", self.check_registry, ctx)
        self.check("data", self.check_data, ctx)
        self.check("run end", self.check_run_end, ctx)
        self.check("artifacts", self.check_artifacts, ctx)
        self.check("stale runs", self.check_stale, ctx)
        self.check("unexpected failures", self.check_loop_failures, ctx)
        self.check("objects", self.check_objects)
        self.check("fsck --full", self.check_fsck)
        self.check("gc", self.check_gc)
        if self.a.global_every and (r % self.a.global_every == 0 or r == self.a.rounds):
            self.check("summaries (all runs)", self.check_all_summaries)
        self.check("still works", self.check_works, ctx)
        if self.round_failures and self.binary_id() != binary:
            # the lead rebuilt mlt during the round: commands may have found no binary, or two
            log(f"  round {r}: {self.mlt_bin} was replaced during the round; its "
                f"{len(self.round_failures)} failures are not counted")
            self.stats["rounds_binary_replaced"] = self.stats.get("rounds_binary_replaced", 0) + 1
            self.round_failures = []
        dt = time.monotonic() - t0
        self.stats["seconds_per_round"].append(dt)
        self.stats["rounds"] += 1
        for f in self.round_failures:
            self.stats["failures"].append(f)
        if not self.round_failures and not self.a.keep_rounds:
            shutil.rmtree(rdir, ignore_errors=True)
        return not self.round_failures, killed_after, len(members) - 1, dt

    def launch_and_kill(self, pgid, order, cmds, rdir, writers, sleep_ms, child_kill):
        """Start every command in process group pgid, sleep, SIGKILL the group."""
        procs = {}
        for idx in order:
            label, argv = cmds[idx]
            out = open(os.path.join(rdir, label + ".out"), "wb")
            err = open(os.path.join(rdir, label + ".stderr"), "wb")
            procs[label] = subprocess.Popen(argv, process_group=pgid, cwd=self.proj, env=self.env,
                                            stdin=subprocess.DEVNULL, stdout=out, stderr=err)
            out.close()
            err.close()
        started = time.monotonic()
        time.sleep(sleep_ms / 1000.0)
        children_killed = set()
        if child_kill:
            # the trainer dies, its 'mlt run' lives on: kill the commands of the 'mlt run' writers
            # first, give mlt a moment to store what they wrote and end their runs, then the rest
            for w in writers:
                if w["kind"].startswith("run-"):
                    for pid in group_members(pgid, parent=procs[f"w{w['i']}"].pid):
                        try:
                            os.kill(pid, signal.SIGKILL)
                            children_killed.add(f"w{w['i']}")
                        except ProcessLookupError:
                            pass
            time.sleep(0.3)
        members = group_members(pgid)
        os.killpg(pgid, signal.SIGKILL)
        killed_after = (time.monotonic() - started) * 1000
        return procs, children_killed, members, killed_after

    def binary_id(self):
        try:
            st = os.stat(self.mlt_bin)
            return (st.st_ino, st.st_mtime_ns, st.st_size)
        except OSError:
            return None

    # -- database access --------------------------------------------------------------------------
    def db(self):
        """A read-only connection (never checkpoints, never holds anything after close)."""
        path = os.path.join(self.proj, ".mlt", "mlt.db")
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        con.execute("PRAGMA busy_timeout = 30000")
        return con

    def query(self, sql, *params):
        con = self.db()
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    # -- 1 -----------------------------------------------------------------------------------------
    def check_integrity(self):
        rows = self.query("PRAGMA integrity_check")
        if rows != [("ok",)]:
            raise CheckFailed("PRAGMA integrity_check: " + "; ".join(str(x[0]) for x in rows[:20]))

    # -- 4 -----------------------------------------------------------------------------------------
    def run_row(self, name):
        rows = self.query("SELECT id, uuid, status, supervisor_pid FROM runs WHERE name = ?", name)
        if len(rows) > 1:
            raise CheckFailed(f"{len(rows)} runs are named '{name}'")
        return rows[0] if rows else None

    def points_and_summary(self, run_id):
        con = self.db()
        try:
            pts = con.execute("SELECT k.key, p.step, p.value, p.time_ms FROM metric_points p "
                              "JOIN metric_keys k ON k.id = p.key_id WHERE p.run_id = ? ORDER BY k.key, p.step, p.rowid",
                              (run_id,)).fetchall()
            summ = con.execute("SELECT k.key, s.last_value, s.last_step, s.last_time_ms, s.min_value, s.max_value, "
                               "s.count, s.nan_count FROM metric_summary s JOIN metric_keys k ON k.id = s.key_id "
                               "WHERE s.run_id = ?", (run_id,)).fetchall()
        finally:
            con.close()
        by_key = {}
        for key, step, value, tms in pts:
            by_key.setdefault(key, []).append((step, value, tms))
        return by_key, {row[0]: row[1:] for row in summ}

    def check_series(self, what, by_key, summary, keys, offsets, expect_n=None, at_least=None, at_most=None):
        """keys stored at steps exactly 0..k-1, value = step + offset, summary = points."""
        if set(by_key) - set(keys):
            raise CheckFailed(f"{what}: unexpected keys {sorted(set(by_key) - set(keys))}")
        if set(summary) != set(by_key):
            raise CheckFailed(f"{what}: summary keys {sorted(summary)} != point keys {sorted(by_key)}")
        if not by_key:
            n = 0
        else:
            if set(by_key) != set(keys):
                raise CheckFailed(f"{what}: a line was split: keys stored {sorted(by_key)}, "
                                  f"counts {{{', '.join(f'{k}: {len(v)}' for k, v in by_key.items())}}}")
            steps = {k: [s for s, _, _ in v] for k, v in by_key.items()}
            n = len(steps[keys[0]])
            for k in keys:
                st = steps[k]
                if st != list(range(len(st))):
                    dup = len(st) - len(set(st))
                    gaps = sorted(set(range(max(st) + 1)) - set(st))[:10]
                    raise CheckFailed(f"{what}: steps of '{k}' are not 0..{len(st) - 1}: {len(st)} points, "
                                      f"{dup} duplicates, max {max(st)}, missing {gaps}")
                if len(st) != n:
                    raise CheckFailed(f"{what}: a line was split: '{keys[0]}' has {n} points, '{k}' {len(st)}")
                for s, v, _ in by_key[k]:
                    if v != s + offsets[k]:
                        raise CheckFailed(f"{what}: '{k}' at step {s} is {v}, written {s + offsets[k]}")
                vals = [v for _, v, _ in by_key[k]]
                last = max(by_key[k], key=lambda p: (p[0], p[2]))
                want = (last[1], last[0], min(vals), max(vals), len(vals), 0)
                got = summary[k]
                got_cmp = (got[0], got[1], got[3], got[4], got[5], got[6])
                if got_cmp != want:
                    raise CheckFailed(f"{what}: summary of '{k}' (last, last_step, min, max, count, nan_count) "
                                      f"= {got_cmp}, points say {want}")
        if expect_n is not None and n != expect_n:
            raise CheckFailed(f"{what}: reported done but {n} of {expect_n} lines are stored")
        if at_least is not None and n < at_least:
            raise CheckFailed(f"{what}: {at_least} points reported logged, {n} stored")
        if at_most is not None and n > at_most:
            raise CheckFailed(f"{what}: {n} points stored, at most {at_most} were sent")
        return n

    def check_streams(self, ctx):
        problems = []
        for w in ctx["writers"]:
            label = f"w{w['i']}"
            what = f"writer {label} ({w['kind']}, {w['lines']} lines, run '{w['name']}')"
            row = self.run_row(w["name"])
            done = False
            ended = False
            if w["kind"].startswith("run-"):
                rc = ctx["rcs"][label]
                done = rc == 0
                ended = done
                if label in ctx["children_killed"]:
                    what += " (its command SIGKILLed first)"
                    if rc == 128 + signal.SIGKILL and row is not None and row[2] != "KILLED":
                        problems.append(f"{what}: 'mlt run' exited {rc}, the run is {row[2]}, not KILLED")
                if rc not in (0, -9) and not (label in ctx["children_killed"] and rc == 128 + signal.SIGKILL):
                    problems.append(f"{what}: 'mlt run' exited {rc}: {self.tail(ctx['rdir'], label + '.stderr')}")
                if row is None:
                    if done:
                        problems.append(f"{what}: 'mlt run' exited 0 but there is no such run")
                    continue
            else:
                reported = self.log_lines(w["log"])
                done = "ok streamed" in reported
                ended = "ok ended" in reported
                for line in reported:
                    if line.startswith("FAIL") and not self.killed_rc(line.split()[2]):
                        problems.append(f"{what}: {line}: {self.tail(ctx['rdir'], 'w%d.err' % w['i'], path=w['err'])}")
            by_key, summary = self.points_and_summary(row[0])
            try:
                self.check_series(what, by_key, summary, ["acc", "loss"], {"loss": 0, "acc": 0.5},
                                  expect_n=w["lines"] if done else None, at_most=w["lines"])
            except CheckFailed as e:
                problems.append(str(e))
            if ended and row[2] != "FINISHED":
                problems.append(f"{what}: reported FINISHED, status is {row[2]}")
        if problems:
            raise CheckFailed("\n  ".join(problems))

    def check_metric_loop(self, ctx):
        reported = self.log_lines(os.path.join(ctx["rdir"], "metric.log"))
        oks = [int(x.split()[1]) for x in reported if x.startswith("ok ")]
        row = self.query("SELECT id FROM runs WHERE uuid = ?", ctx["metric_run"])[0]
        by_key, summary = self.points_and_summary(row[0])
        self.check_series(f"'mlt log metric' loop (run {ctx['metric_run'][:8]}, {len(oks)} reported)", by_key,
                          summary, ["m", "mm"], {"m": 0, "mm": 0.5}, at_least=len(oks), at_most=len(oks) + 1)

    # -- 5 -----------------------------------------------------------------------------------------
    def check_registry(self, ctx):
        problems = []
        rows = self.query("SELECT id, name FROM registered_models")
        for mid, name in rows:
            vers = [v for (v,) in self.query("SELECT version FROM model_versions WHERE model_id = ? ORDER BY version", mid)]
            if vers != list(range(1, len(vers) + 1)):
                problems.append(f"model '{name}': versions are not 1..{len(vers)}: "
                                f"{len(vers) - len(set(vers))} doubled, max {max(vers) if vers else 0}")
            ev = [v for (v,) in self.query("SELECT version FROM registry_events WHERE model_id = ? AND action = "
                                           "'register' ORDER BY version", mid)]
            if ev != vers:
                problems.append(f"model '{name}': register events for versions {self.ranges(ev)}, "
                                f"versions {self.ranges(vers)}")
            for alias, vid, amid, v, deleted in self.query(
                    "SELECT a.alias, a.version_id, v.model_id, v.version, v.deleted_ms FROM model_aliases a "
                    "LEFT JOIN model_versions v ON v.id = a.version_id WHERE a.model_id = ?", mid):
                if amid != mid or deleted is not None:
                    problems.append(f"model '{name}': alias '{alias}' points at version id {vid}, "
                                    f"which is {'missing or of another model' if amid != mid else 'deleted'}")
                last = self.query("SELECT to_value FROM registry_events WHERE model_id = ? AND target = ? AND "
                                  "action IN ('alias', 'unalias') ORDER BY id DESC LIMIT 1", mid, alias)
                if not last or last[0][0] != str(v):
                    problems.append(f"model '{name}': alias '{alias}' is v{v}, its last event says "
                                    f"{last[0][0] if last else 'nothing'}")
        mid = {n: i for i, n in rows}.get(MODEL)
        for loop, alias in ALIASES.items():
            reported = self.log_lines(os.path.join(ctx["rdir"], f"reg{loop}.log"))
            run_uuid, path = self.models[loop][len("runs:/"):].split("/", 1)
            last_alias = None
            for line in reported:
                f = line.split()
                if f[0] == "FAIL":
                    if not self.killed_rc(f[2]):
                        problems.append(f"registry loop {loop}: {line}: "
                                        f"{self.tail(ctx['rdir'], f'reg{loop}.err')}")
                    continue
                if not f[2].isdigit():
                    problems.append(f"registry loop {loop}: 'mlt registry register' printed {f[2:]!r}")
                    continue
                v = int(f[2])
                if mid is None:
                    problems.append(f"registry loop {loop}: reported {line!r}, but there is no model '{MODEL}'")
                    continue
                if f[1] == "reg":
                    prev = self.reported_versions.get(v)
                    if prev:
                        problems.append(f"version {v} of '{MODEL}' reported twice: by loop {prev[0]} in round "
                                        f"{prev[1]} and by loop {loop} in round {self.round}")
                    self.reported_versions[v] = (loop, self.round)
                    got = self.query("SELECT r.uuid, v.path FROM model_versions v JOIN runs r ON r.id = v.run_id "
                                     "WHERE v.model_id = ? AND v.version = ?", mid, v)
                    if got != [(run_uuid, path)]:
                        problems.append(f"registry loop {loop}: reported version {v}, stored {got or 'nothing'}")
                else:
                    last_alias = v
                    ev = self.query("SELECT count(*) FROM registry_events WHERE model_id = ? AND action = 'alias' "
                                    "AND target = ? AND to_value = ?", mid, alias, str(v))
                    if ev[0][0] < 1:
                        problems.append(f"registry loop {loop}: reported '{alias}' -> v{v}, no such event")
            if last_alias is not None:
                cur = self.query("SELECT v.version FROM model_aliases a JOIN model_versions v ON v.id = a.version_id "
                                 "WHERE a.model_id = ? AND a.alias = ?", mid, alias)
                if not cur or cur[0][0] < last_alias:
                    problems.append(f"alias '{alias}' reported moved to v{last_alias}, is "
                                    f"{'v%d' % cur[0][0] if cur else 'missing'}")
        if problems:
            raise CheckFailed("\n  ".join(problems))

    def check_data(self, ctx):
        problems = []
        for dsid, name in self.query("SELECT id, name FROM datasets"):
            vers = [v for (v,) in self.query("SELECT version FROM data_versions WHERE dataset_id = ? ORDER BY version",
                                             dsid)]
            if vers != list(range(1, len(vers) + 1)):
                problems.append(f"dataset '{name}': versions are not 1..{len(vers)}: {self.ranges(vers)}")
        for line in self.log_lines(os.path.join(ctx["rdir"], "data.log")):
            f = line.split()
            if f[0] == "FAIL":
                if not self.killed_rc(f[2]):
                    problems.append(f"data loop: {line}: {self.tail(ctx['rdir'], 'data.err')}")
                continue
            ds, k, ref = f[1], f[2], f[3]
            m = re.fullmatch(r"([A-Za-z0-9._-]+)@v(\d+)", ref)
            if not m or m.group(1) != ds:
                problems.append(f"data loop: 'mlt data add' printed {ref!r} for dataset '{ds}'")
                continue
            v = int(m.group(2))
            got = self.query("SELECT v.message FROM data_versions v JOIN datasets d ON d.id = v.dataset_id "
                             "WHERE d.name = ? AND v.version = ?", ds, v)
            want = f"r{self.round} k{k}"
            if not got:
                problems.append(f"data loop: reported {ref}, no such version")
            elif got[0][0] != want and self.data_reported.get((ds, v)) != got[0][0]:
                # an add of unchanged content reports the existing version (its earlier message)
                problems.append(f"data loop: reported {ref} for '{want}', the version says '{got[0][0]}'")
            if got:
                self.data_reported[(ds, v)] = got[0][0]
        # git tags made for data versions name existing versions
        tags = subprocess.run(["git", "tag", "-l", "data/*"], cwd=self.proj, env=self.env, capture_output=True,
                              text=True).stdout.split()
        have = {f"data/{n}/v{v}" for n, v in self.query("SELECT d.name, v.version FROM data_versions v "
                                                        "JOIN datasets d ON d.id = v.dataset_id")}
        stray = sorted(set(tags) - have)
        if stray:
            problems.append(f"git tags of data versions that do not exist: {stray[:10]}")
        if problems:
            raise CheckFailed("\n  ".join(problems))

    def check_run_end(self, ctx):
        problems = []
        for line in self.log_lines(os.path.join(ctx["rdir"], "end.log")):
            f = line.split()
            if f[0] == "FAIL":
                if not self.killed_rc(f[2]):
                    problems.append(f"{line}: {self.tail(ctx['rdir'], 'end.err')}")
                continue
            st = self.query("SELECT status FROM runs WHERE uuid = ?", f[2])
            if not st or st[0][0] != f[3]:
                problems.append(f"'mlt run end' reported run {f[2][:8]} {f[3]}, status is {st}")
        if problems:
            raise CheckFailed("\n  ".join(problems))

    def check_artifacts(self, ctx):
        problems = []
        oks = []
        for line in self.log_lines(os.path.join(ctx["rdir"], "artifact.log")):
            f = line.split()
            if f[0] == "FAIL":
                if not self.killed_rc(f[2]):
                    problems.append(f"artifact loop: {line}: {self.tail(ctx['rdir'], 'artifact.err')}")
                continue
            oks.append(int(f[1]))
        if oks:
            listing = json.loads(self.mlt("--json", "artifact", "ls", ctx["art_run"]).stdout)
            have = {e["path"] for e in listing["entries"]}
            missing = [k for k in oks if f"a{k}" not in have]
            if missing:
                problems.append(f"artifact loop: reported a{missing[0]} (of {len(oks)}) stored, the run has "
                                f"{sorted(have)[:10]}")
            # the last one reported in full, file by file
            k = oks[-1]
            dest = os.path.join(ctx["rdir"], "artifact-get")
            self.mlt("artifact", "get", ctx["art_run"], f"a{k}", "-o", dest)
            want = self.tree_of(self.art_src)
            want["iter"] = f"{k}\n".encode()
            got = self.tree_of(dest)
            if got != want:
                diff = sorted(set(got) ^ set(want)) or sorted(p for p in want if want[p] != got.get(p))
                problems.append(f"artifact loop: a{k} differs from what was logged: {diff[:10]}")
            shutil.rmtree(dest, ignore_errors=True)
            for k in oks[:-1][-3:]:
                it = self.mlt("artifact", "cat", ctx["art_run"], f"a{k}/iter").stdout
                if it != f"{k}\n":
                    problems.append(f"artifact loop: a{k}/iter is {it!r}, logged {k!r}")
        if problems:
            raise CheckFailed("\n  ".join(problems))

    def check_stale(self, ctx):
        """Runs of a killed 'mlt run' are RUNNING: 'mlt runs' must call them stale (issue 15)."""
        out = self.mlt("runs", "--format", "json", "-f", f"attributes.run_name LIKE '{ctx['tag']}w%'").stdout
        problems = []
        ctx["stale"] = [run["id"] for run in json.loads(out)["runs"] if run.get("stale")]
        for run in json.loads(out)["runs"]:
            if run["status"] == "RUNNING" and run.get("supervisor") and not run.get("stale"):
                problems.append(f"run {run['name']} ({run['id'][:8]}) is RUNNING, its 'mlt run' was killed, "
                                f"but it is not reported stale")
        if problems:
            raise CheckFailed("\n  ".join(problems))

    def check_loop_failures(self, ctx):
        """The metric loop's commands must not fail for any reason but the kill."""
        problems = []
        for line in self.log_lines(os.path.join(ctx["rdir"], "metric.log")):
            f = line.split()
            if f[0] == "FAIL" and not self.killed_rc(f[2]):
                problems.append(f"metric loop: {line}: {self.tail(ctx['rdir'], 'metric.err')}")
        if problems:
            raise CheckFailed("\n  ".join(problems))

    # -- 2, 3 --------------------------------------------------------------------------------------
    def check_objects(self):
        root = os.path.join(self.proj, ".mlt", "objects")
        problems = []
        for d, _, files in os.walk(root):
            for fn in files:
                p = os.path.join(d, fn)
                rel = os.path.relpath(p, root)
                if not OBJ_NAME.match(rel):
                    problems.append(f"{rel}: not an object name (a temporary file in the store?)")
                    continue
                why = object_problem(p, rel.replace("/", ""))
                if why:
                    problems.append(f"{rel}: {why}")
        if problems:
            raise CheckFailed(f"{len(problems)} bad object files:\n  " + "\n  ".join(problems[:20]))

    def check_fsck(self):
        p = self.mlt("--json", "fsck", "--full", ok=False)
        if p.returncode != 0:
            raise CheckFailed(f"'mlt fsck --full' exited {p.returncode}\n  stdout: {p.stdout.strip()[:3000]}"
                              f"\n  stderr: {p.stderr.strip()[:2000]}")

    def check_gc(self):
        tmp = os.path.join(self.proj, ".mlt", "tmp")
        before = sorted(os.listdir(tmp))
        self.stats["tmp_entries_left_by_kills"] = self.stats.get("tmp_entries_left_by_kills", 0) + len(before)
        time.sleep(0.01)  # every leftover is now older than a grace of 0
        p = self.mlt("--json", "gc", "--grace", "0")
        rep = json.loads(p.stdout)
        left = sorted(os.listdir(tmp))
        if left:
            raise CheckFailed(f"'mlt gc --grace 0' left {len(left)} files in .mlt/tmp: {left[:5]} "
                              f"(it reported temp_removed={rep.get('temp_removed')})")
        if rep.get("temp_removed") != len(before):
            raise CheckFailed(f".mlt/tmp held {len(before)} entries, gc reported temp_removed="
                              f"{rep.get('temp_removed')}")
        # gc removed only garbage: every reference still resolves
        self.mlt("fsck", what="after gc: a referenced object was removed?")

    def check_all_summaries(self):
        """For every run: the summary equals the aggregate of the points; crash streams are 0..k-1."""
        con = self.db()
        try:
            rows = con.execute(
                "SELECT r.name, k.key, s.count, s.last_step, s.min_value, s.max_value, a.n, a.maxstep, a.minv, "
                "a.maxv, a.nsteps, a.minstep FROM metric_summary s JOIN runs r ON r.id = s.run_id "
                "JOIN metric_keys k ON k.id = s.key_id LEFT JOIN (SELECT run_id, key_id, count(*) n, "
                "max(step) maxstep, min(value) minv, max(value) maxv, count(DISTINCT step) nsteps, min(step) minstep "
                "FROM metric_points GROUP BY run_id, key_id) a ON a.run_id = s.run_id AND a.key_id = s.key_id"
            ).fetchall()
            orphans = con.execute(
                "SELECT count(*) FROM (SELECT DISTINCT run_id, key_id FROM metric_points) p "
                "LEFT JOIN metric_summary s ON s.run_id = p.run_id AND s.key_id = p.key_id "
                "WHERE s.run_id IS NULL").fetchone()[0]
        finally:
            con.close()
        problems = []
        if orphans:
            problems.append(f"{orphans} (run, key) pairs have points but no summary")
        for name, key, cnt, lstep, mn, mx, n, maxstep, minv, maxv, nsteps, minstep in rows:
            if (cnt, lstep, mn, mx) != (n, maxstep, minv, maxv):
                problems.append(f"run '{name}' key '{key}': summary (count, last_step, min, max) = "
                                f"{(cnt, lstep, mn, mx)}, points {(n, maxstep, minv, maxv)}")
            elif re.fullmatch(r"c\d{4}(w\d|metric)", name) and (nsteps != n or minstep != 0 or maxstep != n - 1):
                problems.append(f"run '{name}' key '{key}': {n} points, {nsteps} distinct steps, {minstep}..{maxstep}")
        if problems:
            raise CheckFailed(f"{len(problems)} problems:\n  " + "\n  ".join(problems[:20]))

    # -- 6 -----------------------------------------------------------------------------------------
    def check_works(self, ctx):
        tag = ctx["tag"]
        self.mlt("run", "-n", f"{tag}probe", "--no-git", "--", "true")
        self.mlt("log", "metric", "probe=1", "--run", f"{tag}probe")
        self.mlt("runs", "--limit", "5")
        if ctx.get("stale"):
            # what 'mlt run show' advises for a stale run
            run = ctx["stale"][0]
            self.mlt("run", "end", run, "--status", "killed")
            st = self.query("SELECT status FROM runs WHERE uuid = ?", run)
            if st != [("KILLED",)]:
                raise CheckFailed(f"'mlt run end {run[:8]} --status killed' of a stale run left it {st}")

    # -- helpers -----------------------------------------------------------------------------------
    @staticmethod
    def killed_rc(rc):
        """The exit status of a command killed by a signal (SIGKILL from us): 128+N in sh."""
        return rc.lstrip("-").isdigit() and int(rc) >= 128

    @staticmethod
    def log_lines(path):
        try:
            with open(path, errors="replace") as f:
                return [ln for ln in f.read().splitlines() if ln.strip()]
        except FileNotFoundError:
            return []

    @staticmethod
    def tail(rdir, name, path=None):
        try:
            with open(path or os.path.join(rdir, name), errors="replace") as f:
                t = f.read().strip()
            return (t[-800:] if t else "(no stderr)")
        except FileNotFoundError:
            return "(no stderr)"

    @staticmethod
    def ranges(vs):
        if not vs:
            return "none"
        out, start, prev = [], vs[0], vs[0]
        for v in vs[1:] + [None]:
            if v is not None and v == prev + 1:
                prev = v
                continue
            out.append(f"{start}" if start == prev else f"{start}-{prev}")
            if v is not None:
                start = prev = v
        return ",".join(out) if len(out) < 12 else ",".join(out[:12]) + ",..."

    @staticmethod
    def tree_of(root):
        out = {}
        for d, _, files in os.walk(root):
            for fn in files:
                p = os.path.join(d, fn)
                with open(p, "rb") as f:
                    out[os.path.relpath(p, root)] = f.read()
        return out


# ------------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description="Crash-consistency driver for mlt: mixed workloads, SIGKILL, checks.")
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: random; always printed)")
    ap.add_argument("--rounds", type=int, default=50, help="rounds (kills) to run (default 50)")
    ap.add_argument("--mlt", default=os.environ.get("MLT_BIN"), help="the mlt binary (default $MLT_BIN)")
    ap.add_argument("--keep", action="store_true", help="keep the project directory when a round fails")
    ap.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    ap.add_argument("--min-sleep-ms", type=float, default=50, help="earliest kill after the start (default 50)")
    ap.add_argument("--max-sleep-ms", type=float, default=1200, help="latest kill after the start (default 1200)")
    ap.add_argument("--min-lines", type=int, default=300, help="fewest lines per streaming writer (default 300)")
    ap.add_argument("--max-lines", type=int, default=6000, help="most lines per streaming writer (default 6000)")
    ap.add_argument("--child-kill-rate", type=float, default=0.0,
                    help="fraction of rounds in which the commands under the 'mlt run' writers are SIGKILLed "
                         "300 ms before the group, so that mlt outlives its trainer (default 0)")
    ap.add_argument("--rounds-per-project", type=int, default=0,
                    help="start a fresh project every N rounds (soak; default 0: one project for all rounds)")
    ap.add_argument("--global-every", type=int, default=10,
                    help="check every run's summaries every N rounds and at the end (default 10; 0: never)")
    ap.add_argument("--workdir", default=None, help="where to make the scratch directory (default $TMPDIR)")
    ap.add_argument("--keep-going", action="store_true", help="go on after a failing round")
    ap.add_argument("--keep-rounds", action="store_true", help="keep every round's logs and the project, failing or not")
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per round about the kill")
    a = ap.parse_args()
    if not a.mlt:
        ap.error("no mlt binary: pass --mlt PATH or set MLT_BIN")
    if a.seed is None:
        a.seed = random.SystemRandom().randrange(1, 2**31)
    if a.min_sleep_ms > a.max_sleep_ms or a.min_lines > a.max_lines or a.min_lines < 1:
        ap.error("bad ranges")
    extra = []
    for opt, default in (("child_kill_rate", 0.0), ("min_sleep_ms", 50), ("max_sleep_ms", 1200), ("min_lines", 300), ("max_lines", 6000),
                         ("rounds_per_project", 0), ("global_every", 10)):
        if getattr(a, opt) != default:
            extra += [f"--{opt.replace('_', '-')}", str(getattr(a, opt))]

    def repro(rounds):
        return shlex.join(["/usr/bin/python3", os.path.abspath(__file__), "--seed", str(a.seed), "--rounds",
                           str(rounds), "--mlt", os.path.abspath(a.mlt), *extra, "--keep"])

    log(f"crash.py: seed {a.seed}, {a.rounds} rounds, mlt {os.path.abspath(a.mlt)}")
    log(f"crash.py: reproduce with: {repro(a.rounds)}")
    set_child_subreaper()

    def terminated(signum, frame):   # SIGTERM (pkill, a timeout) ends the run as SIGINT does:
        raise KeyboardInterrupt       # the round's process group is killed, not left running
    signal.signal(signal.SIGTERM, terminated)
    d = Driver(a)
    d.wait_for_binary()
    t0 = time.monotonic()
    failed_round = None
    try:
        d.round = 0
        d.new_project()
        for r in range(1, a.rounds + 1):
            ok, killed_after, nkilled, dt = d.run_round(r)
            log(f"round {r}/{a.rounds}: kill after {killed_after:.0f} ms, {nkilled} processes, "
                f"{dt:.2f} s{'' if ok else ', FAILED'}")
            if not ok:
                failed_round = failed_round or r
                if not a.keep_going:
                    break
    except CheckFailed as e:   # the setup of a round failed: as good as a failed check
        d.stats["failures"].append({"round": d.round, "check": "setup", "message": str(e)})
        failed_round = failed_round or d.round
        log(f"  FAIL [setup] {e}")
    except KeyboardInterrupt:
        log("crash.py: interrupted")
        failed_round = failed_round or d.round
    elapsed = time.monotonic() - t0
    s = d.stats
    spr = s["seconds_per_round"]
    summary = {
        "seed": a.seed, "rounds": s["rounds"], "kills_sent": s["kills_sent"],
        "processes_killed": s["processes_killed"], "checks_run": s["checks_run"],
        "failures": s["failures"], "seconds": round(elapsed, 2),
        "seconds_per_round": round(sum(spr) / len(spr), 3) if spr else None,
        "kill_after_ms_mean": round(sum(s["workload_ms"]) / len(s["workload_ms"]), 1) if s["workload_ms"] else None,
        "tmp_entries_left_by_kills": s.get("tmp_entries_left_by_kills", 0),
        "rounds_binary_replaced": s.get("rounds_binary_replaced", 0),
        "reproduce": repro(failed_round) if failed_round else repro(a.rounds),
        "project": None,
    }
    if (failed_round and a.keep) or a.keep_rounds:
        summary["project"] = d.proj
        log(f"crash.py: project kept: {d.proj} (round logs in {d.rounds_dir})")
    else:
        shutil.rmtree(d.scratch, ignore_errors=True)
    if a.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"seed {a.seed}: {s['rounds']} rounds, {s['kills_sent']} kills, {s['processes_killed']} processes "
              f"killed, {s['checks_run']} checks, {len(s['failures'])} failures, {elapsed:.1f} s "
              f"({summary['seconds_per_round']} s per round)")
    if a.verbose:
        log("seconds per check, all rounds: " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(
            d.check_seconds.items(), key=lambda kv: -kv[1])))
    if failed_round:
        log(f"crash.py: FAILED in round {failed_round} (seed {a.seed}); reproduce with:\n  {repro(failed_round)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
