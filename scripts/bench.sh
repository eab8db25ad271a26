#!/usr/bin/env bash
# make bench: the main job. Brings up the local server (unless DATABASE_URL names one), generates the
# dataset (BENCH_DATASET, default small) with its exact ground truth, loads it with the architecture's HNSW
# index (m 16, ef_construction 200) and prints the schema. The workload run and its reports arrive with the
# workload and reporting issues.
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
"$tripbench" db migrate --status
"$tripbench" db status
echo "make bench: the server keeps running; stop it with $tripbench db down"
