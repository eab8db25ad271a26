"""Runs a command and reports its peak memory: the kernel's high-water mark of the resident set (what
`/usr/bin/time -v` prints as "Maximum resident set size"), and, sampled every 50 ms, the peaks of its anonymous
part (heap, stacks: memory the process owns) and of its file-backed part (mapped files' pages, which belong to
the page cache and are shared).

Usage: peak_memory.py COMMAND [ARG...]   (prints one line to standard error after the command's own output;
exits with the command's status)
"""
import subprocess
import sys
import time


def status(pid):
    fields = {}
    try:
        with open(f"/proc/{pid}/status") as file:
            for line in file:
                key, _, value = line.partition(":")
                if key in ("VmHWM", "RssAnon", "RssFile"):
                    fields[key] = int(value.split()[0]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return fields


def main():
    start = time.monotonic()
    child = subprocess.Popen(sys.argv[1:])
    peaks = {"VmHWM": 0, "RssAnon": 0, "RssFile": 0}
    while child.poll() is None:
        for key, value in status(child.pid).items():
            peaks[key] = max(peaks[key], value)
        time.sleep(0.05)
    seconds = time.monotonic() - start
    gb = lambda value: f"{value / 1e9:.2f} GB"  # noqa: E731
    print(f"peak memory: resident {gb(peaks['VmHWM'])} (anonymous {gb(peaks['RssAnon'])}, mapped files "
          f"{gb(peaks['RssFile'])}), {seconds:.1f} s", file=sys.stderr)
    sys.exit(child.returncode)


if __name__ == "__main__":
    main()
