"""hnswlib's answer to "is every row found by a search for its own vector?", beside tripbench's time_to_searchable.

Builds an hnswlib index (cosine, M 16, ef_construction 200) over the first START rows of a dataset's base.fbin on
all threads, inserts rows START..END one by one (as a write stream does), then searches every row's own vector
(k 10, ef 100) and lists the rows not among their own answers: those inserted one by one, and among the bulk-built.

Usage: hnsw_self_search.py DATASET_DIR START END   (e.g. datasets/.cache/small-1 37500 38750)
"""
import sys

import hnswlib
import numpy as np

directory, start, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
count, dimension = np.fromfile(f"{directory}/base.fbin", dtype=np.int32, count=2)
if end > count:
    sys.exit(f"{directory}/base.fbin has {count} rows, not {end}")
vectors = np.array(np.memmap(f"{directory}/base.fbin", dtype=np.float32, offset=8, shape=(count, dimension))[:end])
index = hnswlib.Index(space="cosine", dim=int(dimension))
index.init_index(max_elements=end, M=16, ef_construction=200, random_seed=100)
index.add_items(vectors[:start], np.arange(start), num_threads=-1)
for row in range(start, end):
    index.add_items(vectors[row:row + 1], np.array([row]), num_threads=1)
index.set_ef(100)


def missed(first, last):
    labels, _ = index.knn_query(vectors[first:last], k=10, num_threads=-1)
    return [first + i for i in range(last - first) if first + i not in labels[i]]


inserted, bulk = missed(start, end), missed(0, start)
print(f"inserted one by one: {len(inserted)} of {end - start} not returned by a search for their own vector: {inserted[:20]}")
print(f"built in bulk: {len(bulk)} of {start} not returned ({100 * len(bulk) / start:.2f} %)")
