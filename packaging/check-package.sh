#!/usr/bin/env bash
# The Debian package's install test (make check-package, after the build
# and lintian): installs build/pkg/prodd_*.deb with dpkg, checks the
# installed default config with prodd --check, starts the installed prodd
# by hand (no systemd here) on a config with a service that needs the exec
# helper (a limit), checks that it runs it with no flag (the helper's
# compiled-in path) and serves the dashboard when the package has one,
# that an upgrade (the package installed again) restarts neither prodd nor
# the service, then removes the package: its prerm must stop prodd, and no prodd or
# service process may remain. Needs root; changes the host (the package
# is purged at the end, and a prodd package already installed is refused).
#   bash packaging/check-package.sh build/pkg [PORT]
set -u
PKG=${1:-build/pkg}
PORT=${2:-${PRODD_TEST_PORTS:-18003}}
PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }

[ "$(id -u)" -eq 0 ] || { echo "check-package: needs root (dpkg -i)" >&2; exit 1; }
if dpkg-query -W -f='${db:Status-Abbrev}' prodd 2>/dev/null | grep -q '^ii'; then
	echo "check-package: a prodd package is already installed; not touching it" >&2
	exit 1
fi
deb=$(ls "$PKG"/prodd_*.deb | head -n 1)
tmp=$(mktemp -d /tmp/prodd-pkg.XXXXXX)
cleanup() {
	[ -n "${PID:-}" ] && kill -KILL "$PID" 2>/dev/null
	[ -n "${SVC:-}" ] && kill -KILL "$SVC" 2>/dev/null
	dpkg --purge prodd >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

check "dpkg -i installs $(basename "$deb")" dpkg -i "$deb"
for f in /usr/sbin/prodd /usr/bin/prodctl /usr/libexec/prodd/prodd-exec \
	/lib/systemd/system/prodd.service /etc/prodd/services.yaml \
	/usr/share/man/man8/prodd.8.gz /usr/share/man/man5/services.yaml.5.gz \
	/usr/share/man/man1/prodctl.1.gz /usr/share/bash-completion/completions/prodctl \
	/usr/share/prodd/prometheus/prodd-rules.yml; do
	[ -e "$f" ] || not_ok "installed: $f missing"
done
check "prodd --check of the installed /etc/prodd/services.yaml" \
	/usr/sbin/prodd --check -c /etc/prodd/services.yaml

# A prodd started by hand from the installed paths, with the default
# state_dir (/run/prodd as root), which prerm reads.
cat >"$tmp/services.yaml" <<YAML
daemon:
  listen: 127.0.0.1:$PORT
  log_dir: $tmp/logs
services:
  - name: sleeper
    command: [sleep, "1000"]
    limits: { nofile: 1024 }
YAML
/usr/sbin/prodd -c "$tmp/services.yaml" >"$tmp/prodd.log" 2>&1 &
PID=$!
running() {
	/usr/bin/prodctl --json status sleeper 2>/dev/null | grep -q '"state": *"running"'
}
n=0
until running || [ $n -ge 100 ]; do sleep 0.1; n=$((n + 1)); done
check "the installed prodd runs a service through the installed exec helper" running
# the tree has the dashboard's sources: the package must carry the page
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")
check "the installed prodd serves the dashboard with no flag (HTTP $code)" \
	bash -c "[ -f /usr/share/prodd/dashboard/index.html ] && [ '$code' = 200 ]"
SVC=$(/usr/bin/prodctl --json status sleeper 2>/dev/null |
	sed -n 's/.*"pid": *\([0-9][0-9]*\).*/\1/p' | head -n 1)
check "the service's process runs (pid ${SVC:-none})" \
	bash -c "[ -n '$SVC' ] && kill -0 '$SVC' 2>/dev/null"

# An upgrade (the same version again: postinst configure with the old
# version) restarts nothing: the same prodd, the same service process.
dpkg -i "$deb" >"$tmp/upgrade.log" 2>&1
cat "$tmp/upgrade.log"
check "an upgrade leaves prodd running (pid $PID)" kill -0 "$PID"
check "and the service's process too (pid ${SVC:-none})" \
	bash -c "[ -n '$SVC' ] && kill -0 '$SVC' 2>/dev/null"

check "dpkg -r removes the package" dpkg -r prodd
# prodd is this script's child: once it exited it is a zombie until
# reaped; the removal must have ended it (state Z or gone)
gone() {
	[ ! -e "/proc/$1" ] || [ "$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null)" = Z ]
}
check "prodd (pid $PID) stopped during the removal" gone "$PID"
wait "$PID" 2>/dev/null
PID=""
check "the service (pid ${SVC:-none}) stopped with it" gone "${SVC:-0}"
[ -n "${SVC:-}" ] && gone "$SVC" && SVC=""
left=""
for p in /proc/[0-9]*; do
	case $(readlink "$p/exe" 2>/dev/null) in
	/usr/sbin/prodd | "/usr/sbin/prodd (deleted)") left="$left ${p#/proc/}" ;;
	esac
done
check "no process of /usr/sbin/prodd remains${left:+ (left:$left)}" [ -z "$left" ]
check "dpkg --purge removes its configuration" dpkg --purge prodd
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
