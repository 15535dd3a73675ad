#!/usr/bin/env bash
# The upgrade test (tests/integration/t-upgrade.sh) with prodd under
# valgrind through every hand-over: --trace-children=yes follows prodd into
# each binary it exec's (the services -- sleep, sh, prodd-demo -- and the
# helpers are skipped). Outside the timed figures and `make test` (`make
# upgrade-valgrind` runs it: some 4 minutes where the test alone takes
# 45 s); the test knows it runs so (its waits are longer, no figure of
# time is asserted) and every one of its functional checks must pass.
# Every image reports to one valgrind-listener on a socket: a log file
# would not do, since an image's %p and %n are its predecessor's, and
# each would overwrite the last. Prints the test's summary (and its failed
# checks), then one line per image of prodd: what it ran, the errors
# valgrind reported while it ran, and its ERROR SUMMARY (only an image
# that exits has one: one that exec's the next has no end to sum up, its
# errors are counted as they come). Exits 1 on a failed check or on any
# error.
#   bash bench/upgrade-valgrind.sh        (KEEP=DIR keeps the reports)
set -u
BUILD=${BUILD:-build}
PORTS=${PRODD_TEST_PORTS:-12500}
make --no-print-directory -s all >/dev/null
out=${KEEP:-$(mktemp -d)}
mkdir -p "$out"
# the last port of the test's block (the test takes its own from the first)
lport=$((PORTS + 249))
valgrind-listener --max-connect=1000 "$lport" >"$out/valgrind.out" 2>&1 &
lpid=$!
trap 'kill "$lpid" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$out"' EXIT
for _ in $(seq 1 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$lport") 2>/dev/null && break
	sleep 0.1
done
# -v after lib.sh's -q: the default verbosity again, so that every image's
# report names its command, and the last ends with its ERROR SUMMARY
VALGRIND=1 BUILD=$BUILD PRODD_TEST_PORTS=$PORTS \
VG_EXTRA="-v --trace-children=yes --trace-children-skip=*/sleep,*/sh,*/dash,*/bash,*/*.sh,*/prodd-demo,*/python3*,*/curl,*/prodctl,*/systemd-notify --log-socket=127.0.0.1:$lport" \
	bash tests/integration/t-upgrade.sh >"$out/test.out" 2>&1
rc=$?
sleep 1
kill "$lpid" 2>/dev/null
wait "$lpid" 2>/dev/null
grep -E '^not ok|passed' "$out/test.out"
python3 - "$out/valgrind.out" <<'PY' || rc=1
import re, sys
# the listener's lines: "(SLOT) ==PID== text" (its slots are renumbered as
# connections end: not used). Every image of a process starts its report
# with valgrind's banner; all images of prodd have one pid, one after the
# other, so a banner of that pid starts its next image.
images, cur = [], {}
err = re.compile(r"(Invalid (read|write|free)|Conditional jump|"
                 r"Use of uninitialised|Syscall param|Mismatched|"
                 r"Source and destination overlap|Argument .* fishy|"
                 r"\S+ bytes in \S+ blocks are (definitely|possibly) lost)")
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"\(\d+\) ==(\d+)== (.*)", line.rstrip("\n"))
    if not m:
        continue
    pid, text = m.group(1), m.group(2)
    if text.startswith("Memcheck, a memory error detector"):
        cur[pid] = {"pid": pid, "cmd": "?", "errors": 0, "summary": None}
        images.append(cur[pid])
        continue
    im = cur.get(pid)
    if im is None:
        continue
    if text.startswith("Command: "):
        im["cmd"] = text[9:]
    elif err.match(text):
        im["errors"] += 1
    elif text.startswith("ERROR SUMMARY: "):
        im["summary"] = text
bad = 0
for im in images:
    what = ("hand-over" if "--handover" in im["cmd"] else
            "--version" if "--version" in im["cmd"] else "first")
    bad += im["errors"] > 0 or (im["summary"] is not None and
                                not im["summary"].startswith("ERROR SUMMARY: 0 errors"))
    print("%-9s pid %-6s %d errors reported; %s" % (
        what, im["pid"], im["errors"],
        im["summary"] or "no summary (it exec'd the next image)"))
print("valgrind: %d images of prodd traced, %d with errors" % (len(images), bad))
sys.exit(1 if bad or not images else 0)
PY
exit $rc
