#!/usr/bin/env bash
# make test: build, then run every unit and integration test. The integration tests start their own
# PostgreSQL cluster (state in .build/test-cluster); it is stopped here when the tests end.
set -euo pipefail
cd "$(dirname "$0")/.."

export TRIPBENCH_TEST_STATE_DIR="${TRIPBENCH_TEST_STATE_DIR:-$PWD/.build/test-cluster}"
swift build --build-tests
stop_test_cluster() {
    TRIPBENCH_STATE_DIR="$TRIPBENCH_TEST_STATE_DIR" .build/debug/tripbench db down >/dev/null 2>&1 || true
}
trap stop_test_cluster EXIT
swift test --skip-build
