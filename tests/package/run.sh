#!/usr/bin/env bash
# run.sh - the Debian package, end to end, on this machine (a throwaway CI
# machine: it installs and purges a package and needs root):
#   1. dpkg-buildpackage -us -uc -b in a copy of the source tree, and
#      lintian on the result (errors fail the run; warnings are printed);
#   2. dpkg -i, then checks: files and modes, the conffile, the user neuvo,
#      `neuvo-server --config /etc/neuvo/neuvo.ini --check` as neuvo, the
#      unit's sandbox score (systemd-analyze security --offline), and a
#      short real run of the installed server as neuvo on a free port;
#   3. dpkg --purge, and the machine as it was (the user neuvo removed
#      again if this run made it).
# Usage: tests/package/run.sh [--keep] (--keep: leave the work dir).
set -euo pipefail
cd "$(dirname "$0")/../.."
src="$(pwd)"
keep=no
[ "${1:-}" = --keep ] && keep=yes

fail() { echo "package: FAIL: $*" >&2; exit 1; }
step() { echo "--- $*"; }

[ "$(id -u)" -eq 0 ] || fail "needs root (dpkg -i); run it on a CI machine"
dpkg -s neuvo >/dev/null 2>&1 &&
	fail "a neuvo package is installed already; this test would replace it"

work="$(mktemp -d /tmp/neuvo-package.XXXXXX)"
user_made=no
getent passwd neuvo >/dev/null || user_made=yes
server_pid=""

cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
	if dpkg -s neuvo >/dev/null 2>&1; then
		dpkg --purge neuvo >/dev/null 2>&1 || true
	fi
	if [ "$user_made" = yes ] && getent passwd neuvo >/dev/null; then
		userdel neuvo 2>/dev/null || true
		getent group neuvo >/dev/null && groupdel neuvo 2>/dev/null || true
	fi
	[ "$keep" = yes ] && echo "package: work dir kept: $work" && return
	rm -rf "$work"
}
trap cleanup EXIT

# ------------------------------------------------------------------ build
version="$(sed -n 's/^project(neuvo VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)"
changelog="$(dpkg-parsechangelog -l debian/changelog -S Version)"
[ -n "$version" ] || fail "no project(neuvo VERSION ...) in CMakeLists.txt"
[ "$changelog" = "$version" ] ||
	fail "debian/changelog says $changelog, CMakeLists.txt $version"

step "build neuvo $version in $work"
mkdir "$work/neuvo-$version"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# What git tracks, as it is in the working tree (uncommitted edits too).
	git -C "$src" ls-files -z --cached --others --exclude-standard |
		tar -C "$src" --null --no-recursion -T - -cf - |
		tar -xf - -C "$work/neuvo-$version"
else
	tar -C "$src" --exclude='./build*' -cf - . | tar -xf - -C "$work/neuvo-$version"
fi
(cd "$work/neuvo-$version" && dpkg-buildpackage -us -uc -b) \
	>"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; fail "dpkg-buildpackage"; }
deb="$(ls "$work"/neuvo_"$version"_*.deb)"
changes="$(ls "$work"/neuvo_"$version"_*.changes)"
echo "built $(basename "$deb")"

step "lintian"
lintian --fail-on error --no-tag-display-limit "$changes" | tee "$work/lintian.log" ||
	fail "lintian found errors"
echo "lintian: $(grep -c '^E:' "$work/lintian.log" || true) errors," \
	"$(grep -c '^W:' "$work/lintian.log" || true) warnings"

# ---------------------------------------------------------------- install
step "dpkg -i"
dpkg -i "$deb" >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "dpkg -i"; }

expect_mode() {         # path mode owner:group
	local got
	got="$(stat -c '%a %U:%G' "$1")" || fail "$1 missing"
	[ "$got" = "$2 $3" ] || fail "$1 is $got, expected $2 $3"
	echo "ok $1 $2 $3"
}
expect_file() {
	[ -f "$1" ] || fail "$1 missing"
	echo "ok $1"
}

for f in /usr/sbin/neuvo-server /usr/sbin/neuvo-admin; do
	expect_mode "$f" 755 root:root
done
for f in /usr/share/neuvo/client-web/index.html \
	/usr/share/neuvo/client-web/advisor/index.html \
	/usr/share/neuvo/client-web/i18n/fi.json \
	/usr/share/man/man8/neuvo-server.8.gz /usr/share/man/man8/neuvo-admin.8.gz \
	/usr/share/man/man5/neuvo.ini.5.gz /lib/systemd/system/neuvo.service \
	/usr/share/doc/neuvo/copyright; do
	expect_file "$f"
done
ls /usr/share/doc/neuvo/examples/neuvo.ini* >/dev/null || fail "no example config"
expect_mode /etc/neuvo/neuvo.ini 640 root:neuvo
expect_mode /var/lib/neuvo 700 neuvo:neuvo
dpkg-query -W -f='${Conffiles}\n' neuvo | grep -q '^ /etc/neuvo/neuvo.ini ' ||
	fail "/etc/neuvo/neuvo.ini is not a conffile"
