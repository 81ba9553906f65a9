#!/usr/bin/env bash
# Regenerates every figure of docs/results.md from a built checkout
# (mvn -B -q -DskipTests package first). Takes about a minute on 2 cores.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out=docs/results
./isochron compare scenarios/paper-example.yaml \
  --policies shortest-queue,interference-aware,interference-aware:25,interference-aware:50,edf-refinement \
  --out "$out/paper-example" > "$out/paper-example/table.txt"
for o in 0 25 50 100; do
  ./isochron evaluate --scenarios 1000 --loads 0.5,0.7,0.9 --policy "interference-aware:$o" > "$out/evaluate-ia$o.txt"
  ./isochron evaluate --scenarios 1000 --loads 0.5,0.7,0.9 --policy "interference-aware:$o" --json > "$out/evaluate-ia$o.json"
done
python3 "$out/summary.py" "$out"/evaluate-ia{0,25,50,100}.json > "$out/summary.md"
