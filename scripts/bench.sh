#!/usr/bin/env bash
# make bench: the main job. For now it brings up the local server, creates the TripSage schema and
# prints it; the benchmark itself arrives with the workload issues.
set -euo pipefail
cd "$(dirname "$0")/.."

tripbench=.build/release/tripbench
if [ -n "${DATABASE_URL:-}" ]; then
    echo "make bench: using DATABASE_URL (the local server is not started)"
else
    "$tripbench" db up >/dev/null
fi
"$tripbench" db migrate
"$tripbench" db migrate --status
"$tripbench" db status
echo "make bench: the server keeps running; stop it with $tripbench db down"
