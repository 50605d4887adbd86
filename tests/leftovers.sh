#!/bin/sh
# tests/leftovers.sh TOKEN — run by `make check` after each suite. The
# Makefile gives each suite HNBATCH_TEST_RUN=TOKEN in its environment, and
# every process a test starts inherits it (hnbatch passes its environment
# on to alert commands). Any such process still alive now outlived its
# test: it is named, killed, and the exit status is 1. Zombies have no
# environment left and are not counted.
tok=$1
[ -n "$tok" ] || { echo "usage: $0 TOKEN" >&2; exit 2; }
found=0
for f in $(grep -lzxF "HNBATCH_TEST_RUN=$tok" /proc/[0-9]*/environ \
	   2>/dev/null); do
	pid=${f#/proc/}
	pid=${pid%/environ}
	cmd=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)
	[ -n "$cmd" ] || continue   # gone meanwhile
	echo "leftover process $pid (outlived its test): $cmd"
	kill -KILL "$pid" 2>/dev/null
	found=1
done
exit $found
