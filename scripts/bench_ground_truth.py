"""Exact ground truth side by side in one run, every method answering the same question (the exact top-k by
inner product, sorted, for every query):

1. one thread, seeded Gaussian vectors (ROWS x DIM): numpy (float32 matrix product + argpartition), FAISS
   IndexFlatIP (BLAS + heap) and `tripbench ground-truth`;
2. all cores, a generated dataset's own files (SCALE_DATASET, default medium: 500,000 x 1536 and its 1,000
   queries, unit vectors, so inner product ranks as cosine does): FAISS IndexFlatIP on all cores beside
   `tripbench ground-truth` on all cores. SCALE_DATASET=none skips it.

Run by `make bench-gt`. Prints queries per second for each and tripbench's ratios.
"""
import os
import re
import subprocess
import sys
import time

# Part 1 runs every library on one thread; part 2 runs in a process of its own (`--scale`) with their defaults,
# so FAISS's BLAS may use every core.
SCALE_PART = "--scale" in sys.argv
if not SCALE_PART:
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")

import faiss  # noqa: E402
import numpy as np  # noqa: E402
from vector_files import read_bin, write_bin  # noqa: E402

ROWS, QUERIES, DIM, K = (int(os.environ.get(name, default)) for name, default in
                         [("ROWS", 100_000), ("QUERIES", 1_000), ("DIM", 128), ("K", 100)])
REPEATS = int(os.environ.get("REPEATS", 3))
SCALE_DATASET = os.environ.get("SCALE_DATASET", "medium")
CORES = os.cpu_count()


def best(function):
    """The best of REPEATS runs, in seconds (the machine is shared; the minimum is the least disturbed)."""
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def numpy_exact(base, queries):
    ids = np.empty((len(queries), K), dtype=np.int64)
    for start in range(0, len(queries), 100):
        scores = queries[start:start + 100] @ base.T
        top = np.argpartition(-scores, K, axis=1)[:, :K]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
        ids[start:start + 100] = np.take_along_axis(top, order, axis=1)
    return ids


def faiss_exact(base, queries):
    faiss.omp_set_num_threads(1)
    index = faiss.IndexFlatIP(base.shape[1])
    index.add(base)
    return index.search(queries, K)[1]


def faiss_exact_threads(base, queries, threads):
    faiss.omp_set_num_threads(threads)
    index = faiss.IndexFlatIP(base.shape[1])
    index.add(base)
    start = time.perf_counter()
    ids = index.search(queries, K)[1]
    return time.perf_counter() - start, ids


def tripbench_exact(binary, base_path, query_path, output, threads=1):
    text = subprocess.run([binary, "ground-truth", base_path, query_path, "--k", str(K), "--metric", "ip",
                           "--threads", str(threads), "--output", output], check=True, capture_output=True, text=True).stdout
    return float(re.search(r": ([0-9.]+) s,", text).group(1))


def at_scale(binary):
    """FAISS and tripbench on all cores over a generated dataset's base and queries, alternating, best of REPEATS.
    Both time the search alone: FAISS after index.add (its copy of the base in memory), tripbench after mapping
    base.fbin (the pages are in the page cache after the first pass)."""
    directory = subprocess.run([binary, "generate", "--dataset", SCALE_DATASET], check=True, capture_output=True,
                               text=True).stdout.split("dataset:")[1].split("\n")[0].strip()
    base_path, query_path = f"{directory}/base.fbin", f"{directory}/queries.fbin"
    base, queries = read_bin(base_path, np.float32), read_bin(query_path, np.float32)
    faiss_times, ours = [], []
    for _ in range(REPEATS):
        seconds, faiss_ids = faiss_exact_threads(base, queries, CORES)
        faiss_times.append(seconds)
        ours.append(tripbench_exact(binary, base_path, query_path, ".build/bench/gt-scale.ibin", CORES))
    ids = read_bin(".build/bench/gt-scale.ibin", np.int32)
    agreement = np.mean([len(set(ids[i]) & set(faiss_ids[i])) / K for i in range(len(queries))])
    print(f"\nexact top-{K}, {SCALE_DATASET}: {len(base):,} x {base.shape[1]} float32, {len(queries):,} queries, inner product, "
          f"{CORES} threads, best of {REPEATS} (alternating)")
    print(f"{'method':<34}{'seconds':>9}{'queries/s':>12}")
    for name, seconds in [("FAISS IndexFlatIP", min(faiss_times)), ("tripbench ground-truth", min(ours))]:
        print(f"{name:<34}{seconds:>9.3f}{len(queries) / seconds:>12,.1f}")
    print(f"tripbench / FAISS: {min(faiss_times) / min(ours):.2f}x   answers shared with FAISS: {agreement:.4f}")


def main():
    binary = next((arg for arg in sys.argv[1:] if arg != "--scale"), ".build/release/tripbench")
    if SCALE_PART:
        return at_scale(binary)
    rng = np.random.default_rng(1)
    base = rng.standard_normal((ROWS, DIM), dtype=np.float32)
    queries = rng.standard_normal((QUERIES, DIM), dtype=np.float32)
    os.makedirs(".build/bench", exist_ok=True)
    base_path, query_path, gt_path = ".build/bench/base.fbin", ".build/bench/queries.fbin", ".build/bench/gt.ibin"
    write_bin(base_path, base, np.float32)
    write_bin(query_path, queries, np.float32)

    numpy_seconds, numpy_ids = best(lambda: numpy_exact(base, queries))
    faiss_seconds, faiss_ids = best(lambda: faiss_exact(base, queries))
    tripbench_seconds = min(tripbench_exact(binary, base_path, query_path, gt_path) for _ in range(REPEATS))

    ours = read_bin(gt_path, np.int32)
    agreement = np.mean([len(set(ours[i]) & set(faiss_ids[i])) / K for i in range(QUERIES)])
    numpy_agreement = np.mean([len(set(numpy_ids[i]) & set(faiss_ids[i])) / K for i in range(QUERIES)])

    print(f"exact top-{K}, {ROWS:,} x {DIM} float32, {QUERIES:,} queries, inner product, 1 thread, best of {REPEATS}")
    print(f"{'method':<34}{'seconds':>9}{'queries/s':>12}")
    for name, seconds in [("numpy matmul + argpartition", numpy_seconds), ("FAISS IndexFlatIP", faiss_seconds),
                          ("tripbench ground-truth", tripbench_seconds)]:
        print(f"{name:<34}{seconds:>9.3f}{QUERIES / seconds:>12,.0f}")
    print(f"tripbench / numpy: {numpy_seconds / tripbench_seconds:.2f}x   tripbench / FAISS: {faiss_seconds / tripbench_seconds:.2f}x")
    print(f"answers shared with FAISS: tripbench {agreement:.4f}, numpy {numpy_agreement:.4f}")
    if SCALE_DATASET != "none":
        environment = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
        subprocess.run([sys.executable, __file__, binary, "--scale"], check=True, env=environment)


if __name__ == "__main__":
    main()
