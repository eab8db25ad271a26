"""tripbench's in-process HNSW beside hnswlib, side by side in one run, interleaved.

Run by `make bench-index`. On two seeded clustered sets (the mixture of shared/notes/ann-reference.md:
100,000 x 128 with 1,000 clusters and 20,000 x 1536 with 200, cosine) both libraries build with the same
m, ef_construction and threads, then answer every query at each ef_search. hnswlib is timed with its batch
call on one thread (knn_query(num_threads=1): no per-query Python overhead), tripbench with
`tripbench index bench` (one query at a time on one thread). Rounds alternate which goes first, and round r
builds both graphs with level seed r: one pair of graphs differs in recall@10 at ef 10 by up to 0.02 from
seed to seed, so recall is the mean over the rounds' seeds; the other columns are medians over rounds.
Query throughput is measured after each round's builds, pass for pass in alternation (hnswlib, tripbench,
tripbench, hnswlib, ...) at each ef_search, because this machine's speed drifts by tens of per cent within
minutes; the ratio is the median over adjacent pairs.

Environment: ROUNDS (3), REPEATS (3 query passes each per ef and round), THREADS (2), SETS (c128,c1536), M (16), EF_CONSTRUCTION (200),
EF_SEARCH (10,20,40,80,100,200).
"""
import importlib.metadata
import json
import os
import statistics
import struct
import subprocess
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import hnswlib  # noqa: E402
import numpy as np  # noqa: E402
import xxhash  # noqa: E402
from vector_files import read_bin, write_bin  # noqa: E402

ROUNDS = int(os.environ.get("ROUNDS", 3))
REPEATS = int(os.environ.get("REPEATS", 3))
THREADS = int(os.environ.get("THREADS", 2))
M = int(os.environ.get("M", 16))
EF_CONSTRUCTION = int(os.environ.get("EF_CONSTRUCTION", 200))
EF_SEARCH = [int(x) for x in os.environ.get("EF_SEARCH", "10,20,40,80,100,200").split(",")]
K = 10
SETS = {"c128": (100_000, 128, 1_000, 1_000), "c1536": (20_000, 1536, 200, 500)}
WORK = ".build/bench/index"


