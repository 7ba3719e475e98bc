#!/usr/bin/env bash
# Runs one libFuzzer harness for a few seconds on a copy of its committed corpus (the copy
# keeps the repository's corpus small). Usage: fuzz-smoke.sh HARNESS CORPUS_DIR SECONDS
set -euo pipefail
harness=$1 corpus=$2 seconds=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$corpus"/. "$work"/
"$harness" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$work/" "$work" 2>&1 | tail -n 40
