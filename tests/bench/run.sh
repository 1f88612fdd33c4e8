#!/usr/bin/env bash
# run.sh - benchmarks of neuvo on this machine's loopback. Prints figures and
# never fails on them (shared machines are noisy); docs/capacity.md says how
# to read them.
#
#   tests/bench/run.sh [--residents N] [--messages M] [--takes T]
#       as before: load.py (Python client) against build/ (NEUVO_BUILD_DIR):
#       memory per queued resident, a message's round trip while N wait,
#       the position storm after each take.
#
#   tests/bench/run.sh ladder [--steps 1000,3000,4500,6000] [--rate 9]
#         [--duration 10] [--servers neuvo,node,echo] [--take] [--out DIR]
#       neuvo, the Node relay (tests/bench/node-relay) and the raw lws echo
#       server (tests/bench/lws-echo.c) side by side: each server pinned to
#       CPU 1 (taskset -c 1), the C generator (neuvo-load) to CPU 0, one
#       ladder of offered loads per server. Also an fdatasync loop on the
#       same disk (the fsync floor). Writes DIR/ladder.csv, DIR/fsync.csv,
#       DIR/table.md and DIR/latency.svg (default DIR: build-bench/results).
#
#   tests/bench/run.sh idle [--steps 1000,10000] [--duration 3] [--out DIR]
#       memory per idle queued resident, with the C generator. A longer
#       --duration holds them waiting that long (for resume_spam.py).
#
#   NEUVO_BENCH_SERVER=PATH runs that neuvo-server instead of the one
#   built here (e.g. a copy of an older build, for before/after figures),
#   named NEUVO_BENCH_LABEL (default neuvo) in the CSV and the table.
#   Every command also takes --ramp S: seconds to connect the residents of
#   each step (the generator's default: residents / 1000 + 2), longer
#   on a busy machine, where a short ramp leaves residents unconnected.
#
#   tests/bench/run.sh storm [--waiting 10000] [--chats 600] [--out DIR]
#       running chats while many wait: every second one chat ends and the
#       server hands its advisor the first waiting resident (a take), so
#       every waiting resident's position changes; the relay latency of the
#       running chats is the figure. neuvo and the Node relay.
#
# Builds build-bench/ with -DNEUVO_BENCH=ON and installs the Node relay's
# packages (npm ci, better-sqlite3 compiled from source) when missing.
# Every server gets its own config, database and port in a fresh temp dir.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

if [[ $# -eq 0 || $1 == --* ]]; then
	export NEUVO_BUILD_DIR="${NEUVO_BUILD_DIR:-$ROOT/build}"
	exec /usr/bin/python3 tests/bench/load.py "$@"
fi

cmd=$1
shift
steps=""
rate=9
duration=10
duration_set=""
servers="neuvo,node,echo"
take=""
ramp=""                 # seconds to connect each step (neuvo-load's default when empty)
out="$ROOT/build-bench/results"
per_advisor=60          # chats per advisor (the config allows 1..100)
waiting=10000
chats=600
while [[ $# -gt 0 ]]; do
	case $1 in
	--waiting) waiting=$2; shift 2 ;;
	--chats) chats=$2; shift 2 ;;
	--steps) steps=$2; shift 2 ;;
	--rate) rate=$2; shift 2 ;;
	--duration) duration=$2; duration_set=1; shift 2 ;;
	--servers) servers=$2; shift 2 ;;
	--take) take=1; shift ;;
	--ramp) ramp=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 1 ;;
	esac
done
case $cmd in
ladder) steps=${steps:-1000,3000,4500,6000} ;;
idle) steps=${steps:-1000,10000} ;;
storm) steps=$((chats + waiting)); servers=${servers/,echo/} ;;
*) echo "run.sh: unknown command $cmd (ladder, idle, storm, or --residents N)" >&2; exit 1 ;;
esac

