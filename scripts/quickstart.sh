#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build, and follow a real training run from
# its data to a deployable model: version the data, train twice as tracked runs, register the
# better model, render Kubernetes manifests pinned to its digest, and show its lineage.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh mlt mlt-example-train
mlt="$PWD/build/mlt"
train="$PWD/build/examples/mlt-example-train"
demo="$PWD/build/demo"
export PATH="$PWD/build:$PATH"   # the trainer calls `mlt model save` inside its run
"$mlt" init "$demo"
cd "$demo"
mkdir -p data
"$train" --write-data data/train.csv --samples 2000

echo
echo "== mlt data add data/train.csv -n train"
"$mlt" data add data/train.csv -n train -m "synthetic, 2000 rows" --no-git-tag

echo
echo "== mlt run --input train@latest -- mlt-example-train (a logistic regression from examples/)"
"$mlt" run -e demo -n lr-0.1 --input train=train@latest -- "$train" --data data/train.csv --epochs 20 --lr 0.1 \
  --save model.json >/dev/null
"$mlt" run -e demo -n lr-0.5 --input train=train@latest -- "$train" --data data/train.csv --epochs 20 --lr 0.5 \
  --save model.json

echo
echo "== mlt runs -e demo -s 'metrics.val_loss ASC'"
"$mlt" runs -e demo -s 'metrics.val_loss ASC' --columns metrics.val_loss,metrics.val_accuracy,params.lr
best=$("$mlt" --json runs -e demo -s 'metrics.val_loss ASC' --limit 1 | jq -r '.runs[0].id')

echo
echo "== mlt registry register runs:/${best:0:8}/model demo-logreg, alias champion"
version=$("$mlt" registry register "runs:/$best/model" demo-logreg -d "best val_loss of the demo")
"$mlt" registry alias demo-logreg champion "$version"
"$mlt" registry show demo-logreg@champion

echo
echo "== mlt deploy render models:/demo-logreg@champion --target kubernetes -o deploy"
"$mlt" deploy render models:/demo-logreg@champion --target kubernetes -o deploy --force
ls deploy

echo
echo "== mlt lineage models:/demo-logreg@champion"
"$mlt" lineage models:/demo-logreg@champion

echo
echo "The demo project is in build/demo: cd build/demo && ../mlt runs"
