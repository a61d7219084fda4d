#!/usr/bin/env bash
# The sanitizer pass of the test suite (scripts/test.sh runs it after the normal build's tests):
# mlt, its unit tests and the libFuzzer targets built with clang under AddressSanitizer and
# UndefinedBehaviorSanitizer, with failpoints, in build-asan/; then every CTest entry there: the
# unit and CLI suites (all but three, see below), the crash and failpoint tests, each fuzz corpus
# replayed, and each fuzz target run for MLT_FUZZ_SECONDS (default 20). Any sanitizer report
# fails its test.
set -euo pipefail
cd "$(dirname "$0")/.."
CC=clang CXX=clang++ cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS=-O1 -DCMAKE_C_FLAGS=-O1 \
  -DMLT_STATIC_DEPS=OFF -DMLT_SANITIZE=address,undefined -DMLT_FUZZ=ON -DMLT_FAILPOINTS=ON \
  -DMLT_FUZZ_SECONDS="${MLT_FUZZ_SECONDS:-20}" >/dev/null
cmake --build build-asan -j2
supp="$PWD/tests/sanitizers/lsan.supp"
cd build-asan
# halt_on_error: a UBSan finding ends the process with a failure instead of a line on stderr that
# a test might not look at. Leak checking stays on: mlt's one-shot processes must not leak either.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$supp:print_suppressions=0}"   # third-party leaks only
# the crash driver's rounds are the slowest under the sanitizers: the normal pass runs 50
export MLT_CRASH_ROUNDS="${MLT_CRASH_ROUNDS:-25}"
# Not here: the suites of the manual (t_docs), the package (t_install) and the shell completion
# scripts (t_completion: mostly bash, zsh and fish at work; `mlt __complete` itself is in the unit
# tests) take a quarter of the time and meet little code the others do not; the normal pass runs them.
ctest --output-on-failure -j2 -E '^cli\.(t_docs|t_install|t_completion)$' "$@"
