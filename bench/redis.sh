#!/bin/sh
# redis.sh - POP-before-SMTP grants in Redis against LMDB
#
# SYNOPSIS
#	RG_TOP=. RG_BUILD=build sh bench/redis.sh
# DESCRIPTION
#	Generates the milter benchmark's data (bench/gendata.sh), starts a
#	private redis-server on a free loopback port of 20100-20199 and two
#	relayguard daemons on bench/bench.conf.in: one with popauth in an
#	LMDB file, one with "table popauth dynamic redis". Measures:
#
#	- grants written per second from a POP/IMAP host's configuration
#	  (the grant table alone): 200 "relayguardctl grant" commands,
#	  and "relayguardctl watch --once" on a log of 10,000 Dovecot logins
#	  (which also makes the benchmark's 10,000 grants), for each store
#	- milter sessions per second at 16 connections through
#	  build/milterload with bench/scenarios/relayguard.scn (every answer
#	  checked), the two daemons alternating RG_BENCH_ROUNDS times
#	  (default 3) for RG_BENCH_SECONDS each (default 5) after a warm-up
#	  run: the median of each, and Redis as a share of LMDB
#	- in-process lookup time, cache hit and round trip, and a limit
#	  rule's take with counters in memory and in Redis (build/bench_redis)
#
#	The figures are printed and kept in bench/results/redis.txt.
# DIAGNOSTICS
#	Exit 1 when a run had wrong answers or errors, or Redis cannot start.
set -u
top=${RG_TOP:-$(pwd)}
build=${RG_BUILD:-$top/build}
secs=${RG_BENCH_SECONDS:-5}
rounds=${RG_BENCH_ROUNDS:-3}
ctl=$build/relayguardctl
ml=$build/milterload
scn=$top/bench/scenarios/relayguard.scn
OUT=$top/bench/results/redis.txt
scratch=$(mktemp -d /tmp/rg-bench-redis.XXXXXX)
pids=""
status=0

cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	sleep 0.5
	rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# say - print and keep a line; paths inside the tree are kept relative
# to it, so the results say nothing of where they were measured
say() {
	l=$(printf '%s\n' "$*" | sed "s|$top/||g")
	echo "$l"; echo "$l" >> "$OUT"
}
now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n / (b - a) }'; }
: > "$OUT"

port=""
for p in $(seq 20100 20199); do
	ss -Hltn "sport = :$p" 2>/dev/null | grep -q . && continue
	port=$p
	break
done
[ -n "$port" ] || { say "bench-redis: no free port"; exit 1; }
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
    --dir "$scratch" --pidfile "$scratch/redis.pid" --daemonize no \
    > "$scratch/redis.log" 2>&1 &
pids="$pids $!"
i=0
until ss -Hltn "sport = :$port" | grep -q .; do
	i=$((i + 1))
	[ $i -gt 100 ] && { say "bench-redis: redis-server does not start"; exit 1; }
	sleep 0.1
done

. "$top/bench/gendata.sh"
gen_data
"$ctl" compile "$scratch/client_access" "$scratch/client_access.lmdb" \
    > /dev/null 2>&1 &&
"$ctl" compile "$scratch/sender_access" "$scratch/sender_access.lmdb" \
    > /dev/null 2>&1 || { say "bench-redis: compile failed"; exit 1; }

# conf NAME - the benchmark configuration on its own socket, popauth in
# LMDB (lmdb) or in Redis (redis)
conf() {
	sed -e "s|$scratch/relayguard.sock|$scratch/$1.sock|" \
	    -e "s|$scratch/control.sock|$scratch/$1-control.sock|" \
	    "$scratch/relayguard.conf" > "$scratch/$1.conf"
	if [ "$1" = redis ]; then
		sed -i 's|^table popauth .*|table popauth dynamic redis|' \
		    "$scratch/$1.conf"
		printf 'redis {\n    server 127.0.0.1:%s\n    prefix "rgbench:"\n}\n' \
		    "$port" >> "$scratch/$1.conf"
	fi
}
conf lmdb
conf redis
# A POP/IMAP host's configuration: the grant table alone.
for store in lmdb redis; do
	sed -n '/^redis {/,/^}/p; /^table popauth/p' "$scratch/$store.conf" \
	    > "$scratch/pop-$store.conf"
