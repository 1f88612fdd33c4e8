#!/usr/bin/env bash
# test.sh - the second Quick start command: install what is missing, build,
# and run every test. Stages run in turn; all run even if one fails, and the
# script exits non-zero when any failed.
#   unit         cmocka unit tests (build/)
#   integration  the real neuvo-server over real sockets (pytest)
#   fuzz         a short bounded libFuzzer run of each target (clang)
#   sanitizers   unit + integration again under ASan and UBSan
#   browser      Playwright driving Debian's Chromium against the server
#   package      the Debian package built, linted, installed, checked and
#                purged on this machine (needs root: a throwaway CI machine)
# NEUVO_STAGES="unit integration" limits the run to some stages.
set -uo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
stages="${NEUVO_STAGES:-unit integration fuzz sanitizers browser package}"
fuzz_seconds="${NEUVO_FUZZ_SECONDS:-20}"
passed=0
failed=0
failed_names=()

scripts/deps.sh test || { echo "test: installing dependencies failed" >&2; exit 1; }

stage() {
	local name="$1"; shift
	echo
	echo "=== $name"
	if "$@"; then
		passed=$((passed + 1))
		echo "=== $name: passed"
	else
		failed=$((failed + 1))
		failed_names+=("$name")
		echo "=== $name: FAILED"
	fi
}

unit() {
	scripts/build.sh build &&
		(cd build && ctest --output-on-failure)
}

integration() {
	scripts/build.sh build &&
		NEUVO_BUILD_DIR="$root/build" tests/integration/run.sh
}

fuzz() {
	CC=clang scripts/build.sh build-fuzz -DNEUVO_FUZZ=ON -DNEUVO_TESTS=OFF \
		-DNEUVO_SANITIZE=ON || return 1
	local t rc=0
	for t in protocol redact config addr; do
		mkdir -p "build-fuzz/corpus-$t"
		echo "fuzz_$t: ${fuzz_seconds}s"
		build-fuzz/fuzz_$t -max_total_time="$fuzz_seconds" -print_final_stats=1 \
			"build-fuzz/corpus-$t" "tests/fuzz/corpus/$t" \
			2>"build-fuzz/fuzz_$t.log" || { rc=1; tail -40 "build-fuzz/fuzz_$t.log"; }
		grep -E '^stat::number_of_executed_units|^Done' "build-fuzz/fuzz_$t.log" || true
	done
	return $rc
}

sanitizers() {
	scripts/build.sh build-asan -DNEUVO_SANITIZE=ON || return 1
	(cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure) &&
		NEUVO_BUILD_DIR="$root/build-asan" \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		tests/integration/run.sh
}

browser() {
	scripts/build.sh build && NEUVO_BUILD_DIR="$root/build" tests/e2e/run.sh
}

package() {
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || { echo "package: needs root" >&2; return 1; }
		sudo -n tests/package/run.sh
	else
		tests/package/run.sh
	fi
}

for s in $stages; do
	stage "$s" "$s"
done

echo
[ ${#failed_names[@]} -gt 0 ] && echo "failed stages: ${failed_names[*]}"
echo "stages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
