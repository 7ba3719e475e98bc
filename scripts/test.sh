#!/usr/bin/env bash
# Second command of the README (and what CI runs): install what is missing, build the three
# trees, and run every test in one ctest run, whose summary line ends the output:
#   build/fuzz     clang + libFuzzer harnesses (ASan+UBSan); ctest runs a 30 s smoke of each
#   build/release  the Python module; ctest runs its pytest suite
#   build/asan     everything else, under ASan+UBSan: unit, property and CLI tests
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc)

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$jobs"

cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs" --target mqttsim mqttsim_core

cmake --preset asan -DMQTTSIM_FUZZ_DIR="$PWD/build/fuzz/protocol/fuzz" \
  -DMQTTSIM_PYTHON_DIR="$PWD/build/release/bindings" \
  -DMQTTSIM_RELEASE_BIN="$PWD/build/release/cli/mqttsim" >/dev/null
cmake --build --preset asan -j "$jobs"
ctest --preset asan -j "$jobs"