grep -q '^database = /var/lib/neuvo/neuvo.db$' /etc/neuvo/neuvo.ini ||
	fail "the packaged config's database is not /var/lib/neuvo/neuvo.db"
grep -q '^web_root = /usr/share/neuvo/client-web$' /etc/neuvo/neuvo.ini ||
	fail "the packaged config's web_root is not /usr/share/neuvo/client-web"

IFS=: read -r _ _ uid _ _ home shell <<<"$(getent passwd neuvo)"
[ "$uid" -lt 1000 ] || fail "neuvo is not a system user (uid $uid)"
[ "$home" = /var/lib/neuvo ] || fail "neuvo's home is $home"
case "$shell" in */nologin | */false) ;; *) fail "neuvo has a login shell $shell" ;; esac
echo "ok user neuvo (uid $uid, $shell)"

step "checks as the user neuvo"
out="$(runuser -u neuvo -- neuvo-server --config /etc/neuvo/neuvo.ini --check)" ||
	fail "neuvo-server --check as neuvo: $out"
[ "$out" = ok ] || fail "--check printed '$out'"
echo "ok neuvo-server --config /etc/neuvo/neuvo.ini --check"
[ "$(neuvo-server --version | cut -d' ' -f1-2)" = "neuvo-server $version" ] ||
	fail "neuvo-server --version: $(neuvo-server --version)"
[ "$(neuvo-admin --version | cut -d' ' -f1-2)" = "neuvo-admin $version" ] ||
	fail "neuvo-admin --version: $(neuvo-admin --version)"
man -w neuvo-server neuvo-admin neuvo.ini >/dev/null || fail "man cannot find the pages"
echo "ok --version and man"

step "systemd unit"
score="$(systemd-analyze security --offline=yes /lib/systemd/system/neuvo.service 2>&1 |
	sed -n 's/.*Overall exposure level for neuvo.service: \([0-9.]*\).*/\1/p')"
[ -n "$score" ] || fail "systemd-analyze security gave no figure"
awk -v s="$score" 'BEGIN { exit !(s < 2.0) }' || fail "exposure $score, not below 2.0"
echo "ok systemd-analyze security --offline=yes neuvo.service: exposure $score"
grep -q '^ExecStart=/usr/sbin/neuvo-server --config /etc/neuvo/neuvo.ini$' \
	/lib/systemd/system/neuvo.service || fail "the unit's ExecStart"

step "the installed server, as neuvo, on a free port"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
conf="$work/run.ini"
sed -e "s|^port *=.*|port = $port|" -e "s|^allowed_origins *=.*|allowed_origins = http://127.0.0.1:$port|" \
	/etc/neuvo/neuvo.ini >"$conf"
chmod 0644 "$conf"
chmod 0755 "$work"
# setpriv execs the server itself (runuser would stand between it and the
# signal); umask 077 as the unit's UMask.
(umask 077 && exec setpriv --reuid=neuvo --regid=neuvo --init-groups -- \
	neuvo-server --config "$conf") >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
	curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
	kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; fail "the server exited"; }
	sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/healthz" | grep -q '"status":"ok"' || fail "/healthz"
curl -fsS "http://127.0.0.1:$port/" | grep -qi '<html' || fail "/ did not serve the web root"
expect_mode /var/lib/neuvo/neuvo.db 600 neuvo:neuvo
echo 'kolme karhua ja kettu' | runuser -u neuvo -- neuvo-admin --config "$conf" \
	advisor add paketti --name "Paketin testi" >/dev/null || fail "advisor add"
runuser -u neuvo -- neuvo-admin --config "$conf" backup /var/lib/neuvo/test-backup.db \
	>/dev/null || fail "backup while the server runs"
expect_mode /var/lib/neuvo/test-backup.db 600 neuvo:neuvo
today="$(TZ=Europe/Helsinki date +%F)"
runuser -u neuvo -- neuvo-admin --config "$conf" report --from "$today" --to "$today" \
	--lang sv --out /var/lib/neuvo/report.html >/dev/null || fail "report --lang sv"
grep -q 'Har vi öppet' /var/lib/neuvo/report.html || fail "the report is not in Swedish"
kill -TERM "$server_pid"
wait "$server_pid" || fail "the server did not exit 0 on SIGTERM"
server_pid=""
echo "ok served /healthz and /, admin add, backup, report; stopped cleanly"

# ------------------------------------------------------------------ purge
step "dpkg --purge"
dpkg --purge neuvo >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "dpkg --purge"; }
for p in /usr/sbin/neuvo-server /usr/share/neuvo /etc/neuvo /var/lib/neuvo \
	/lib/systemd/system/neuvo.service; do
	[ ! -e "$p" ] || fail "$p is still there after purge"
done
echo "ok purged: nothing left"
echo "package: passed ($(basename "$deb"), exposure $score)"
