#!/usr/bin/env bash
# First command of the README: install what is missing, build the release binary, and run the
# main job: the quickstart scenario (five Wi-Fi sensors and a dashboard), which prints its summary
# table and writes mqttsim-out/quickstart/report.html.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target mqttsim
build/release/cli/mqttsim run scenarios/quickstart.yaml
