"""make bench-feeds: realtime change feeds on this machine.

1. Lag at the architecture's load: tripsage-feeds (the read mix at 471/s, create_trip, chat messages at 50/s,
   memories at 20/s) with 0, 1, 10 and 50 logical replication subscribers on trips and chat_messages: change_lag
   (commit to arrival) percentiles, per-subscriber P95 range, what the writes and reads took beside it, and
   time_to_searchable of the sampled memory inserts.
2. The write ceiling: feed-write-ceiling offers chat messages beyond capacity; insert_message's served rate with
   0, 1, 10 and 50 subscribers, in two rounds of opposite order (drift cancels), as a ratio to none.

Usage: bench_feeds.py TRIPBENCH [SECONDS]; figures go to stdout as Markdown. BENCH_FEEDS=lag or ceiling runs
one part only.
"""
import json
import os
import subprocess
import sys

tripbench = sys.argv[1]
seconds = sys.argv[2] if len(sys.argv) > 2 else "30"
counts = [0, 1, 10, 50]
os.makedirs(".build/bench", exist_ok=True)


def run(scenario, subscribers, duration):
    out = f".build/bench/{scenario}-{subscribers}"
    result = subprocess.run(
        [tripbench, "run", scenario, "--subscribers", str(subscribers), "--duration", duration, "--quiet", "--out", out],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if result.returncode not in (0, 1):
        sys.exit(f"{scenario} with {subscribers} subscribers failed ({result.returncode}): {result.stderr.strip().splitlines()[-1:]}")
    with open(os.path.join(out, "report.json")) as file:
        return json.load(file)


def operation(report, name):
    return next((o for o in report["operations"] if o["operation"] == name and o["target"] == "postgres"), None)


def ms(micros):
    return f"{micros / 1000:.1f}"


parts = os.environ.get("BENCH_FEEDS", "lag ceiling").split()
subprocess.run([tripbench, "db", "up"], check=True, stdout=subprocess.DEVNULL)


def lag():
    print(f"### Lag at the architecture's load (tripsage-feeds, {seconds} s measured)\n")
    print("| subscribers | change_lag P50 / P95 / P99 / max (ms) | per-subscriber P95 (ms) | transactions each | insert_message P95 (ms) | vector_search P95 (ms) | time_to_searchable P50 / P95 (ms), not found | errors |")
    print("|--:|--|--|--:|--:|--:|--|--:|")
    for count in counts:
        report = run("tripsage-feeds", count, f"{seconds}s")
        delivered, feed = operation(report, "change_lag"), report.get("change_feed")
        messages, search, probe = operation(report, "insert_message"), operation(report, "vector_search"), operation(report, "time_to_searchable")
        errors = sum(o["errors"] for o in report["operations"] if o["target"] == "postgres" and o["kind"] not in ("change_feed",) and o["operation"] != "time_to_searchable")
        if delivered and feed:
            kept = [s for s in feed["per_subscriber"] if not s.get("lost")]
            p95s = [s["lag_us"]["p95"] for s in kept]
            received = sorted({s["transactions"] for s in kept})
            lag_text = " / ".join(ms(delivered["latency_us"][k]) for k in ("p50", "p95", "p99", "max"))
            spread = f"{ms(min(p95s))}–{ms(max(p95s))}"
            each = "–".join(str(r) for r in received) + (f" ({feed['slots_left']} slots left)" if feed["slots_left"] else "")
        else:
            lag_text, spread, each = "—", "—", "—"
        searchable = f"{ms(probe['latency_us']['p50'])} / {ms(probe['latency_us']['p95'])}, {probe['errors']} of {probe['count']}" if probe else "—"
        print(f"| {count} | {lag_text} | {spread} | {each} | {ms(messages['latency_us']['p95'])} | {ms(search['latency_us']['p95'])} | {searchable} | {errors} |")


def ceiling():
    print(f"\n### Write ceiling (feed-write-ceiling: chat messages offered at 40,000/s on 16 sessions, 20 s measured, two rounds)\n")
    served = {count: [] for count in counts}
    lag = {count: [] for count in counts}
    for count in counts + counts[::-1]:
        report = run("feed-write-ceiling", count, "20s")
        served[count].append(operation(report, "insert_message")["qps"])
        delivered = operation(report, "change_lag")
        lag[count].append(ms(delivered["latency_us"]["p95"]) if delivered else "—")
    base = sum(served[0]) / len(served[0])
    print("| subscribers | inserts/s served (round 1, round 2) | ratio to none | change_lag P95 (ms, rounds 1, 2) |")
    print("|--:|--|--:|--|")
    for count in counts:
        mean = sum(served[count]) / len(served[count])
        print(f"| {count} | {mean:.0f} ({', '.join(f'{v:.0f}' for v in served[count])}) | {mean / base:.2f} | {', '.join(lag[count])} |")


if "lag" in parts:
    lag()
if "ceiling" in parts:
    ceiling()
