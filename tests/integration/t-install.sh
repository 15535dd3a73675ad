#!/usr/bin/env bash
# make install / make uninstall into a DESTDIR: every file in its place
# (prodd in sbin, prodctl in bin, the exec helper in libexec/prodd, the
# unit, the man pages, bash completion, the Prometheus rules, the default
# /etc/prodd/services.yaml, the dashboard's build when there is one, never
# prodd-demo); the default config and its commented examples pass
# --check; an existing config is never overwritten; uninstall leaves nothing but that config. Then the checks
# of what was installed: the man pages are clean under mandoc -Tlint and
# groff -ww; systemd-analyze verify of the installed unit prints nothing;
# services.yaml(5) names every key of the parser's key table. Installs
# with the PREFIX $BUILD was built for, so that nothing is rebuilt.
set -u
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d /tmp/prodd-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# the PREFIX the build's paths were compiled for
libexec=$(sed -n "s/.*-DPRODD_LIBEXECDIR='\"\([^\"]*\)\"'.*/\1/p" "$BUILD/paths.stamp" 2>/dev/null)
PREFIX=${libexec%/libexec/prodd}
[ -n "$PREFIX" ] || PREFIX=/usr/local
D=$tmp/root
inst() {	# make TARGET into $D, quietly; the dashboard is not built here
	make --no-print-directory -s "$1" DESTDIR="$D" PREFIX="$PREFIX" \
		BUILD="$BUILD" SANITIZE="${SANITIZE:-}" INSTALL_DASHBOARD= \
		>"$tmp/make.log" 2>&1 || { cat "$tmp/make.log"; return 1; }
}

check "make install DESTDIR=... PREFIX=$PREFIX" inst install
files="$PREFIX/sbin/prodd $PREFIX/bin/prodctl $PREFIX/libexec/prodd/prodd-exec
$PREFIX/lib/systemd/system/prodd.service $PREFIX/share/man/man1/prodctl.1
$PREFIX/share/man/man5/services.yaml.5 $PREFIX/share/man/man8/prodd.8
$PREFIX/share/bash-completion/completions/prodctl
$PREFIX/share/prodd/prometheus/prodd-rules.yml
$PREFIX/share/prodd/prometheus/scrape.yml /etc/prodd/services.yaml"
miss=""
for f in $files; do [ -f "$D$f" ] || miss="$miss $f"; done
check "every file is installed${miss:+ (missing:$miss)}" [ -z "$miss" ]
bad=""
for f in sbin/prodd bin/prodctl libexec/prodd/prodd-exec; do
	[ -x "$D$PREFIX/$f" ] || bad="$bad $f"
done
check "the programs are executable${bad:+ (not:$bad)}" [ -z "$bad" ]
extra=$(cd "$D" && find . -type f | sed 's|^\.||' | sort | while read -r f; do
	case " $(echo $files) " in *" $f "*) ;; *) echo "$f" ;; esac
done | grep -v "^$PREFIX/share/prodd/dashboard/")
check "nothing else is installed (no prodd-demo)${extra:+: $extra}" [ -z "$extra" ]
if [ -d build/dashboard ]; then
	check "the dashboard's build is installed in $PREFIX/share/prodd/dashboard" \
		diff -r build/dashboard "$D$PREFIX/share/prodd/dashboard"
else
	echo "# skip the dashboard: no build/dashboard (make dashboard)"
fi
unit=$D$PREFIX/lib/systemd/system/prodd.service
check "the unit runs the installed prodd on /etc/prodd/services.yaml" \
	grep -qx "ExecStart=$PREFIX/sbin/prodd -c /etc/prodd/services.yaml" "$unit"

check "the installed default config passes --check" \
	"$D$PREFIX/sbin/prodd" --check -c "$D/etc/prodd/services.yaml"
# its commented examples, uncommented, are valid too
sed -e '/^services: \[\]/d' -e '/^# services:/,$ s/^# \{0,1\}//' \
	"$D/etc/prodd/services.yaml" >"$tmp/examples.yaml"
check "the default config's commented examples pass --check" \
	"$D$PREFIX/sbin/prodd" --check -c "$tmp/examples.yaml"

echo "# the operator's edit" >>"$D/etc/prodd/services.yaml"
cp "$D/etc/prodd/services.yaml" "$tmp/edited.yaml"
inst install
check "a second install keeps the existing /etc/prodd/services.yaml" \
	cmp -s "$tmp/edited.yaml" "$D/etc/prodd/services.yaml"

# ---- the man pages -------------------------------------------------
if need mandoc "the man lint"; then
	out=$(mandoc -Tlint "$D$PREFIX"/share/man/man*/* 2>&1)
	check "mandoc -Tlint: no output${out:+: $out}" [ -z "$out" ]
fi
if need groff "the man lint"; then
	out=$(for f in "$D$PREFIX"/share/man/man*/*; do groff -ww -z -man "$f"; done 2>&1)
	check "groff -ww -z -man: no output${out:+: $out}" [ -z "$out" ]
fi
# every key of the key table, as the reader sees it (the rendered page)
if need mandoc "services.yaml(5)'s keys"; then
	mandoc -Tascii "$D$PREFIX/share/man/man5/services.yaml.5" | col -bx |
		sed 's/^ *//' >"$tmp/page.txt"
	"$BUILD/tools/man-keys" --list >"$tmp/keys"
	missing=$(awk 'NR == FNR { page[++n] = $0; next }
		{ found = 0
		  for (i = 1; i <= n; i++)
			if (page[i] == $0 || index(page[i], $0 " ") == 1) { found = 1; break }
		  if (!found) print }' "$tmp/page.txt" "$tmp/keys")
	check "services.yaml(5) names all $(wc -l <"$tmp/keys") keys of the key table${missing:+ (missing: $(echo $missing))}" \
		test -s "$tmp/keys" -a -z "$missing"
fi

# ---- the unit --------------------------------------------------------
# systemd-analyze verify --root looks up what the unit names inside the
# root: its default dependencies (the host's targets) and ExecReload's
# kill, copied into a scratch root beside the installed files
if need systemd-analyze "systemd-analyze verify"; then
	R=$tmp/vroot
	cp -a "$D" "$R"
	mkdir -p "$R/usr/bin" "$R$PREFIX/lib/systemd/system"
	cp "$(type -P kill)" "$R/usr/bin/kill"
	cp -a /usr/lib/systemd/system/*.target "$R$PREFIX/lib/systemd/system/" 2>/dev/null
	out=$(MANPATH=$R$PREFIX/share/man SYSTEMD_LOG_COLOR=0 \
		systemd-analyze verify --root="$R" "$R$PREFIX/lib/systemd/system/prodd.service" 2>&1)
	check "systemd-analyze verify of the installed unit: no output${out:+: $out}" [ -z "$out" ]
fi

check "make uninstall" inst uninstall
left=$(cd "$D" && find . -type f | sed 's|^\.||')
check "uninstall leaves only /etc/prodd/services.yaml${left:+ (left: $(echo $left))}" \
	[ "$left" = /etc/prodd/services.yaml ]

finish
