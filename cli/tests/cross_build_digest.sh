#!/usr/bin/env bash
# Determinism across builds: every scenario given runs in two builds of mqttsim (CI: the debug
# ASan+UBSan tree at -O1 and the release tree at -O3) with one seed, and both must print the same
# trace digest. Usage: cross_build_digest.sh DEBUG_BIN RELEASE_BIN WORKDIR SCENARIO...
set -eu
debug=$1 release=$2 dir=$3
shift 3
[ $# -gt 0 ] || { echo "no scenario given" >&2; exit 2; }
digest() {  # BIN SCENARIO OUT: the trace digest of report.json (exit 1 = an expectation, fine)
  "$1" run "$2" --quiet --seed 11 --out "$3" >/dev/null || [ $? = 1 ]
  sed -n 's/.*"trace_digest": "\([0-9a-f]*\)".*/\1/p' "$3/report.json"
}
status=0
for scenario in "$@"; do
  stem=$(basename "$scenario" .yaml)
  a=$(digest "$debug" "$scenario" "$dir/$stem-debug")
  b=$(digest "$release" "$scenario" "$dir/$stem-release")
  echo "$stem: debug $a, release $b"
  if [ -z "$a" ] || [ "$a" != "$b" ]; then status=1; fi
done
exit $status
