#!/usr/bin/env bash
# make test: build, then run every unit and integration test. The integration tests start their own
# PostgreSQL cluster (state in .build/test-cluster); it is stopped here when the tests end.
set -euo pipefail
cd "$(dirname "$0")/.."

# As root in a directory closed to other users (a clone under /root), the server's account could not reach
# .build/: the test cluster then lives in /var/tmp, as `tripbench db up` puts the local server's state there.
closed_to_others() {
    local directory=$PWD
    while :; do
        (( 8#$(stat -c %a "$directory") & 1 )) || return 0
        [ "$directory" = / ] && return 1
        directory=$(dirname "$directory")
    done
}
if [ -z "${TRIPBENCH_TEST_STATE_DIR:-}" ] && [ "$(id -u)" -eq 0 ] && closed_to_others; then
    TRIPBENCH_TEST_STATE_DIR=/var/tmp/tripbench-test-$(printf %s "$PWD" | sha1sum | cut -c1-12)
    echo "make test: $PWD is closed to other users; the test server's state is in $TRIPBENCH_TEST_STATE_DIR"
fi
export TRIPBENCH_TEST_STATE_DIR="${TRIPBENCH_TEST_STATE_DIR:-$PWD/.build/test-cluster}"
# The Kubernetes manifests against Kubernetes' own schemas (offline; docs/distributed.md).
.venv/bin/kubernetes-validate --strict --quiet deploy/kubernetes/*.yaml
swift build --build-tests
stop_test_cluster() {
    TRIPBENCH_STATE_DIR="$TRIPBENCH_TEST_STATE_DIR" .build/debug/tripbench db down >/dev/null 2>&1 || true
}
trap stop_test_cluster EXIT
# Tests whose assertions depend on latency (a 2x slowdown flagged, a rate found under an SLO, a P95 threshold, two
# passes' throughput compared, an open loop's service time, 200 pooled clients keeping up with 300/s) run after
# the others, one at a time: beside the CPU-heavy tests that run in parallel (fuzz, generation, index builds) and
# beside each other, their figures moved by 2-4x on two cores (the pooled mix once answered 550 of 1,200; the
# write streams' mix, over 150 vector searches in 2 s alone, once fewer).
timed='compareFlagsATwofoldSlowdown|capacityFindsARateOnPostgres|ciSmokeOnBothTargetsWritesEveryReportField|openLoopCountsQueueing|theConcurrentPassIsARunOfTheSameScenario|theMixGoesThroughPgbouncerWith200ClientsOver20ServerConnections|writesRunBesideTheMixAndTheTableIsPutBack'
# Change feeds create logical replication slots, which PostgreSQL makes only once every transaction then running on
# the server has ended: beside the parallel tests' loads a slot waited 38 s. They run after the others, alone; so do
# the live outputs' tests, which compare Prometheus's rate() over ten seconds with the run's own rate.
alone='ChangeFeedTests|ChangeFeedCommandTests|LiveOutputCommandTests'
swift test --skip-build --skip "$timed|$alone"
swift test --skip-build --no-parallel --filter "$timed"
swift test --skip-build --no-parallel --filter "$alone"

# Again in the configuration users run (make release: exclusivity checks off, the FMA kernels when the CPU has
# them), for the tests of the driver, the distance kernels and the index, and whole runs: what the debug build
# checks is not what ships. A build directory of its own, so the release binary of make bench is untouched.
echo "make test: the driver, kernel and run tests again in the release configuration"
# shellcheck disable=SC2086  # CPU_FLAGS is a list of compiler flags
swift build -c release --build-path .build/release-tests --build-tests -Xswiftc -enable-testing ${CPU_FLAGS:-}
release=(-c release --build-path .build/release-tests --skip-build)
swift test "${release[@]}" --filter 'PostgresTests|VectorSearchTests|WorkloadRunTests|MetricsTests' --skip "$timed"
swift test "${release[@]}" --filter 'openLoopCountsQueueing'
