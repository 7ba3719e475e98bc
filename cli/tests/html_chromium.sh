#!/usr/bin/env bash
# report.html in a real browser: headless Chromium loads the quickstart run's report offline,
# renders its four SVG charts, and logs nothing to the console. Usage: html_chromium.sh MQTTSIM
# SCENARIO WORKDIR. Without Chromium (scripts/install-deps.sh installs it) the test fails, not skips.
set -eu
bin=$1 scenario=$2 dir=$3
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "chromium is not installed"; exit 1; }
rm -rf "$dir"
"$bin" run "$scenario" --quiet --out "$dir" >/dev/null
timeout 60 "$browser" --headless --no-sandbox --disable-gpu --enable-logging=stderr --v=0 \
  --dump-dom "file://$(realpath "$dir/report.html")" >"$dir/dom.html" 2>"$dir/browser.log"
svgs=$(grep -o '</svg>' "$dir/dom.html" | wc -l)
console=$(grep -c ':CONSOLE' "$dir/browser.log" || true)
echo "rendered svg charts: $svgs, console messages: $console"
grep ':CONSOLE' "$dir/browser.log" || true
[ "$svgs" = 4 ] && [ "$console" = 0 ]
