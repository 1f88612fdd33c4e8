#!/usr/bin/env bash
# build.sh - configure and build neuvo into build/ (or $1 with extra cmake
# options after it): scripts/build.sh build-asan -DNEUVO_SANITIZE=ON
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build}"
shift || true
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$dir" -j "$(nproc)"
