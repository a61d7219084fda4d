#!/usr/bin/env bash
# Quick start, command 2: install what is missing, build, and run every test: first in the normal
# build, then again under AddressSanitizer and UndefinedBehaviorSanitizer with the fuzz targets
# (scripts/sanitize.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
(cd build && ctest --output-on-failure -j2)
scripts/sanitize.sh
