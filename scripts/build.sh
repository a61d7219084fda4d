#!/usr/bin/env bash
# Configures and builds mlt in build/ with two parallel jobs: every target, or the ones named.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
if [ $# -gt 0 ]; then cmake --build build -j2 --target "$@"; else cmake --build build -j2; fi
