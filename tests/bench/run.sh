#!/usr/bin/env bash
# Load benchmark against the real neuvo-server on loopback; prints figures.
# NEUVO_BUILD_DIR picks the build (default build/). Arguments go to load.py
# (--residents N, --messages M, --takes T).
set -euo pipefail
cd "$(dirname "$0")/../.."
export NEUVO_BUILD_DIR="${NEUVO_BUILD_DIR:-$PWD/build}"
exec /usr/bin/python3 tests/bench/load.py "$@"
