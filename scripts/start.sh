#!/usr/bin/env bash
# start.sh - the first Quick start command: install what is missing, build,
# create a first advisor (its generated password is printed once), and run
# the server on conf/neuvo.ini at http://127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build
scripts/build.sh build
config="${NEUVO_CONFIG:-conf/neuvo.ini}"
build/neuvo-server --config "$config" --check
if [ -z "$(build/neuvo-admin --config "$config" advisor list)" ]; then
	password="$(openssl rand -base64 18)"
	printf '%s\n' "$password" |
		build/neuvo-admin --config "$config" advisor add neuvoja --name "Neuvoja"
	echo
	echo "First advisor created. Log in at http://127.0.0.1:8080/advisor/ with"
	echo "  username: neuvoja"
	echo "  password: $password"
	echo "This password is shown only now. Change it: build/neuvo-admin --config $config advisor passwd neuvoja"
	echo
fi
echo "Resident page: http://127.0.0.1:8080/   (Ctrl-C stops the server)"
exec build/neuvo-server --config "$config"
