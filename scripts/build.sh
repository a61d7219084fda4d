#!/usr/bin/env bash
# Configures and builds mlt in build/ with two parallel jobs: every target, or the ones named.
# This is the test build: it has the reliability suite's failpoints built in (a release build
# leaves MLT_FAILPOINTS at its default, OFF).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMLT_FAILPOINTS=ON -DMLT_TSAN_STORE=ON >/dev/null
if [ $# -gt 0 ]; then cmake --build build -j2 --target "$@"; else cmake --build build -j2; fi