done

say "redis benchmark ($(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs, redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'))"

# Grants written per second.
head -200 "$scratch/grants" | sed 's/^198\.18\./198.19./' > "$scratch/grants200"
awk -v t="$(LC_ALL=C date '+%b %e %H:%M:%S')" '{
	printf "%s pop1 dovecot: imap-login: Login: user=<u%d>, method=PLAIN, rip=%s, lip=192.0.2.1, mpid=%d\n", t, NR % 2000, $1, NR
}' "$scratch/grants" > "$scratch/logins.log"
# grant_each STORE - one relayguardctl grant per address of grants200
grant_each() {
	while read -r a; do
		"$ctl" grant -c "$scratch/pop-$1.conf" -t popauth "$a" --user bench \
		    --ttl 24h || return 1
	done < "$scratch/grants200"
}
for store in lmdb redis; do
	t0=$(now)
	grant_each "$store" 2> "$scratch/grant.err" ||
	    { say "bench-redis: grant failed: $(tail -1 "$scratch/grant.err")"; exit 1; }
	t1=$(now)
	"$ctl" watch -c "$scratch/pop-$store.conf" -t popauth --once -s --ttl 24h \
	    --format dovecot "$scratch/logins.log" 2> "$scratch/watch.err" ||
	    { say "bench-redis: watch failed: $(tail -1 "$scratch/watch.err")"; exit 1; }
	t2=$(now)
	say "grants/s into $store: relayguardctl grant $(rate 200 "$t0" "$t1") (one process each), watch $(rate 10000 "$t1" "$t2") ($(sed -n 's/.*granted=\([0-9]*\).*/\1/p' "$scratch/watch.err" | tail -1) granted from 10,000 logins)"
done

for store in lmdb redis; do
	"$build/relayguard" -f -c "$scratch/$store.conf" -P "$scratch/$store.pid" \
	    -p "unix:$scratch/$store.sock" 2> "$scratch/$store.log" &
	pids="$pids $!"
done
for store in lmdb redis; do
	i=0
	until "$ml" -s "unix:$scratch/$store.sock" -f "$scn" -n 1 >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 100 ] && { say "bench-redis: relayguard ($store) does not answer"; exit 1; }
		sleep 0.1
	done
	# warm-up: every grant of the scenario in the cache
	"$ml" -s "unix:$scratch/$store.sock" -f "$scn" -c 16 -d 2 >/dev/null 2>&1
done

: > "$scratch/milter.txt"
r=0
while [ $r -lt "$rounds" ]; do
	r=$((r + 1))
	for store in lmdb redis; do
		if ! "$ml" -s "unix:$scratch/$store.sock" -f "$scn" -c 16 \
		    -d "$secs" -l "$store" -r "$scratch/milter.txt" \
		    > "$scratch/run.out" 2>&1; then
			say "bench-redis: $store: wrong answers or errors:"
			cat "$scratch/run.out" | tee -a "$OUT"
			status=1
		fi
	done
done
median() {
	grep "^label=$1 " "$scratch/milter.txt" |
	    sed 's/.* sess_s=\([0-9.]*\).*/\1/' | sort -n |
	    awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
l=$(median lmdb)
rd=$(median redis)
say "milter sessions/s at 16 connections (median of $rounds runs of ${secs}s, cache warm): LMDB grants $l, Redis grants $rd: Redis at $(awk -v a="$l" -v b="$rd" 'BEGIN { printf "%.1f%%", 100 * b / a }') of LMDB"
say "in-process grant lookups and limit takes ($build/bench_redis 127.0.0.1:$port):"
"$build/bench_redis" "127.0.0.1:$port" 100000 > "$scratch/lat.out" 2>&1 ||
    status=1
cat "$scratch/lat.out" | tee -a "$OUT"
exit $status
