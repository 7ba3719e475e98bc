#!/usr/bin/env bash
# Installs the Debian 12 packages mqttsim builds and tests with, skipping what is present.
# Needs root (or sudo). Safe to run again.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache clang-14 libclang-rt-14-dev
  libboost-graph-dev libyaml-cpp-dev catch2 librapidcheck-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev libbenchmark-dev libasio-dev libssl-dev
  python3 python3-dev pybind11-dev python3-pytest python3-numpy python3-distributed
  python3-matplotlib python3-pandas
  mosquitto mosquitto-clients tshark
  chromium  # headless, to load report.html in a real browser in the tests
)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
