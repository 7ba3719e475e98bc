#!/usr/bin/env bash
# The kernel benchmark next to ns-3: the same hold model (N pending, each fired event schedules
# one more at now + uniform(1 ns, 2 ms)) on sim::Kernel and on ns-3's default scheduler, at 10k
# and 1M pending, in the same run (repetitions alternate between the two), and the ratios of
# the medians.
# Needs libns3-dev (Debian, installed here if missing: root or sudo) and the release preset.
#   scripts/bench-kernel-vs-ns3.sh [EVENTS_10K] [EVENTS_1M] [REPS]
# MQTTSIM=path/to/mqttsim uses that binary instead of building the release preset.
set -euo pipefail
cd "$(dirname "$0")/.."
events_10k=${1:-5000000}
events_1m=${2:-3000000}
reps=${3:-5}
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
if ! dpkg -s libns3-dev >/dev/null 2>&1; then
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y libns3-dev >/dev/null
fi
peers=build/peers
mkdir -p "$peers"
# ns-3 3.37's headers need C++17 and its .pc files are malformed, so link libns3-core directly.
g++ -std=c++17 -O3 -DNDEBUG sim/bench/ns3_hold.cc -o "$peers/ns3_hold" -lns3-core
mqttsim=${MQTTSIM:-build/release/cli/mqttsim}
if [ -z "${MQTTSIM:-}" ]; then
  cmake --preset release >/dev/null
  cmake --build --preset release --target mqttsim >/dev/null
fi
rate() { awk '/^hold/ {print $2}'; }
median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
for case in "10000 $events_10k" "1000000 $events_1m"; do
  set -- $case
  # The two sides take turns, REPS times: this machine's speed drifts by tens of percent within
  # a minute, and alternating exposes both to the same drift, which back-to-back blocks of
  # repetitions do not. Each turn is the median of three runs in one process, so that a fresh
  # process's first run (page faults, cold caches) does not decide it.
  ours="" theirs=""
  for _ in $(seq "$reps"); do
    ours+=" $("$mqttsim" bench kernel --pending "$1" --events "$2" --reps 3 | rate)"
    # mqttsim puts its heap on transparent huge pages (cli/huge_pages.hpp): ns-3 gets the same.
    theirs+=" $(GLIBC_TUNABLES=glibc.malloc.hugetlb=1 "$peers/ns3_hold" "$1" "$2" 3 | rate)"
  done
  a=$(echo "$ours" | median) b=$(echo "$theirs" | median)
  echo "hold model, $1 pending, $2 events per run, $reps turns of 3 runs each (M events/s)"
  echo "mqttsim  median $a  (reps:$ours)"
  echo "ns-3 $(dpkg-query -W -f '${Version}' libns3-dev | cut -d- -f1)  median $b  (reps:$theirs)"
  awk -v a="$a" -v b="$b" -v n="$1" \
    'BEGIN { printf "ratio    %.1fx ns-3 at %d pending (medians, same model, same run)\n\n", a / b, n }'
done
