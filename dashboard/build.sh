#!/bin/sh
# Builds the dashboard: copies the page's sources (src/: index.html, the
# ES modules, the stylesheet, the favicon) and uPlot's ESM build and CSS
# (from node_modules, installed by `npm ci`) into OUT (default
# ../build/dashboard), then writes a gzip -9 copy next to each
# compressible file for prodd to serve to browsers that accept it. No
# bundler: the browser loads the modules as they are. Run by `make
# dashboard`; OUT is replaced whole, so no stale file survives.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../build/dashboard}
uplot=$here/node_modules/uplot/dist
if [ ! -f "$uplot/uPlot.esm.js" ]; then
	echo "dashboard: $uplot/uPlot.esm.js is missing: run 'npm ci' in dashboard/ (make deps does)" >&2
	exit 1
fi
tmp=$out.tmp.$$
rm -rf "$tmp"
mkdir -p "$tmp/vendor"
cp -R "$here/src/." "$tmp/"
cp "$uplot/uPlot.esm.js" "$uplot/uPlot.min.css" "$tmp/vendor/"
cp "$here/node_modules/uplot/LICENSE" "$tmp/vendor/uPlot.LICENSE" 2>/dev/null || :
find "$tmp" -type f \( -name '*.html' -o -name '*.js' -o -name '*.css' -o -name '*.svg' \) \
	-exec gzip -9 -k -n {} +
rm -rf "$out"
mv "$tmp" "$out"
