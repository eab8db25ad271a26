"""make bench-shards: the driver's ceiling with 1, 2 and 4 shards beside one process with the same total clients.

A prepared `SELECT 1`, closed loop, 32 clients in all, on the local server: one process (`--threads 2`), then the
same run as 2 and as 4 shards (`--shard i/N --threads 1`, started together with `--start-at`, merged with
`tripbench merge`), in rotating order over ROUNDS rounds. On two cores shards cannot add throughput; the figure
shows what splitting costs. Prints requests/s per round and the medians.

Usage: bench_shards.py TRIPBENCH (env: DURATION seconds, default 10; ROUNDS, default 3)
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

tripbench = sys.argv[1]
DURATION = int(os.environ.get("DURATION", 10))
ROUNDS = int(os.environ.get("ROUNDS", 3))
CLIENTS = 32


def run_shards(count):
    out = tempfile.mkdtemp(prefix=f"bench-shards-{count}-")
    start = f"{time.time() + 5:.3f}"
    threads = "2" if count == 1 else "1"
    processes = []
    for index in range(count):
        shard = [] if count == 1 else ["--shard", f"{index}/{count}", "--start-at", start]
        processes.append(subprocess.Popen(
            [tripbench, "run", "select1", "--clients", str(CLIENTS), "--threads", threads, "--duration", f"{DURATION}s", "--warmup", "2s",
             "--quiet", "--out", os.path.join(out, f"shard-{index}"), *shard], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    for process in processes:
        _, errors = process.communicate()
        if process.returncode != 0:
            sys.exit(f"bench-shards: a shard failed ({process.returncode}): {errors.strip().splitlines()[-1:]}")
    report = os.path.join(out, "shard-0")
    if count > 1:
        report = os.path.join(out, "merged")
        subprocess.run([tripbench, "merge", *[os.path.join(out, f"shard-{i}") for i in range(count)], "--expect-shards", str(count), "--out", report],
                       check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(report, "report.json")) as file:
        totals = json.load(file)["totals"][0]
    return totals["qps"], totals["count"]


subprocess.run([tripbench, "db", "up"], check=True, stdout=subprocess.DEVNULL)
counts = (1, 2, 4)
results = {count: [] for count in counts}
for round_ in range(ROUNDS):
    for step in range(len(counts)):
        count = counts[(round_ + step) % len(counts)]
        results[count].append(run_shards(count)[0])
print(f"### SELECT 1, {CLIENTS} closed-loop clients in all, {DURATION} s, {ROUNDS} rounds in rotating order\n")
print("| processes | threads each | requests/s (rounds) | median | ratio to one process |")
print("|--:|--:|--|--:|--:|")
one = statistics.median(results[1])
for count in counts:
    median = statistics.median(results[count])
    print(f"| {count} | {2 if count == 1 else 1} | {', '.join(f'{q:,.0f}' for q in results[count])} | {median:,.0f} | {median / one:.2f} |")
