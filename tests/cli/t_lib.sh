#!/usr/bin/env bash
# The harness itself (lib.sh): a skipped case is reported as "skip", never "ok", and counted
# apart; a case that failed a check before skipping still fails; the summary line and the exit
# code follow. Runs small suites of its own under bash and checks what they print.
LIB="$(cd "$(dirname "$0")" && pwd -P)/lib.sh"
. "$LIB"

# suite NAME BODY: writes a suite that sources lib.sh and runs BODY, then runs it.
suite() {
  printf '. %q\n%s\nfinish\n' "$LIB" "$2" >"$T/$1.sh"
  run_cmd env MLT_BIN="$MLT_BIN" bash "$T/$1.sh"
}

t "skip: the case prints 'skip  NAME (REASON)', is not counted as passed, and the suite passes"
suite skipped '
t "runs"
expect_eq "one" 1 1
t "cannot run here"
skip "frobnicator is not installed"
expect_eq "not reached as a failure" 1 1'
expect_rc 0
expect_out_contains "ok    runs"
expect_out_contains "skip  cannot run here (frobnicator is not installed)"
expect_out_not_contains "ok    cannot run here"
expect_out_contains "1 passed, 0 failed, 1 skipped"

t "skip after a failed check: the case fails, the suite exits 1"
suite failed '
t "fails then skips"
expect_eq "a value" 1 2
skip "too late"'
expect_rc 1
expect_out_contains "FAIL  fails then skips"
expect_out_not_contains "skip  fails then skips"
expect_out_contains "0 passed, 1 failed"

t "no skipped case: the summary line is the usual one"
suite plain '
t "runs"
expect_eq "one" 1 1'
expect_rc 0
expect_out_contains "1 passed, 0 failed"
expect_out_not_contains "skipped"

t "skip outside a test case is a harness error (exit 2)"
suite outside 'skip "why"'
expect_rc 2
expect_err_contains "skip outside a test case"

finish
