# lib.sh: the harness every tests/cli/t_<group>.sh sources.
#
# A suite drives the built `mlt` binary exactly as a user would, in a pinned environment and a
# scratch directory of its own, and checks stdout, stderr and the exit code of every command.
#
#   . "$(dirname "$0")/lib.sh"
#   t "init creates a project"            # starts a named test case
#   new_project p                         # mkdir $T/p, cd into it, mlt init (must succeed)
#   run_mlt runs --format csv             # stdout -> $out, stderr -> $err, exit code -> $rc
#   expect_rc 0
#   expect_out_contains "id,name"
#   run_mlt --json run show foo
#   expect_json .status RUNNING           # jq -rc EXPR on $out equals EXPECTED
#   skip "zsh is not installed"           # the case cannot run here: "skip", never "ok"
#   finish                                # prints "N passed, M failed[, K skipped]" and exits
#
# Commands run with stdin from /dev/null and their output in files, never through a pipe, so
# that the exit code is the command's own. A test case passes when all its checks pass; each
# failed check prints the test name, the command, expected vs actual, stdout and stderr. The
# scratch directory ($T) is removed when the suite passes and kept (its path printed) when not.
#
# Environment: MLT_BIN (the mlt binary), MLT_EXAMPLE_TRAIN (the example trainer), MLT_SHARED.

if [ -z "${BASH_VERSION:-}" ]; then
  echo "lib.sh: run the suites with bash" >&2
  exit 2
fi

# ---------------------------------------------------------------------------------------------
# Preconditions

lib_die() {
  echo "lib.sh: $*" >&2
  exit 2
}

