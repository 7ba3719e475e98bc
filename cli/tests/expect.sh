#!/usr/bin/env bash
# Runs a command and checks its exit code and that its output (stdout+stderr) contains a text.
# Usage: expect.sh EXIT_CODE TEXT [--stdin TEXT] -- COMMAND...
set -u
want_exit=$1 want_text=$2
shift 2
input=""
if [ "$1" = "--stdin" ]; then input=$2; shift 2; fi
[ "$1" = "--" ] && shift
output=$(printf '%s' "$input" | "$@" 2>&1)
got_exit=$?
if [ "$got_exit" != "$want_exit" ]; then
  printf 'exit code %s, expected %s\n--- output:\n%s\n' "$got_exit" "$want_exit" "$output"
  exit 1
fi
case "$output" in
  *"$want_text"*) exit 0 ;;
  *) printf 'output lacks "%s"\n--- output:\n%s\n' "$want_text" "$output"; exit 1 ;;
esac
