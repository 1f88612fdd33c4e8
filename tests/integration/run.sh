#!/usr/bin/env bash
# Integration tests against the real neuvo-server and neuvo-admin
# ($NEUVO_BUILD_DIR, default build/). Needs Debian's python3 with the
# packages python3-pytest and python3-websockets. Extra arguments go to
# pytest (e.g. -k resume, -x, -v).
set -euo pipefail
cd "$(dirname "$0")/../.."
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration "$@"
