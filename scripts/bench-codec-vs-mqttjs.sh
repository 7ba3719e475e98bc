#!/usr/bin/env bash
# The codec benchmark next to its peer: MQTT.js's parser (npm package mqtt-packet) decodes the
# very stream `mqttsim bench codec` decodes, in the same run, and the ratio is printed.
# Needs node and npm (Debian) and the npm registry; installs mqtt-packet under build/peers.
set -euo pipefail
cd "$(dirname "$0")/.."
packets=${1:-1000000}
reps=${2:-7}
peers=build/peers
mkdir -p "$peers"
if [ ! -d "$peers/node_modules/mqtt-packet" ]; then
  (cd "$peers" && npm install --silent --no-audit --no-fund mqtt-packet@9 >/dev/null)
fi
cmake --preset release >/dev/null
cmake --build --preset release --target mqttsim >/dev/null
stream="$peers/codec-stream.bin"
ours=$(build/release/cli/mqttsim bench codec --packets "$packets" --reps "$reps" --write-stream "$stream")
echo "$ours"
theirs=$(node protocol/bench/mqtt_packet_bench.js "$stream" "$packets" "$reps")
echo "$theirs"
our_rate=$(echo "$ours" | awk '/^decode/ {print $2}')
their_rate=$(echo "$theirs" | awk '/^decode/ {print $2}')
awk -v a="$our_rate" -v b="$their_rate" \
  'BEGIN { printf "ratio   mqttsim decodes %.1fx as many packets/s as mqtt-packet (medians, same stream, same run)\n", a / b }'
