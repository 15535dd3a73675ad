#!/bin/sh
# Installs the Debian packages that prodd's build and tests need, only when
# one is missing. Silent and fast (one dpkg-query) when all are installed.
# prometheus is for the tests of /metrics: promtool, and a real server.
# openssl (the command) makes the TLS tests' certificates and is their
# old-protocol client. mandoc, groff-base, bsdextrautils (col) and
# systemd (systemd-analyze) are for t-install's checks of the man pages and the unit; debhelper,
# dpkg-dev and lintian for make package / make check-package. systemd
# is also for systemd-notify (the notify tests); clang and
# libclang-rt-14-dev (libFuzzer's runtime, only a recommendation of clang)
# for make fuzz. prometheus-alertmanager is for the alerts' tests (a real
# Alertmanager); libssl-dev is also for libcrypto's HMAC, which signs the
# alert webhook.
# chromium is for the dashboard's browser tests. node and npm build the
# dashboard and run those tests: Debian's nodejs and npm only when they are
# not already on the PATH (a node 20 that bundles its npm conflicts with
# Debian's npm package: installing that by name would swap node out).
# Last, `npm ci` in dashboard/ when node_modules is missing or older than
# the lockfile.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

npm_ci() {
	dash=$here/../dashboard
	stamp=$dash/node_modules/.package-lock.json
	if [ ! -f "$stamp" ] || [ "$dash/package-lock.json" -nt "$stamp" ]; then
		echo "deps: npm ci in dashboard/"
		(cd "$dash" && npm ci --no-audit --no-fund --loglevel=error)
		touch "$stamp"
	fi
}

PKGS="gcc make pkg-config libuv1-dev libyaml-dev libcurl4-openssl-dev
libcjson-dev libwebsockets-dev libwebsockets-evlib-uv libsystemd-dev
libcmocka-dev libssl-dev openssl curl valgrind procps iproute2 python3 wrk
util-linux prometheus mandoc groff-base bsdextrautils systemd debhelper
dpkg-dev lintian clang libclang-rt-14-dev prometheus-alertmanager
chromium"

# shellcheck disable=SC2086
have=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' $PKGS 2>/dev/null |
	awk '$2 ~ /^ii/ { print $1 }') || true
missing=""
for p in $PKGS; do
	echo "$have" | grep -qx "$p" || missing="$missing $p"
done
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -z "$missing" ]; then
	npm_ci
	exit 0
fi

echo "deps: installing:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "deps: need root (or sudo) to install:$missing" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done"
npm_ci
