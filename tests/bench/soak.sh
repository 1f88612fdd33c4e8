#!/usr/bin/env bash
# Soak (issue 13): hours of synthetic chats against the real neuvo-server on
# loopback, printing its RSS, open fds and database size every minute; it
# stops by itself after --minutes (default 120). Not a CI test.
# NEUVO_BUILD_DIR picks the build (default build/). Arguments go to soak.py
# (--minutes N, --residents R, --advisors A, --seed S).
set -euo pipefail
cd "$(dirname "$0")/../.."
export NEUVO_BUILD_DIR="${NEUVO_BUILD_DIR:-$PWD/build}"
exec /usr/bin/python3 tests/bench/soak.py "$@"
