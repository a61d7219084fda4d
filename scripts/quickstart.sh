#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build, and track a real training run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh mlt mlt-example-train
mlt="$PWD/build/mlt"
demo="$PWD/build/demo"
"$mlt" init "$demo"
cd "$demo"
echo
echo "== mlt run -- mlt-example-train (a logistic regression from examples/)"
"$mlt" run -e demo -n lr-0.1 -- "$OLDPWD/build/examples/mlt-example-train" --epochs 20 --lr 0.1 >/dev/null
"$mlt" run -e demo -n lr-0.5 -- "$OLDPWD/build/examples/mlt-example-train" --epochs 20 --lr 0.5
echo
echo "== mlt runs -e demo"
"$mlt" runs -e demo
echo
latest=$("$mlt" --json runs -e demo -n 1 | jq -r '.runs[0].id')
echo "== mlt run show ${latest:0:8}"
"$mlt" run show "$latest"
echo
echo "The demo project is in build/demo: cd build/demo && ../mlt runs"
