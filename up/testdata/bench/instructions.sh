#!/bin/sh
# Instructions per call of each side of BENCHMARKS.md section 1, counted by
# valgrind (cachegrind, without its cache simulation) with the answers
# served from memory (net=memory): a count that the machine's load does not
# move. Each side runs N1 and then N2 calls in a process of its own; the
# difference over N2-N1 leaves out the start-up. GOMAXPROCS=1 keeps idle
# threads from spinning into the count, GOGC=off keeps the collector out of
# it (the allocations are counted apart, by BenchmarkCalls), and
# asyncpreemptoff spares valgrind the preemption signals. A run that fails
# is run again, up to five times.
#
# Usage, from the repository's root: up/testdata/bench/instructions.sh [case ...]
set -eu
cases=${*:-user moves ticks create-workout}
bin=$(mktemp)
trap 'rm -f "$bin" "$bin.log"' EXIT
go test -c -o "$bin" ./up/
cd up
count() { # case impl n
	for try in 1 2 3 4 5; do
		if GOMAXPROCS=1 GOGC=off GODEBUG=asyncpreemptoff=1 valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null "$bin" \
			-test.run='^$' -test.bench="^BenchmarkCalls\$/^case=$1\$/^net=memory\$/^impl=$2\$" -test.benchtime="$3x" \
			>"$bin.log" 2>&1 && grep -q '^PASS' "$bin.log"; then
			sed -n 's/.*I *refs: *\([0-9,]*\).*/\1/p' "$bin.log" | tr -d ,
			return
		fi
	done
	echo "valgrind failed five times for $1 $2" >&2
	exit 1
}
printf '%-16s %-6s %14s\n' case impl instructions/call
for c in $cases; do
	case $c in moves|ticks) n1=4 n2=24 ;; *) n1=100 n2=1100 ;; esac
	for impl in plain gen sdk; do
		a=$(count "$c" "$impl" "$n1")
		b=$(count "$c" "$impl" "$n2")
		printf '%-16s %-6s %14d\n' "$c" "$impl" $(( (b - a) / (n2 - n1) ))
	done
done
