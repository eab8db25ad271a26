"""make profile-driver: the instructions each side of `make bench-driver` spends per request, counted by callgrind.

tripbench is counted with each of its drivers: `direct` (its own protocol code on libpq's socket, the default) and
`libpq` (libpq's PQsendQueryPrepared/PQgetResult, as pgbench).

Throughput on this shared 2-core VM moves by ±5-10 % from run to run; an instruction count does not. Both drivers
run the same prepared `SELECT 1`, closed loop, against the local server under `valgrind --tool=callgrind`, and
only their load-driving code is counted:
- tripbench: everything inside `PostgresWorker.run` (the load threads) but the once-a-second hand-over of the
  series and the final one (their cost follows wall time, which valgrind stretches about 50×);
- pgbench: everything inside `threadRun`.
Each is run twice, with N and 2N requests, and the difference is divided by N: what happens once per run
(pgbench connects inside threadRun) drops out. The count is split by where the instructions run: libpq, the
driver's own binary, libc, and the rest (the Swift runtime and the allocator).

Usage: scripts/profile_driver.py TRIPBENCH_PROFILE_BINARY   (built by make profile-driver with DWARF 4 debug
       information, which valgrind 3.19 can read; env: REQUESTS, default 20000; CLIENTS, default 8)
"""
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from bench_driver import ROOT, TIMEOUT, pg_bin, run  # noqa: E402

REQUESTS = int(os.environ.get("REQUESTS", 20000))
CLIENTS = int(os.environ.get("CLIENTS", 8))
THREADS = min(2, CLIENTS)
# Counting is toggled on entering and leaving each of these: on in the load threads' loop, off again in the
# once-a-second hand-over of the series and the final one inside it.
TRIPBENCH_TOGGLES = [
    "$s8Workload14PostgresWorkerC3runAA0C6ResultVyF", "*WorkerRecorderV6rollOn*", "*WorkerRecorderV6finishyyF",
]
PARTS = ("libpq", "driver", "libc", "runtime")
LINE = re.compile(r"^\s*([\d,]+)\s+(\S.*?)(?:\s+\[(.*)\])?\s*$")


def part(obj):
    """Which part of a driver an object file is: libpq, the driver's own binary (callgrind_annotate names no
    object for some of its compiler-generated functions), libc, or the rest (Swift runtime, allocator)."""
    name = os.path.basename(obj)
    if "libpq" in name:
        return "libpq"
    if not obj or name in ("tripbench", "pgbench"):
        return "driver"
    if name.startswith(("libc.so", "ld-linux", "libm.so")) or "vdso" in name:
        return "libc"
    return "runtime"


def callgrind(out, command, toggles, env=None):
    """Runs `command` under callgrind, counting only where `toggles` turn it on; returns the instructions per part."""
    shim = os.path.join(ROOT, ".build/profile/sigsuspend_copy.so")
    env = dict(env or os.environ, LD_PRELOAD=shim)
    run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *[f"--toggle-collect={t}" for t in toggles],
         "--soname-synonyms=somalloc=libjemalloc.so*", *command], env=env)
    parts = dict.fromkeys(PARTS, 0)
    listing = run(["callgrind_annotate", "--threshold=100", "--auto=no", "--show-percs=no", out]).stdout
    for line in listing.split("file:function", 1)[1].splitlines():
        match = LINE.match(line)
        if match:
            parts[part(match.group(3) or "")] += int(match.group(1).replace(",", ""))
    return parts


def per_request(once, twice, requests):
    """The instructions per request of each part: the difference of a run of N and one of 2N requests, over N."""
    return {name: (twice[name] - once[name]) / requests for name in PARTS}


def main():
    if shutil.which("valgrind") is None:
        sys.exit("profile-driver: valgrind not found (apt-get install valgrind)")
    tripbench = os.path.abspath(sys.argv[1])
    run([tripbench, "db", "up"])
    url = run([tripbench, "db", "url"]).stdout.strip()
    pgbench = pg_bin("pgbench")
    work = tempfile.mkdtemp(prefix="profile-driver-")
    script = os.path.join(work, "select1.sql")
    with open(script, "w") as f:
        f.write("SELECT 1;\n")
    requests = REQUESTS // CLIENTS * CLIENTS

    def run_ours(driver):
        return lambda count, name: callgrind(os.path.join(work, name), [
            tripbench, "run", "select1", "--database-url", url, "--clients", str(CLIENTS), "--threads", str(THREADS),
            "--driver", driver, "--requests", str(count), "--warmup", "0s", "--quiet",
            "--out", os.path.join(work, name + ".report")], TRIPBENCH_TOGGLES)

    def run_theirs(count, name):
        return callgrind(os.path.join(work, name), [
            pgbench, "-n", "-M", "prepared", "-f", script, "-c", str(CLIENTS), "-j", str(THREADS),
            "-t", str(count // CLIENTS), url], ["threadRun"],
            env=dict(os.environ, PGOPTIONS=f"-c statement_timeout={TIMEOUT}"))

    def counted(runner, name):
        return per_request(runner(requests, name + "-1"), runner(2 * requests, name + "-2"), requests)

    try:
        sides = [("pgbench", counted(run_theirs, "pgbench"))]
        sides += [(f"tripbench {driver}", counted(run_ours(driver), driver)) for driver in ("direct", "libpq")]
    finally:
        shutil.rmtree(work)

    print(f"profile-driver: prepared SELECT 1, closed loop, {CLIENTS} clients on {THREADS} threads, callgrind:"
          f" instructions per request in the load-driving code (runs of {requests:,} and {2 * requests:,} requests)")
    print(f"{'driver':>16} {'total':>8} " + " ".join(f"{name:>8}" for name in PARTS))
    for name, parts in sides:
        print(f"{name:>16} {sum(parts.values()):>8,.0f} " + " ".join(f"{parts[p]:>8,.0f}" for p in PARTS))
    theirs = sum(sides[0][1].values())
    print("against pgbench: " + ", ".join(f"{name} {sum(parts.values()) / theirs:.2f}" for name, parts in sides[1:]))


if __name__ == "__main__":
    main()
