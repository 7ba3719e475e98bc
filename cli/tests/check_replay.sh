#!/usr/bin/env bash
# A counterexample of `mqttsim check --mutant` replays its failure with `mqttsim run --mutant`
# (exit 1, the violation printed) and passes without the mutant (`run --check`, exit 0).
# Usage: check_replay.sh MQTTSIM WORKDIR MUTANT
set -u
bin=$1 dir=$2 mutant=$3
rm -rf "$dir"
"$bin" check --runs 50 --seed 1 --mutant "$mutant" --quiet --out "$dir/ce" >/dev/null
[ $? = 1 ] || { echo "check did not fail with $mutant"; exit 1; }
file=$(ls "$dir"/ce/counterexample-*.yaml | head -1)
[ -f "$file" ] || { echo "no counterexample written"; exit 1; }
head -5 "$file"
out=$("$bin" run "$file" --mutant "$mutant" --quiet --out "$dir/replay" 2>&1)
code=$?
echo "$out" | head -3
[ $code = 1 ] && echo "$out" | grep -q "^VIOLATION" || { echo "replay exit $code"; exit 1; }
"$bin" run "$file" --check --quiet --out "$dir/clean" >/dev/null || { echo "fails without mutant"; exit 1; }