BUILD=$ROOT/build-bench
# Another neuvo-server to measure (an older build, for a before/after
# comparison in one run): NEUVO_BENCH_SERVER=/path/to/neuvo-server.
server_bin=${NEUVO_BENCH_SERVER:-$BUILD/neuvo-server}
# Its own build's neuvo-admin makes the database, so the schema measured is
# that build's (another build's migrations would make it this one's).
admin_bin=$BUILD/neuvo-admin
if [[ -n ${NEUVO_BENCH_SERVER:-} ]]; then
	admin_bin=$(dirname "$NEUVO_BENCH_SERVER")/neuvo-admin
	[[ -x $admin_bin ]] || { echo "run.sh: no neuvo-admin beside $NEUVO_BENCH_SERVER" >&2; exit 1; }
fi
neuvo_label=${NEUVO_BENCH_LABEL:-neuvo}   # its name in the CSV and table
mkdir -p "$out"
work=$(mktemp -d /tmp/neuvo-bench.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# CPU 0 for the generator, CPU 1 for the server under test (when there are two).
if [[ $(nproc) -ge 2 ]]; then
	on_gen=(taskset -c 0)
	on_srv=(taskset -c 1)
else
	on_gen=()
	on_srv=()
fi

build() {
	echo "== building $BUILD (-DNEUVO_BENCH=ON)"
	cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DNEUVO_BENCH=ON -DNEUVO_TESTS=OFF >/dev/null
	cmake --build "$BUILD" -j "$(nproc)" >/dev/null
}

node_deps() {
	local dir=$ROOT/tests/bench/node-relay
	if [[ -f $dir/node_modules/better-sqlite3/build/Release/better_sqlite3.node &&
	      -d $dir/node_modules/ws ]]; then
		return
	fi
	echo "== installing the Node relay's packages (compiles SQLite; a few minutes)"
	# No prebuilt binaries can be fetched here: build from source against
	# the installed Node headers.
	(cd "$dir" && npm_config_nodedir=/usr npm_config_build_from_source=true \
		npm ci --no-audit --no-fund >/dev/null)
}

free_port() {
	python3 -c 'import socket, random
for _ in range(200):
    p = random.randrange(20000, 32000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); s.close(); print(p); break
    except OSError:
        s.close()'
}

wait_port() {
	local port=$1 pid=$2 i
	for i in $(seq 1 100); do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "run.sh: the server exited at start" >&2
			return 1
		fi
		if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "run.sh: nothing listens on port $port" >&2
	return 1
}

stop() {
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# The bench config: open all week, and every per-address and queue limit
# raised so that only the server's own capacity is measured. The residents
# come from distinct loopback addresses anyway.
neuvo_config() {
	local dir=$1 port=$2 auto=$3
	cat >"$dir/neuvo.ini" <<-EOF
	[server]
	listen = 127.0.0.1
	port = $port
	allowed_origins = http://127.0.0.1:$port
	database = $dir/neuvo.db
	web_root = $ROOT/client-web
	max_connections_per_ip = 100000
	[hours]
	timezone = Europe/Helsinki
	mon = 00:00-24:00
	tue = 00:00-24:00
	wed = 00:00-24:00
	thu = 00:00-24:00
	fri = 00:00-24:00
	sat = 00:00-24:00
	sun = 00:00-24:00
	holidays = none
	[queue]
	max_length = 100000
	max_chats_per_advisor = $per_advisor
	auto_assign = $auto
	[limits]
	max_queued_per_address = 100000
	max_new_chats_per_address_per_hour = 1000000
	max_queued_messages = 100000
	max_chat_chars = 100000000
	EOF
	"$server_bin" --config "$dir/neuvo.ini" --check >/dev/null
}

# bench1..benchN. bench1 through neuvo-admin (the supported way); then
# every account gets a copy of one password hash made at scrypt ln=10
# instead of neuvo's ln=17 (the hash carries its own cost, and neuvo
# accepts 10..20): a hundred logins at ln=17 would cost the server's core
# a minute before anything is measured, and logins are not what this
# benchmark measures. If the schema will not take the rows, neuvo-admin
# adds each account (slowly).
neuvo_accounts() {
	local ini=$1 db=$2 n=$3 i
	echo "$password" | "$admin_bin" --config "$ini" advisor add bench1 --name "Bench 1" >/dev/null
	if ! python3 - "$db" "$n" "$password" <<-'EOF'
	import base64, hashlib, os, sqlite3, sys
	db, n, password = sys.argv[1], int(sys.argv[2]), sys.argv[3]
	salt = os.urandom(16)
	digest = hashlib.scrypt(password.encode(), salt=salt, n=1 << 10, r=8, p=1, dklen=32)
	b64 = lambda b: base64.b64encode(b).decode().rstrip("=")
	phc = f"$scrypt$ln=10,r=8,p=1${b64(salt)}${b64(digest)}"
	con = sqlite3.connect(db)
	with con:
	    con.execute("UPDATE advisors SET phc = ? WHERE username = 'bench1'", (phc,))
	    for i in range(2, n + 1):
	        con.execute("INSERT INTO advisors (username, name, phc, created_at) "
	                    "SELECT ?, ?, phc, created_at FROM advisors WHERE username = 'bench1'",
	                    (f"bench{i}", f"Bench {i}"))
	con.close()
	EOF
	then
		echo "(writing advisor rows failed; adding $n accounts with neuvo-admin)"
		for i in $(seq 2 "$n"); do
			echo "$password" | "$admin_bin" --config "$ini" advisor add "bench$i" --name "Bench $i" >/dev/null
		done
	fi
	[[ $("$admin_bin" --config "$ini" advisor list | grep -c '^bench') -ge $n ]]
}

max_step() {
	tr ',' '\n' <<<"$steps" | sort -n | tail -1
}

fsync_floor() {
	echo "== fsync floor: 4 KiB appends + fdatasync in $work (same disk as the databases)"
	python3 - "$work/fsync.bin" "$out/fsync.csv" <<-'EOF'
	import os, sys, time
	path, csv = sys.argv[1], sys.argv[2]
	fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
	page, lat, end = b"x" * 4096, [], time.monotonic() + 3
	while time.monotonic() < end and len(lat) < 2000:
	    t = time.perf_counter()
	    os.write(fd, page)
	    os.fdatasync(fd)
	    lat.append((time.perf_counter() - t) * 1000)
	os.close(fd)
	os.unlink(path)
	lat.sort()
	pct = lambda p: lat[min(len(lat) - 1, int(p / 100 * len(lat)))]
	print(f"fdatasync: {len(lat)} syncs, p50 {pct(50):.3f} ms, p90 {pct(90):.3f} ms, p99 {pct(99):.3f} ms")
	with open(csv, "w") as f:
	    f.write("syncs,p50_ms,p90_ms,p99_ms\n")
	    f.write(f"{len(lat)},{pct(50):.3f},{pct(90):.3f},{pct(99):.3f}\n")
	EOF
}

password="bench password $(date +%s)"
printf '%s\n' "$password" >"$work/password"
chmod 600 "$work/password"
top=$(max_step)
advisors=$(( (top + per_advisor - 1) / per_advisor ))
# storm: only room for `chats`; the others wait.
[[ $cmd == storm ]] && advisors=$(( (chats + per_advisor - 1) / per_advisor ))
mode=chat
[[ $cmd == idle ]] && mode=idle
gen_args=(--ladder "$steps" --rate "$rate" --duration "$duration"
	  --csv "$out/$cmd.csv")
if [[ $mode == chat ]]; then
	gen_args+=(--advisors "$advisors" --chats-per-advisor "$per_advisor"
		   --password-file "$work/password")
	[[ -n $take ]] && gen_args+=(--take)
fi
idle_duration=3                 # the memory figure needs no long window
[[ -n $duration_set ]] && idle_duration=$duration
[[ $mode == idle ]] && gen_args+=(--warm 3 --duration "$idle_duration")
[[ -n $ramp ]] && gen_args+=(--ramp "$ramp")
[[ $cmd == storm ]] && gen_args+=(--churn 1)

run_neuvo() {
	local dir=$work/neuvo port pid auto=yes
	[[ -n $take ]] && auto=no
	mkdir -p "$dir"
	port=$(free_port)
	neuvo_config "$dir" "$port" "$auto"
	if [[ $mode == chat ]]; then
		echo "== neuvo: $advisors advisor accounts"
		neuvo_accounts "$dir/neuvo.ini" "$dir/neuvo.db" "$advisors"
	fi
	"${on_srv[@]}" "$server_bin" --config "$dir/neuvo.ini" 2>"$out/neuvo-server.log" &
	pid=$!
	pids+=("$pid")
	wait_port "$port" "$pid"
	echo "== neuvo-server pid $pid port $port"
	"${on_gen[@]}" "$BUILD/neuvo-load" --mode "$mode" --port "$port" \
		--server-pid "$pid" --label "$neuvo_label" "${gen_args[@]}" || true
	stop "$pid"
}

run_node() {
	local dir=$work/node port pid auto=yes
	[[ -n $take ]] && auto=no
	mkdir -p "$dir"
	port=$(free_port)
	"${on_srv[@]}" node "$ROOT/tests/bench/node-relay/relay.js" --port "$port" \
		--db "$dir/relay.db" --password-file "$work/password" \
		--max-chats "$per_advisor" --auto-assign "$auto" 2>"$out/node-relay.log" &
	pid=$!
	pids+=("$pid")
	wait_port "$port" "$pid"
	echo "== node relay pid $pid port $port"
	"${on_gen[@]}" "$BUILD/neuvo-load" --mode "$mode" --port "$port" \
		--server-pid "$pid" --label node "${gen_args[@]}" || true
	stop "$pid"
}

run_echo() {
	local port pid
	port=$(free_port)
	"${on_srv[@]}" "$BUILD/lws-echo" --port "$port" 2>"$out/lws-echo.log" &
	pid=$!
	pids+=("$pid")
	wait_port "$port" "$pid"
	echo "== lws-echo pid $pid port $port"
	"${on_gen[@]}" "$BUILD/neuvo-load" --mode echo --port "$port" \
		--server-pid "$pid" --label echo --ladder "$steps" --rate "$rate" \
		--duration "$duration" --csv "$out/$cmd.csv" || true
	stop "$pid"
}

build
rm -f "$out/$cmd.csv"
if [[ $cmd == ladder ]]; then
	[[ ,$servers, == *,node,* ]] && node_deps
	fsync_floor
	for s in ${servers//,/ }; do
		case $s in
		neuvo) run_neuvo ;;
		node) run_node ;;
		echo) run_echo ;;
		*) echo "run.sh: unknown server $s" >&2 ;;
		esac
	done
	python3 "$ROOT/tests/bench/report.py" "$out/$cmd.csv" "$out/fsync.csv" \
		--table "$out/table.md" --svg "$out/latency.svg"
	echo "== wrote $out/ladder.csv, fsync.csv, table.md, latency.svg"
elif [[ $cmd == storm ]]; then
	for s in ${servers//,/ }; do
		case $s in
		neuvo) run_neuvo ;;
		node) node_deps; run_node ;;
		esac
	done
	python3 "$ROOT/tests/bench/report.py" "$out/$cmd.csv" --table "$out/storm.md"
	echo "== wrote $out/storm.csv, storm.md"
else
	# Memory per queued resident: neuvo and the Node relay (the echo
	# server has no queue).
	for s in ${servers//,/ }; do
		case $s in
		neuvo) run_neuvo ;;
		node) node_deps; run_node ;;
		esac
	done
	python3 "$ROOT/tests/bench/report.py" "$out/$cmd.csv" --table "$out/idle.md"
	echo "== wrote $out/idle.csv, idle.md"
fi
