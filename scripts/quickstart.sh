#!/usr/bin/env bash
# First command of the README: install what is missing, build the release binary, and run the
# main job on its embedded default (until the simulator lands: decode a sample MQTT session).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target mqttsim
build/release/cli/mqttsim decode
