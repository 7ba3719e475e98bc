#!/usr/bin/env bash
# Determinism from the outside: the same scenario and seed give the same trace digest twice, and
# another seed gives another digest. Usage: same_digest.sh MQTTSIM SCENARIO WORKDIR
set -eu
bin=$1 scenario=$2 dir=$3
digest() { "$bin" run "$scenario" --quiet --seed "$1" --out "$dir/$2" >/dev/null || [ $? = 1 ];
           sed -n 's/.*"trace_digest": "\([0-9a-f]*\)".*/\1/p' "$dir/$2/report.json"; }
a=$(digest 7 a) b=$(digest 7 b) c=$(digest 8 c)
echo "seed 7: $a, again: $b, seed 8: $c"
[ -n "$a" ] && [ "$a" = "$b" ] && [ "$a" != "$c" ]
