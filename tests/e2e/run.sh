#!/usr/bin/env bash
# Browser tests: Debian's Chromium driven by playwright-core against the real
# neuvo-server ($NEUVO_BUILD_DIR, default <repo>/build). Installs what is
# missing (npm packages; chromium via apt when run as root), then runs
# Node's built-in test runner. Extra arguments go to `node --test`
# (e.g. --test-name-pattern=reconnect). Screenshots go to tests/artifacts/.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x /usr/bin/chromium ] && [ -z "${CHROMIUM_PATH:-}" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq chromium >/dev/null
	else
		echo "e2e: /usr/bin/chromium is missing; run 'apt-get install -y chromium' as root" >&2
		exit 1
	fi
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	if [ "$(id -u)" -eq 0 ]; then
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq nodejs npm >/dev/null
	else
		echo "e2e: node and npm are needed" >&2
		exit 1
	fi
fi

if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/axe-core ] ||
	[ package-lock.json -nt node_modules/.package-lock.json ]; then
	npm ci --no-audit --no-fund --loglevel=error
fi

build="${NEUVO_BUILD_DIR:-$(cd ../.. && pwd)/build}"
if [ ! -x "$build/neuvo-server" ] || [ ! -x "$build/neuvo-admin" ]; then
	echo "e2e: neuvo-server and neuvo-admin not found in $build (build first)" >&2
	exit 1
fi
export NEUVO_BUILD_DIR="$build"

mkdir -p ../artifacts
# Test files named on the command line run alone; otherwise all of tests/.
files=(tests/)
for a in "$@"; do
	case "$a" in *.mjs) files=() ;; esac
done
major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -ge 20 ]; then
	exec node --test --test-concurrency=1 --test-timeout=180000 "$@" "${files[@]}"
fi
# Older Node (Debian 12 ships 18) lacks --test-concurrency and --test-timeout.
[ ${#files[@]} -gt 0 ] && set -- "$@" tests/*.test.mjs
exec node --test "$@"
