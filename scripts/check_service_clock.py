"""Checks each tool's open-loop service clock against the kernel's.

Runs the prepared `SELECT 1` open loop of `make bench-driver` (2,000/s, 8 clients on 2 threads, Poisson arrivals)
through tripbench and through `pgbench --rate -l`, each under `perf record` of its own send and receive system
calls, and sets what each tool reports as a request's service time (sent to answered) beside what the kernel saw:
from the `sendto` of the request to the return of the `recvfrom` that brought its answer. No service time a tool
reports can be shorter than the shortest such interval the kernel saw; the share of reported values below it
says how often the tool's clock missed the round trip.

Usage: scripts/check_service_clock.py TRIPBENCH_BINARY   (as root, with perf; env DURATION seconds, default 5)
"""
import bisect
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from bench_driver import open_loop, pgbench_command, pgbench_env, pgbench_log, precise_timers, run  # noqa: E402

DURATION = int(os.environ.get("DURATION", 5))
EVENTS = ["syscalls:sys_enter_sendto", "syscalls:sys_enter_recvfrom", "syscalls:sys_exit_recvfrom"]
LINE = re.compile(r"^\s*(\d+)\s+([\d.]+):\s+(\S+):\s*(.*)$")


def traced(args, work, **kwargs):
    """Runs `args` under perf record of its own system calls; returns the kernel's send-to-answer intervals in µs,
    one per request (the most common length of a `sendto` is the request's)."""
    data = os.path.join(work, "perf.data")
    run(["perf", "record", "-q", "-o", data] + [f"-e{event}" for event in EVENTS] + ["--", *args], **kwargs)
    script = run(["perf", "script", "-i", data, "-F", "tid,time,event,trace"]).stdout
    sends, receives, reading = [], {}, {}
    for line in script.splitlines():
        match = LINE.match(line)
        if not match:
            continue
        tid, at, event, fields = int(match[1]), float(match[2]) * 1e6, match[3], match[4]
        if event == EVENTS[0]:
            sends.append((tid, at, int(fields.split("fd: ")[1].split(",")[0], 16), int(fields.split("len: ")[1].split(",")[0], 16)))
        elif event == EVENTS[1]:
            reading[tid] = int(fields.split("fd: ")[1].split(",")[0], 16)
        elif int(fields, 16) < 1 << 63:  # a recvfrom that returned data, not -EAGAIN
            receives.setdefault(reading.get(tid), []).append(at)
    request = collections.Counter(length for *_, length in sends).most_common(1)[0][0]
    intervals = []
    for _, at, fd, length in sends:
        if length == request:
            answers = receives.get(fd, [])
            index = bisect.bisect_right(answers, at)
            if index < len(answers):
                intervals.append(answers[index] - at)
    return intervals


def summary(values):
    values = sorted(values)
    pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]
    return f"n {len(values):>6}  min {values[0]:>5.0f}  p1 {pick(0.01):>5.0f}  p50 {pick(0.5):>5.0f}  mean {sum(values) / len(values):>6.1f}"


def tripbench_side(tripbench, work):
    out = os.path.join(work, "out")
    kernel = traced([tripbench, "run", "select1", *open_loop(2000, 8, 2, DURATION, warmup="0s"), "--quiet", "--out", out], work)
    with open(os.path.join(out, "report.json")) as f:
        report = json.load(f)
    buckets = next(h["buckets"] for h in report["histograms"] if h["measure"] == "service")
    return kernel, [value for value, count in buckets for _ in range(count)]


def pgbench_side(url, work):
    script = os.path.join(work, "select1.sql")
    with open(script, "w") as f:
        f.write("SELECT 1;\n")
    prefix = os.path.join(work, "log")
    kernel = traced(pgbench_command(url, script, 8, "--rate", "2000", "-l", "--log-prefix", prefix, threads=2, duration=DURATION),
                    work, cwd=work, env=pgbench_env())
    # Service: the latency from the schedule less the lag behind it.
    return kernel, [int(fields[2]) - int(fields[6]) for fields in pgbench_log(prefix)]


def main():
    if shutil.which("perf") is None:
        sys.exit("check-service-clock: perf not found (apt-get install linux-perf)")
    tripbench = sys.argv[1]
    precise_timers()
    run([tripbench, "db", "up"])
    url = run([tripbench, "db", "url"]).stdout.strip()
    print(f"open-loop SELECT 1, 2,000/s, 8 clients, {DURATION} s each; µs")
    for name, side in (("tripbench", lambda work: tripbench_side(tripbench, work)), ("pgbench", lambda work: pgbench_side(url, work))):
        work = tempfile.mkdtemp(prefix="check-service-clock-")
        try:
            kernel, reported = side(work)
        finally:
            shutil.rmtree(work)
        floor = min(kernel)
        below = sum(1 for value in reported if value < floor)
        print(f"{name:>10}  kernel, send to answer: {summary(kernel)}")
        print(f"{'':>10}  reported service:       {summary(reported)}")
        print(f"{'':>10}  reported below the kernel's shortest round trip ({floor:.0f} µs): {below} of {len(reported)} ({below / len(reported):.1%})")


if __name__ == "__main__":
    main()
