#!/usr/bin/env bash
# The release binary re-executes itself with glibc.malloc.hugetlb=1 (cli/huge_pages.hpp), keeps
# a value the user gave, and keeps its process id (tests stop servers by it).
# Usage: huge_pages.sh MQTTSIM. Exit 77 (skipped) when the kernel's THP mode is not madvise.
set -eu
bin=$1
grep -q '\[madvise\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || {
  echo "THP mode is not madvise here: nothing to re-execute for"; exit 77; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
tunables_of() {  # runs a broker with GLIBC_TUNABLES=$1 and prints the tunables it serves with
  env ${1:+GLIBC_TUNABLES=$1} "$bin" broker --listen 127.0.0.1:0 >"$out" 2>&1 &
  local pid=$! seen=""
  # "listening" comes after main() started, so after the re-execution if there is one.
  for _ in $(seq 100); do grep -q listening "$out" && break; sleep 0.1; done
  # glibc's loader cuts the value at each ':' with a NUL as it parses it: rejoin the pieces.
  seen=$(tr '\0' '\n' < "/proc/$pid/environ" |
         awk '/^GLIBC_TUNABLES=/ {v = substr($0, 16); on = 1; next}
              on && /^glibc\./ {v = v ":" $0; next} {on = 0} END {print v}')
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$seen"
}
unset GLIBC_TUNABLES
plain=$(tunables_of "")
kept=$(tunables_of "glibc.malloc.hugetlb=0")
other=$(tunables_of "glibc.malloc.check=0")
echo "none given: '$plain'; hugetlb=0 given: '$kept'; another given: '$other'"
[ "$plain" = "glibc.malloc.hugetlb=1" ] && [ "$kept" = "glibc.malloc.hugetlb=0" ] &&
  [ "$other" = "glibc.malloc.check=0:glibc.malloc.hugetlb=1" ]
