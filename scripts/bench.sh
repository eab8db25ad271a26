#!/usr/bin/env bash
# make bench: the main job. Brings up the local server (unless DATABASE_URL names one), generates the
# dataset (BENCH_DATASET, default small) with its exact ground truth, loads it with the architecture's HNSW
# index (m 16, ef_construction 200), then runs the architecture document's mixed workload at its promised
# 471 requests/s (scenarios/tripsage-mixed.yaml) and writes its report.json. Pass/fail against the targets
# arrives with the reporting issue.
set -euo pipefail
cd "$(dirname "$0")/.."

tripbench=.build/release/tripbench
dataset="${BENCH_DATASET:-small}"
if [ -n "${DATABASE_URL:-}" ]; then
    echo "make bench: using DATABASE_URL (the local server is not started)"
else
    "$tripbench" db up >/dev/null
fi
"$tripbench" generate --dataset "$dataset"
"$tripbench" load --dataset "$dataset" --m 16 --ef-construction 200
"$tripbench" db status
"$tripbench" run tripsage-mixed --dataset "$dataset" --quiet
echo "make bench: the server keeps running; stop it with $tripbench db down"
