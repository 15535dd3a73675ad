#!/usr/bin/env bash
# prodd --check and prodctl check against every fixture: bad files exit 1
# with the expected FILE:LINE:COLUMN first, good ones exit 0 with their
# start waves; nothing crashes, hangs or (under valgrind) leaks.
set -u
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expectations() {	# file -> its "L:C: text" lines
	if [ -f "$1.expect" ]; then cat "$1.expect"; else
		sed -n 's/^# expect: //p' "$1"; fi
}

# valgrind (when asked) on prodd for a few files of each kind; the unit
# tests already run the loader on every fixture under valgrind
vg_for() {
	case $(basename "$1") in
	alias.yaml|billion-laughs.yaml|bad-utf8.yaml|cycle.yaml|many-errors.yaml|syntax.yaml|empty.yaml) echo "$VG" ;;
	esac
}
for f in tests/fixtures/bad/*.yaml; do
	for prog in "$(vg_for "$f") $BUILD/prodd --check -c" "$BUILD/prodctl check"; do
		timeout 60 $prog "$f" >"$tmp/out" 2>"$tmp/err"
		rc=$?
		case $prog in *prodctl*) name=prodctl ;; *) name=prodd ;; esac
		name="$name $(basename "$f")"
		[ "$rc" -eq 1 ] || { not_ok "$name: exit $rc, want 1"; cat "$tmp/err"; continue; }
		miss=""
		while IFS= read -r e; do
			grep -qF -- "$f:$e" "$tmp/err" || miss="$miss [$e]"
		done < <(expectations "$f")
		[ -z "$miss" ] && ok "$name refused at its line and column" ||
			{ not_ok "$name: missing$miss"; cat "$tmp/err"; }
		[ -s "$tmp/out" ] && not_ok "$name printed to stdout"
	done
done

out=$(timeout 60 $VG "$BUILD/prodd" --check -c etc/services.yaml)
check "etc/services.yaml is valid with waves search | rag | analytics" \
	test "$out" = "etc/services.yaml: valid: 3 services, start order in 3 waves: search | rag | analytics"
out=$(timeout 60 $VG "$BUILD/prodctl" check etc/services.yaml)
check "prodctl check agrees" \
	test "$out" = "etc/services.yaml: valid: 3 services, start order in 3 waves: search | rag | analytics"
# A good file naming TLS files, which are not in the repository (no key
# is ever committed): prodd --check reads them, so it checks a copy next
# to a pair made now (prodctl check does not read them), and next to the
# other files the fixtures name (the webhook's secret).
tls_copy() {
	mkdir -p "$tmp/good/tls"
	cp tests/fixtures/good/*.key "$tmp/good/" 2>/dev/null || true
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout "$tmp/good/tls/key.pem" -out "$tmp/good/tls/cert.pem" \
		-days 2 -subj /CN=prodd-check 2>/dev/null
	sed 's|key: /etc/prodd/key.pem|key: tls/key.pem|' "$1" >"$tmp/good/${1##*/}"
	echo "$tmp/good/${1##*/}"
}
for f in tests/fixtures/good/*.yaml; do
	g=$f
	if grep -q '^  tls:' "$f"; then
		need openssl "good $(basename "$f")" || continue
		g=$(tls_copy "$f")
	fi
	check "good $(basename "$f") passes" timeout 60 $VG "$BUILD/prodd" --check -c "$g"
	check "prodctl check $(basename "$f") passes" eval \
		'timeout 60 "$BUILD/prodctl" check "$f" >/dev/null'
done
out=$(cd etc && PRODD_CONFIG=services.yaml timeout 60 ../"$BUILD"/prodd --check)
check "\$PRODD_CONFIG is the default file" test "${out%%:*}" = services.yaml

timeout 10 "$BUILD/prodd" --check -c "$tmp/none.yaml" 2>"$tmp/err"
check "a missing file exits 1" test $? -eq 1
check "and says why" grep -q "none.yaml: cannot open: No such file or directory" "$tmp/err"
timeout 10 "$BUILD/prodd" --check -c "$tmp" 2>"$tmp/err"
check "a directory exits 1" test $? -eq 1
timeout 10 $VG "$BUILD/prodd" --check -c /dev/zero 2>"$tmp/err"
check "an endless file is refused, not read" test $? -eq 1
check "as too big" grep -q "/dev/zero:1:1: the file is 1.0 MiB; the limit is 1 MiB" "$tmp/err"
head -c 1200000 /dev/zero | tr '\0' '#' >"$tmp/big.yaml"
timeout 10 "$BUILD/prodctl" check "$tmp/big.yaml" 2>"$tmp/err"
check "a 1.2 MB file is refused" grep -q "big.yaml:1:1: the file is 1.1 MiB" "$tmp/err"
timeout 10 "$BUILD/prodd" --bogus >/dev/null 2>&1
check "prodd usage error exits 2" test $? -eq 2
timeout 10 "$BUILD/prodctl" check >/dev/null 2>&1
check "prodctl check without FILE exits 2" test $? -eq 2
timeout 10 "$BUILD/prodctl" frobnicate >/dev/null 2>&1
check "prodctl unknown verb exits 2" test $? -eq 2
check "prodd --version" bash -c "'$BUILD/prodd' --version | grep -q '^prodd [0-9]'"
check "prodctl version" bash -c "'$BUILD/prodctl' version | grep -q '^prodctl [0-9]'"
finish
