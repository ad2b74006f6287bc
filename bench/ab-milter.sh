#!/bin/sh
# ab-milter.sh - two builds of relayguard, interleaved, through milterload
#
# SYNOPSIS
#	RG_TOP=. RG_BUILD=build sh bench/ab-milter.sh OLD_RELAYGUARD
# DESCRIPTION
#	For a change that must not cost speed (a restructuring): the
#	daemon of RG_BUILD and another build's daemon (OLD_RELAYGUARD, for
#	instance a worktree of the commit before, built with make) run
#	the benchmark configuration and data of run-milter.sh side by side,
#	and bench/scenarios/relayguard.scn goes through milterload against
#	each in turn, RG_BENCH_ROUNDS times at every concurrency level, so
#	that other work on the machine hits both alike. Every answer is
#	checked. Prints one line per run and, per level, the median
#	sessions/s of each build and their ratio (new / old).
#
#	RG_BENCH_SECONDS	seconds per run (default 5)
#	RG_BENCH_ROUNDS		runs per build and level (default 5)
#	RG_BENCH_CONNS		concurrency levels (default "16")
# DIAGNOSTICS
#	Exit 1 when a daemon does not start or a run has wrong answers.
set -u
top=${RG_TOP:-$(pwd)}
build=${RG_BUILD:-$top/build}
old=${1:?usage: ab-milter.sh OLD_RELAYGUARD}
secs=${RG_BENCH_SECONDS:-5}
rounds=${RG_BENCH_ROUNDS:-5}
conns=${RG_BENCH_CONNS:-16}
scn=$top/bench/scenarios/relayguard.scn
ml=$build/milterload
ctl=$build/relayguardctl
scratch=$(mktemp -d /tmp/rg-ab.XXXXXX)
pids=""

cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	sleep 1
	rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
say() { echo "ab-milter: $*" >&2; }

. "$top/bench/gendata.sh"
gen_data
"$ctl" compile "$scratch/client_access" "$scratch/client_access.lmdb" >/dev/null &&
"$ctl" compile "$scratch/sender_access" "$scratch/sender_access.lmdb" >/dev/null ||
    { say "compile failed"; exit 1; }
# The grants come from one relayguardctl watch (a process per grant
# would measure process start-up on a busy machine).
LC_ALL=C awk -v h="$(LC_ALL=C date '+%b %e %H:%M:%S') bench" '{
	printf "%s dovecot: imap-login: Login: user=<bench>, method=PLAIN, " \
	    "rip=%s, lip=192.0.2.1, mpid=%d, TLS, session=<B%dZ>\n", h, $1, NR, NR
}' "$scratch/grants" >"$scratch/logins"
"$ctl" watch -s --once --ttl 24h -t "$scratch/popauth.lmdb" \
    "$scratch/logins" >/dev/null 2>&1 || { say "watch failed"; exit 1; }

# start NAME BINARY - a daemon on its own socket and pid file
start() {
	sed "s#$scratch/relayguard.sock#$scratch/$1.sock#" \
	    "$scratch/relayguard.conf" >"$scratch/$1.conf"
	"$2" -f -c "$scratch/$1.conf" -P "$scratch/$1.pid" \
	    2>"$scratch/$1.log" &
	pids="$pids $!"
	i=0
	while ! "$ml" -s "unix:$scratch/$1.sock" -f "$scn" -n 1 >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 100 ] || { say "$1 did not start"; cat "$scratch/$1.log"; exit 1; }
		sleep 0.1
	done
}
start new "$build/relayguard"
start old "$old"

: >"$scratch/runs"
r=0
while [ $r -lt "$rounds" ]; do
	r=$((r + 1))
	for c in $conns; do
		for b in old new; do
			"$ml" -s "unix:$scratch/$b.sock" -f "$scn" -c "$c" \
			    -d "$secs" -l "$b" -r "$scratch/runs" \
			    >"$scratch/out" 2>&1 || { say "$b: wrong answers"; \
			    cat "$scratch/out"; exit 1; }
			sed -n 2p "$scratch/out"
		done
	done
done
for c in $conns; do
	for b in old new; do
		grep "^label=$b conns=$c " "$scratch/runs" |
		    sed 's/.* sess_s=\([0-9.]*\).*/\1/' | sort -n |
		    awk -v b=$b -v c=$c '{ v[NR] = $1 }
			END { printf "%s %s\n", b, v[int((NR + 1) / 2)] }'
	done >"$scratch/med"
	awk -v c=$c '{ m[$1] = $2 } END { printf "conns=%s old_sess_s=%s " \
	    "new_sess_s=%s ratio=%.3f\n", c, m["old"], m["new"],
	    m["new"] / m["old"] }' "$scratch/med"
done