[ -n "${MLT_BIN:-}" ] || lib_die "MLT_BIN is not set (the path of the built mlt binary; CTest sets it)"
case "$MLT_BIN" in /*) ;; *) MLT_BIN="$PWD/$MLT_BIN" ;; esac
[ -x "$MLT_BIN" ] || lib_die "MLT_BIN '$MLT_BIN' is not an executable file"
if [ -n "${MLT_EXAMPLE_TRAIN:-}" ]; then
  case "$MLT_EXAMPLE_TRAIN" in /*) ;; *) MLT_EXAMPLE_TRAIN="$PWD/$MLT_EXAMPLE_TRAIN" ;; esac
fi
command -v jq >/dev/null 2>&1 ||
  lib_die "jq is required by the CLI tests and is not installed (Debian: apt-get install jq)"

# ---------------------------------------------------------------------------------------------
# Pinned environment: nothing of the caller's leaks in.

for lib_v in $(compgen -e); do
  case "$lib_v" in
    MLT_BIN | MLT_EXAMPLE_TRAIN | MLT_SHARED) ;;
    MLT_*) unset "$lib_v" ;;
  esac
done
unset lib_v
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY GIT_CEILING_DIRECTORIES \
  GIT_CONFIG GIT_CONFIG_GLOBAL GIT_CONFIG_COUNT GIT_NAMESPACE CDPATH 2>/dev/null

T="$(mktemp -d "${TMPDIR:-/tmp}/mlt-cli-$(basename "$0" .sh).XXXXXX")" || lib_die "mktemp -d failed"
T="$(cd "$T" && pwd -P)"
export TZ=UTC LC_ALL=C LANG=C
export HOME="$T/home"
export XDG_CONFIG_HOME="$HOME/.config" XDG_DATA_HOME="$HOME/.local/share" XDG_CACHE_HOME="$HOME/.cache"
export USER=mlt-tester LOGNAME=mlt-tester
export GIT_AUTHOR_NAME="Mlt Tester" GIT_AUTHOR_EMAIL="tester@example.com"
export GIT_COMMITTER_NAME="Mlt Tester" GIT_COMMITTER_EMAIL="tester@example.com"
export GIT_AUTHOR_DATE="2024-01-02T03:04:05Z" GIT_COMMITTER_DATE="2024-01-02T03:04:05Z"
export GIT_CONFIG_NOSYSTEM=1
export NO_COLOR=1
export MLT_BIN MLT_EXAMPLE_TRAIN MLT_SHARED
mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$T/bin" "$T/.lib"
ln -s "$MLT_BIN" "$T/bin/mlt"             # `mlt` on PATH, for child commands and the trainer
export PATH="$T/bin:$PATH"
cd "$T" || lib_die "cannot cd to '$T'"
exec 3>&1                                  # failure reports: the suite's stdout, even from $(...)

# A base for pinned clocks (MLT_NOW_MS=$((T0_MS + N)) mlt ...): plain epoch milliseconds.
# shellcheck disable=SC2034  # used by the suites
T0_MS=1700000000000                        # 2023-11-14T22:13:20.000Z

# ---------------------------------------------------------------------------------------------
# Bookkeeping

lib_passed=0
lib_failed=0
lib_test=""            # the current test case's name
lib_test_failed=0      # checks failed in the current case
lib_test_skipped=""    # why the current case was skipped (see skip), or empty
lib_skipped=0
lib_failed_names=()
lib_bg_pids=()         # background processes started by this suite (killed at exit)
lib_finished=0
last_cmd=""
out=""
err=""
rc=""

lib_close_test() {
  [ -n "$lib_test" ] || return 0
  lib_fold_subshell_failures
  if [ "$lib_test_failed" -ne 0 ]; then
    lib_failed=$((lib_failed + 1))
    lib_failed_names+=("$lib_test")
    printf 'FAIL  %s\n' "$lib_test"
  elif [ -n "$lib_test_skipped" ]; then
    lib_skipped=$((lib_skipped + 1))
    printf 'skip  %s (%s)\n' "$lib_test" "$lib_test_skipped"
  else
    lib_passed=$((lib_passed + 1))
    printf 'ok    %s\n' "$lib_test"
  fi
  lib_test=""
  lib_test_failed=0
  lib_test_skipped=""
}

# skip REASON: the current test case could not run here (a tool is missing, the platform cannot
# do it). It is reported as "skip" with the reason, counted apart, and never as "ok"; a check that
# failed before the skip still fails it.
skip() {
  [ -n "$lib_test" ] || lib_die "skip outside a test case: $*"
  lib_test_skipped="${*:-no reason given}"
}

# t NAME: start a test case (ends the previous one).
t() {
  lib_close_test
  lib_test="$*"
  lib_test_failed=0
  cd "$T" || lib_die "cannot cd to '$T'"
}

lib_indent() {
  # print a captured stream indented, at most 40 lines
  local text="$1" n
  if [ -z "$text" ]; then
    printf '    (empty)\n'
    return
  fi
  n=$(printf '%s\n' "$text" | wc -l)
  printf '%s\n' "$text" | head -n 40 | sed 's/^/    | /'
  [ "$n" -le 40 ] || printf '    | ... (%d more lines)\n' $((n - 40))
}

# lib_show VALUE: a value for a failure message: 'as is' when it is one printable line, else %q.
lib_show() {
  if [[ "$1" =~ ^[[:print:]]*$ ]]; then printf "'%s'" "$1"; else printf '%q' "$1"; fi
}

# fail WHAT EXPECTED ACTUAL: record a failed check with full context.
fail() {
  lib_test_failed=$((lib_test_failed + 1))
  {
    printf '\n--- FAIL: %s\n' "${lib_test:-(no test case)}"
    printf '  check:    %s\n' "$1"
    printf '  command:  %s\n' "${last_cmd:-(none)}"
    printf '  cwd:      %s\n' "$PWD"
    printf '  expected: %s\n' "$2"
    printf '  actual:   %s\n' "$3"
    printf '  exit:     %s\n' "${rc:-}"
    printf '  stdout:\n'
    lib_indent "$out"
    printf '  stderr:\n'
    lib_indent "$err"
    printf '\n'
  } >&3
}

# finish: close the last case, print "N passed, M failed", exit non-zero if any failed.
finish() {
  lib_close_test
  lib_finished=1
  if [ "$lib_failed" -gt 0 ]; then
    printf '\nfailed test cases:\n'
    printf '  %s\n' "${lib_failed_names[@]}"
  fi
  if [ "$lib_skipped" -gt 0 ]; then
    printf '%d passed, %d failed, %d skipped\n' "$lib_passed" "$lib_failed" "$lib_skipped"
  else
    printf '%d passed, %d failed\n' "$lib_passed" "$lib_failed"
  fi
  [ "$lib_failed" -eq 0 ] && exit 0
  exit 1
}

lib_on_exit() {
  local status=$?
  local p
  for p in "${lib_bg_pids[@]}"; do
    kill -KILL "$p" 2>/dev/null
  done
  cd / 2>/dev/null
  if [ "$lib_finished" -eq 1 ] && [ "$lib_failed" -eq 0 ] && [ "$status" -eq 0 ]; then
    rm -rf "$T"
  else
    if [ "$lib_finished" -eq 0 ]; then
      echo "lib.sh: suite $(basename "$0") ended early (exit $status) in test '${lib_test}'" >&2
      printf '%d passed, %d failed\n' "$lib_passed" "$((lib_failed + 1))"
    fi
    echo "lib.sh: scratch directory kept: $T" >&2
    [ "$status" -ne 0 ] || exit 1      # a suite that never reached 'finish' has not passed
  fi
}
trap lib_on_exit EXIT

# track_bg PID: a background process this suite started; killed if still alive at exit.
track_bg() { lib_bg_pids+=("$1"); }

# ---------------------------------------------------------------------------------------------
# Running commands

LIB_TIMEOUT=""
if command -v timeout >/dev/null 2>&1; then LIB_TIMEOUT="timeout -k 5 ${MLT_TEST_CMD_TIMEOUT_S:-120}"; fi

# run_cmd CMD [ARG]...: run any command; stdout -> $out, stderr -> $err, exit code -> $rc.
# The raw streams stay in $T/.lib/stdout and $T/.lib/stderr (byte-exact, trailing newlines kept).
run_cmd() {
  last_cmd="$(printf '%q ' "$@")"
  last_cmd="${last_cmd% }"
  # shellcheck disable=SC2086
  $LIB_TIMEOUT "$@" </dev/null >"$T/.lib/stdout" 2>"$T/.lib/stderr" 3>&-
  rc=$?
  out="$(cat "$T/.lib/stdout")"
  err="$(cat "$T/.lib/stderr")"
  return 0
}

# run_mlt ARG...: run the mlt binary under test.
run_mlt() {
  run_cmd "$MLT_BIN" "$@"
  last_cmd="mlt $(printf '%q ' "$@")"
  last_cmd="${last_cmd% }"
}

# run_mlt_stdin FILE ARG...: as run_mlt, with stdin from FILE.
run_mlt_stdin() {
  local in="$1"
  shift
  last_cmd="mlt $(printf '%q ' "$@") < $in"
  # shellcheck disable=SC2086
  $LIB_TIMEOUT "$MLT_BIN" "$@" <"$in" >"$T/.lib/stdout" 2>"$T/.lib/stderr" 3>&-
  rc=$?
  out="$(cat "$T/.lib/stdout")"
  err="$(cat "$T/.lib/stderr")"
  return 0
}

# must_mlt ARG...: a setup step that has to succeed (exit 0); its stdout is echoed, so
#   id=$(must_mlt run start)   works. A failure is reported against the current test case.
must_mlt() {
  local o e r
  o="$("$MLT_BIN" "$@" </dev/null 2>"$T/.lib/must_err" 3>&-)"
  r=$?
  if [ "$r" -ne 0 ]; then
    e="$(cat "$T/.lib/must_err")"
    last_cmd="mlt $(printf '%q ' "$@")"
    out="$o" err="$e" rc="$r"
    fail "setup command succeeds" "exit 0" "exit $r"
    # the caller may be inside $(...): record the failure where the parent shell sees it
    echo "$lib_test" >>"$T/.lib/subshell_failures"
  fi
  printf '%s\n' "$o"
  return "$r"
}

# Failures recorded inside a command substitution (a subshell) are folded back in here.
lib_fold_subshell_failures() {
  if [ -s "$T/.lib/subshell_failures" ]; then
    lib_test_failed=$((lib_test_failed + 1))
    : >"$T/.lib/subshell_failures"
  fi
}

# new_project NAME: a fresh project in $T/NAME, which becomes the working directory.
new_project() {
  mkdir -p "$T/$1"
  cd "$T/$1" || lib_die "cannot cd to '$T/$1'"
  must_mlt -q init >/dev/null
  lib_fold_subshell_failures
}

# ---------------------------------------------------------------------------------------------
# The store, seen from outside (t_damage, t_diskfull; t_store, t_model and t_artifact still have
# their own copies)

# hex FILE: the SHA-256 of FILE in hex.
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

# run_mlt_bin ARG...: as run_mlt, for commands printing binary data: $out only says how many
# bytes; the bytes themselves stay in $T/.lib/stdout.
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

# ---------------------------------------------------------------------------------------------
# Checks (each records a failure and carries on; none exits)

expect_rc() {
  lib_fold_subshell_failures
  [ "$rc" = "$1" ] || fail "exit code" "exit $1" "exit $rc"
}

expect_out_eq() {
  [ "$out" = "$1" ] || fail "stdout equals" "$(lib_show "$1")" "$(lib_show "$out")"
}

expect_err_eq() {
  [ "$err" = "$1" ] || fail "stderr equals" "$(lib_show "$1")" "$(lib_show "$err")"
}

expect_out_contains() {
  case "$out" in *"$1"*) ;; *) fail "stdout contains" "$1" "(not found)" ;; esac
}

expect_out_not_contains() {
  case "$out" in *"$1"*) fail "stdout does not contain" "no '$1'" "found" ;; *) ;; esac
}

expect_err_contains() {
  case "$err" in *"$1"*) ;; *) fail "stderr contains" "$1" "(not found)" ;; esac
}

expect_err_not_contains() {
  case "$err" in *"$1"*) fail "stderr does not contain" "no '$1'" "found" ;; *) ;; esac
}

expect_out_empty() { [ -z "$out" ] || fail "stdout is empty" "(empty)" "$(lib_show "$out")"; }
expect_err_empty() { [ -z "$err" ] || fail "stderr is empty" "(empty)" "$(lib_show "$err")"; }

# expect_out_match ERE / expect_err_match ERE: the whole stream matches a bash regex somewhere.
expect_out_match() { [[ "$out" =~ $1 ]] || fail "stdout matches /$1/" "a match" "(no match)"; }
expect_err_match() { [[ "$err" =~ $1 ]] || fail "stderr matches /$1/" "a match" "(no match)"; }

# expect_eq WHAT EXPECTED ACTUAL: a plain value comparison.
expect_eq() {
  [ "$2" = "$3" ] || fail "$1" "$(lib_show "$2")" "$(lib_show "$3")"
}

# jq_out EXPR: evaluate EXPR (jq -rc) on $out; prints the result, returns jq's status.
jq_out() { jq -rc "$1" <"$T/.lib/stdout" 2>"$T/.lib/jq_err"; }

# expect_json EXPR EXPECTED: jq -rc EXPR applied to stdout prints EXPECTED (strings raw,
# objects and arrays compact, null as null).
expect_json() {
  local v r
  v="$(jq_out "$1")"
  r=$?
  if [ "$r" -ne 0 ]; then
    fail "stdout is JSON and jq '$1' works" "$(lib_show "$2")" "jq failed: $(cat "$T/.lib/jq_err")"
    return
  fi
  [ "$v" = "$2" ] || fail "json $1" "$(lib_show "$2")" "$(lib_show "$v")"
}

# expect_err_json EXPR EXPECTED: as expect_json, on stderr (errors under --json).
expect_err_json() {
  local v r
  v="$(jq -rc "$1" <"$T/.lib/stderr" 2>"$T/.lib/jq_err")"
  r=$?
  if [ "$r" -ne 0 ]; then
    fail "stderr is JSON and jq '$1' works" "$(lib_show "$2")" "jq failed: $(cat "$T/.lib/jq_err")"
    return
  fi
  [ "$v" = "$2" ] || fail "stderr json $1" "$(lib_show "$2")" "$(lib_show "$v")"
}

# expect_json_valid: stdout is exactly one JSON document.
expect_json_valid() {
  local n
  n="$(jq -s 'length' <"$T/.lib/stdout" 2>"$T/.lib/jq_err")" ||
    { fail "stdout is JSON" "one JSON document" "not JSON: $(cat "$T/.lib/jq_err")"; return; }
  [ "$n" = 1 ] || fail "stdout is one JSON document" "1 document" "$n documents"
}

# lines_of TEXT: the number of lines in TEXT (0 for empty).
lines_of() {
  if [ -z "$1" ]; then echo 0; else printf '%s\n' "$1" | wc -l | tr -d ' '; fi
}

# expect_out_lines N: stdout has exactly N lines.
expect_out_lines() {
  local n
  n="$(lines_of "$out")"
  [ "$n" = "$1" ] || fail "stdout line count" "$1 lines" "$n lines"
}
