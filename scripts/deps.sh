#!/usr/bin/env bash
# deps.sh - install what neuvo needs from Debian 12's packages, and only what
# is missing. Usage: scripts/deps.sh build|test
#   build: compile and run the server
#   test:  also the test tools (pytest, websockets, aiosmtpd, clang for the
#          fuzzers and sanitizers, Chromium and Node for the browser tests,
#          debhelper, devscripts and lintian for the package, mandoc and
#          man-db for the manuals, systemd for systemd-analyze)
set -euo pipefail

build_pkgs=(build-essential cmake pkg-config ca-certificates tzdata openssl
	libwebsockets-dev libwebsockets-evlib-uv libuv1-dev libjansson-dev
	libinih-dev libsqlite3-dev libssl-dev libcurl4-openssl-dev libcmocka-dev)
test_pkgs=(python3 python3-pytest python3-websockets python3-aiosmtpd
	clang libclang-rt-14-dev chromium nodejs npm sqlite3 curl
	debhelper devscripts lintian mandoc man-db systemd)

case "${1:-}" in
build) want=("${build_pkgs[@]}") ;;
test) want=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
*) echo "usage: $0 build|test" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
	# node and npm may come from elsewhere than Debian (e.g. NodeSource);
	# any working one will do.
	if [ "$p" = nodejs ] && command -v node >/dev/null; then continue; fi
	if [ "$p" = npm ] && command -v npm >/dev/null; then continue; fi
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "deps: run as root (apt-get)" >&2; exit 1; }
	sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