def mixture(rows, dim, clusters, queries, seed=7):
    """Unit vectors around `clusters` centres (weights Gamma(2), spreads log-uniform in [0.5, 2]); queries
    are a fresh draw from the same mixture, never copies of base rows."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    weights = rng.gamma(2.0, size=clusters)
    weights /= weights.sum()
    spread = np.exp(rng.uniform(np.log(0.5), np.log(2.0), size=clusters))

    def draw(generator, count):
        chosen = generator.choice(clusters, size=count, p=weights)
        x = centres[chosen] + spread[chosen, None] * generator.standard_normal((count, dim)) / np.sqrt(dim)
        return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)

    return draw(rng, rows), draw(np.random.default_rng(seed + 1), queries)


def exact_top(base, queries, k=100):
    """Exact top-k by cosine (rows are unit length): float32 scores, then a float64 re-rank of a shortlist."""
    out = np.empty((len(queries), k), dtype=np.int32)
    for start in range(0, len(queries), 100):
        block = queries[start:start + 100]
        shortlist = np.argpartition(-(block @ base.T), k + 16, axis=1)[:, :k + 16]
        precise = np.einsum("qd,qkd->qk", block.astype(np.float64), base[shortlist].astype(np.float64))
        order = np.lexsort((shortlist, -precise), axis=1)[:, :k]
        out[start:start + 100] = np.take_along_axis(shortlist, order, axis=1)
    return out


def prepare(name):
    rows, dim, clusters, queries = SETS[name]
    paths = {kind: f"{WORK}/{name}-{kind}" for kind in ("base.fbin", "queries.fbin", "gt.ibin")}
    if not all(os.path.exists(p) for p in paths.values()):
        base, query = mixture(rows, dim, clusters, queries)
        write_bin(paths["queries.fbin"], query, np.float32)
        write_bin(paths["gt.ibin"], exact_top(base, query), np.int32)
        write_bin(paths["base.fbin"], base, np.float32)
    return paths


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def run_hnswlib(paths, seed):
    base = read_bin(paths["base.fbin"], np.float32)
    queries = read_bin(paths["queries.fbin"], np.float32)
    truth = read_bin(paths["gt.ibin"], np.int32)[:, :K]
    before = rss_bytes()
    index = hnswlib.Index(space="cosine", dim=base.shape[1])
    index.init_index(max_elements=len(base), M=M, ef_construction=EF_CONSTRUCTION, random_seed=seed)
    start = time.perf_counter()
    index.add_items(base, num_threads=THREADS)
    build = time.perf_counter() - start
    memory = rss_bytes() - before
    saved = f"{WORK}/hnswlib.bin"
    index.save_index(saved)
    file_bytes = os.path.getsize(saved)
    results = {}
    for ef in EF_SEARCH:
        index.set_ef(ef)
        labels, _ = index.knn_query(queries, k=K, num_threads=1)
        results[max(ef, K)] = {"recall": np.mean([len(set(labels[i]) & set(truth[i])) / K for i in range(len(queries))])}
    return {"build": build, "memory": memory, "file": file_bytes, "results": results, "index": index, "seed": seed}


def hnswlib_qps(index, queries, ef):
    """One batch pass over all queries on one thread, after a warm-up pass."""
    index.set_ef(ef)
    index.knn_query(queries, k=K, num_threads=1)
    start = time.perf_counter()
    index.knn_query(queries, k=K, num_threads=1)
    return len(queries) / (time.perf_counter() - start)


def tripbench_qps(binary, paths, saved, ef):
    """`tripbench index bench --load` at one ef on one thread (it warms up first, too)."""
    data = tripbench(binary, paths, ["--load", saved, "--ef-search", str(ef), "--threads", "1"])
    return data["results"][0]["qps_1t"]


def tripbench(binary, paths, arguments):
    report = f"{WORK}/tripbench.json"
    run = subprocess.run([binary, "index", "bench", "--queries", paths["queries.fbin"], "--gt", paths["gt.ibin"],
                          "--k", str(K), "--json", report] + arguments, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"tripbench index bench failed ({run.returncode}): {run.stderr.strip()}")
    with open(report) as f:
        return json.load(f)


def hnswlib_graph_as_tripbench(source, target, dim, seed):
    """Rewrites an hnswlib (0.8.0) cosine index file in tripbench's index format, nodes renumbered by label, so
    that tripbench can search hnswlib's own graph: the same graph for both makes the QPS gap one of search
    code, not of graph quality. Layouts: hnswlib's saveIndex (hnswalg.h) and docs/hnsw.md."""
    raw = open(source, "rb").read()
    (_, _, count, size, label_offset, data_offset, max_level, entry, max_m, max_m0, m, _,
     ef_construction) = struct.unpack_from("<QQQQQQiIQQQdQ", raw, 0)
    position = struct.calcsize("<QQQQQQiIQQQdQ")
    level0 = np.frombuffer(raw, dtype=np.uint8, count=count * size, offset=position).reshape(count, size)
    position += count * size
    labels = level0[:, label_offset:label_offset + 8].copy().view(np.uint64)[:, 0].astype(np.int64)
    links = level0[:, 4:4 + 4 * max_m0].copy().view(np.uint32)
    link_counts = level0[:, 0:4].copy().view(np.uint32)[:, 0] & 0xFFFF
    vectors = level0[:, data_offset:data_offset + 4 * dim].copy().view(np.float32)
    upper_bytes = 4 * (max_m + 1)
    levels = np.zeros(count, dtype=np.uint8)
    upper = {}
    for internal in range(count):
        (length,) = struct.unpack_from("<I", raw, position)
        position += 4
        if length:
            block = np.frombuffer(raw, dtype=np.uint32, count=length // 4, offset=position).reshape(-1, max_m + 1).copy()
            block[:, 0] &= 0xFFFF
            for level in block:
                level[1:1 + level[0]] = labels[level[1:1 + level[0]]]
            upper[labels[internal]] = block
            levels[labels[internal]] = length // upper_bytes
            position += length
    stride = (dim * 4 + (1 + 2 * m) * 4 + 63) // 64 * 64
    records = np.zeros((count, stride), dtype=np.uint8)
    records[labels, :dim * 4] = vectors.view(np.uint8)
    lists = np.zeros((count, 1 + 2 * m), dtype=np.uint32)
    lists[labels, 0] = link_counts
    for internal in range(count):
        lists[labels[internal], 1:1 + link_counts[internal]] = labels[links[internal, :link_counts[internal]]]
    records[:, dim * 4:dim * 4 + 4 * (1 + 2 * m)] = lists.view(np.uint8)
    upper_words = np.concatenate([upper[node].ravel() for node in range(count) if levels[node]] or
                                 [np.zeros(0, dtype=np.uint32)]).astype(np.uint32)
    header = b"TRIPHNSW" + struct.pack("<IIIIIIQQIIQ", 1, 0, dim, m, ef_construction, stride, count, seed,
                                       labels[entry], max_level, len(upper_words))
    sections = [levels.tobytes(), records.tobytes(), upper_words.tobytes()]
    checksum = xxhash.xxh64(header + b"".join(struct.pack("<Q", xxhash.xxh64(part).intdigest())
                                                for part in sections)).intdigest()
    with open(target, "wb") as f:
        for part in [header] + sections + [struct.pack("<Q", checksum)]:
            f.write(part)


def same_graph(binary, paths, hnsw, repeats):
    """tripbench searching hnswlib's own graph (converted), alternating with hnswlib, at ef 100: the ratio of
    search code alone."""
    converted = f"{WORK}/hnswlib-graph.hnsw"
    hnswlib_graph_as_tripbench(f"{WORK}/hnswlib.bin", converted, read_bin(paths["queries.fbin"], np.float32).shape[1],
                               hnsw["seed"])
    queries = read_bin(paths["queries.fbin"], np.float32)
    for repeat in range(repeats):
        theirs = hnswlib_qps(hnsw["index"], queries, 100)
        ours = tripbench_qps(binary, paths, converted, 100)
        hnsw.setdefault("same_graph", []).append(ours / theirs)


def run_tripbench(binary, paths, seed):
    saved = f"{WORK}/tripbench.hnsw"
    data = tripbench(binary, paths, ["--base", paths["base.fbin"], "--m", str(M), "--ef-construction",
                                     str(EF_CONSTRUCTION), "--ef-search", ",".join(map(str, EF_SEARCH)),
                                     "--threads", str(THREADS), "--level-seed", str(seed), "--save", saved])
    results = {row["ef_search"]: {"recall": row["recall"], "qps_nt": row["qps_nt"], "p95": row["p95_us"],
                                  "distances": row["distances_per_query"]}
               for row in data["results"]}
    return {"build": data["build_seconds"], "memory": data["index_bytes"], "file": os.path.getsize(saved),
            "results": results, "saved": saved}


def interleaved_qps(binary, paths, hnsw, ours, repeats):
    """Single-thread QPS of both indexes of one round, pass for pass in alternation at each ef, so that both
    see the same machine: its speed drifts by tens of per cent from one minute to the next."""
    queries = read_bin(paths["queries.fbin"], np.float32)
    for ef in EF_SEARCH:
        for repeat in range(repeats):
            pair = [("hnswlib", lambda: hnswlib_qps(hnsw["index"], queries, ef)),
                    ("tripbench", lambda: tripbench_qps(binary, paths, ours["saved"], ef))]
            if repeat % 2:
                pair.reverse()
            measured = {library: measure() for library, measure in pair}
            for library, run in (("hnswlib", hnsw), ("tripbench", ours)):
                run["results"][max(ef, K)].setdefault("qps", []).append(measured[library])
            ours["results"][max(ef, K)].setdefault("ratio", []).append(measured["tripbench"] / measured["hnswlib"])


def values(runs, *keys):
    """runs[...][keys...] of every round (and every repeat within them, for lists)."""
    found = []
    for run in runs:
        value = run
        for key in keys:
            value = value[key]
        found.extend(value if isinstance(value, list) else [value])
    return found


def median(runs, *keys):
    return statistics.median(values(runs, *keys))


def mean(runs, *keys):
    return statistics.fmean(values(runs, *keys))


def report(name, hnsw, ours):
    rows, dim, _, queries = SETS[name]
    print(f"\n{name}: {rows:,} x {dim}, {queries:,} queries, cosine, m {M}, ef_construction {EF_CONSTRUCTION}, "
          f"k {K}; recall: mean over the {len(hnsw)} rounds' level seeds; QPS: medians of {len(hnsw)} rounds × {REPEATS} "
          "alternating query passes; ratio = median of tripbench/hnswlib over adjacent passes")
    print(f"{'ef':>5} {'recall hnswlib':>15} {'recall ours':>12} {'QPS hnswlib':>12} {'QPS ours':>9} {'ratio':>6}"
          f" {'ours QPS ' + str(THREADS) + 't':>12} {'ours P95 us':>12} {'dist/q':>7}")
    for ef in sorted(hnsw[0]["results"]):
        theirs_qps, our_qps = median(hnsw, "results", ef, "qps"), median(ours, "results", ef, "qps")
        print(f"{ef:>5} {mean(hnsw, 'results', ef, 'recall'):>15.4f} {mean(ours, 'results', ef, 'recall'):>12.4f}"
              f" {theirs_qps:>12,.0f} {our_qps:>9,.0f} {median(ours, 'results', ef, 'ratio'):>6.2f}"
              f" {median(ours, 'results', ef, 'qps_nt'):>12,.0f} {median(ours, 'results', ef, 'p95'):>12.0f}"
              f" {median(ours, 'results', ef, 'distances'):>7.0f}")
    build_theirs, build_ours = median(hnsw, "build"), median(ours, "build")
    rounds_theirs = ", ".join(f"{run['build']:.1f}" for run in hnsw)
    rounds_ours = ", ".join(f"{run['build']:.1f}" for run in ours)
    print(f"build on {THREADS} threads: hnswlib {build_theirs:.1f} s, tripbench {build_ours:.1f} s "
          f"(ratio {build_ours / build_theirs:.2f}; rounds: hnswlib {rounds_theirs}; tripbench {rounds_ours})")
    print(f"same graph (hnswlib's, converted), ef 100, QPS tripbench / hnswlib: {median(hnsw, 'same_graph'):.2f}")
    mib = 1 << 20
    print(f"memory: hnswlib RSS growth over the build {median(hnsw, 'memory') / mib:.1f} MiB, file "
          f"{median(hnsw, 'file') / mib:.1f} MiB; tripbench index {median(ours, 'memory') / mib:.1f} MiB, file "
          f"{median(ours, 'file') / mib:.1f} MiB (ratio to hnswlib's RSS growth "
          f"{median(ours, 'memory') / median(hnsw, 'memory'):.2f})")


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/tripbench"
    os.makedirs(WORK, exist_ok=True)
    names = os.environ.get("SETS", "c128,c1536").split(",")
    print(f"hnswlib {importlib.metadata.version('hnswlib')} vs tripbench; {ROUNDS} rounds, {THREADS} build threads")
    for name in names:
        paths = prepare(name)
        hnsw, ours = [], []
        for round_number in range(ROUNDS):
            order = [("hnswlib", hnsw), ("tripbench", ours)]
            if round_number % 2:
                order.reverse()
            seed = round_number + 1
            for library, runs in order:
                runs.append(run_hnswlib(paths, seed) if library == "hnswlib" else run_tripbench(binary, paths, seed))
                print(f"  {name} round {round_number + 1}: {library} built in {runs[-1]['build']:.1f} s", flush=True)
            interleaved_qps(binary, paths, hnsw[-1], ours[-1], REPEATS)
            same_graph(binary, paths, hnsw[-1], REPEATS)
            del hnsw[-1]["index"]
        report(name, hnsw, ours)


if __name__ == "__main__":
    main()
