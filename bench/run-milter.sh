#!/bin/sh
# run-milter.sh - relayguard against no-op milters, through milterload
#
# SYNOPSIS
#	RG_TOP=. RG_BUILD=build sh bench/run-milter.sh
# DESCRIPTION
#	Generates the benchmark data into a scratch directory (100,000
#	blocked networks, 100,000 local domains, a 1,000,000-entry client
#	table compiled with relayguardctl compile, 10,000 dynamic grants
#	made by relayguardctl watch from Dovecot login lines), starts
#	three build/noop-milter (all asking for the stage skips
#	relayguard asks for) and build/relayguard with
#	bench/bench.conf.in, all on Unix sockets:
#
#	noop-fair	noop-milter -s -r chm: waives every reply it may
#			(connect, HELO, MAIL) and answers RCPT only; the
#			fair ceiling of a relay filter
#	noop-conn	noop-milter -s -r hm: waives what relayguard waives
#			(HELO, MAIL) and answers connect; against noop-fair
#			it prices the connect reply
#	noop-naive	noop-milter -s: answers every stage
#	relayguard	the daemon
#	relayguard-identity
#			a second daemon, with the same configuration plus
#			the identity controls of issue 16 ahead of every
#			rcpt rule: sender ownership against a 5,004-entry
#			login map (relayguardctl compile -l) and two rate
#			limits per identity, their rates far above what a
#			run can reach (no recipient is ever refused), on
#			its own socket and limit-state file
#
#	and runs bench/scenarios/relayguard.scn through build/milterload
#	against each at every concurrency level, RG_BENCH_ROUNDS times,
#	in rounds (every milter once per level and round; the two daemons
#	one after the other, in turn first), so that other work on the
#	machine hits them alike; report.sh keeps the median.
#	Every answer of relayguard is checked (-x for the no-op milters:
#	all continue). Then a soak run of RG_BENCH_SOAK sessions samples
#	relayguard's resident memory.
#
#	Results (key=value lines, one per run, with the load average
#	before the run, and dated comment lines with the machine's uptime
#	at the start and end) go to $RG_BENCH_OUT/milter.txt and
#	memory.txt; bench/report.sh turns them into results.md and the
#	plot.
#
#	RG_BENCH_SECONDS	seconds per run (default 5)
#	RG_BENCH_ROUNDS		rounds (default 3)
#	RG_BENCH_CONNS		concurrency levels (default "1 16 128")
#	RG_BENCH_SOAK		soak sessions (default 1000000; 0 skips)
#	RG_BENCH_OUT		raw results directory (default bench/results)
# DIAGNOSTICS
#	Exit 1 when a run had wrong answers or errors. When build/relayguard
#	cannot run the configuration (the daemon or the tables are not
#	built), only the no-op milters are measured and relayguard's line
#	says "unavailable"; so does relayguard-identity's when its own
#	configuration or login map fails.
set -u

top=${RG_TOP:-$(pwd)}
build=${RG_BUILD:-$top/build}
out=${RG_BENCH_OUT:-$top/bench/results}
secs=${RG_BENCH_SECONDS:-5}
rounds=${RG_BENCH_ROUNDS:-3}
conns=${RG_BENCH_CONNS:-"1 16 128"}
soak=${RG_BENCH_SOAK:-1000000}
scn=$top/bench/scenarios/relayguard.scn
ml=$build/milterload
ctl=$build/relayguardctl

mkdir -p "$out"
# In memory where the machine has it: 10,000 grants are 10,000
# committed transactions, and on a busy disk their fsyncs took minutes
# without telling anything about lookups (the daemon's tables are then
# shared memory: RssShmem rather than RssFile).
shm=/dev/shm
[ -d "$shm" ] && [ -w "$shm" ] || shm=/tmp
scratch=$(mktemp -d "$shm/rg-bench.XXXXXX")
pids=""
status=0

cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1; i=$((i + 1))
		done
	done
	rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

say() { echo "bench-milter: $*" >&2; }

# wait_milter SOCKET [-x] - wait until a milter answers a session
wait_milter() {
	i=0
	while [ $i -lt 100 ]; do
		"$ml" -s "$1" -f "$scn" -n 1 ${2:-} >/dev/null 2>&1 && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

. "$top/bench/gendata.sh"

# build_tables - compile the tables and make the grants; 0 or 1
build_tables() {
	t0=$(date +%s.%N)
	"$ctl" compile "$scratch/client_access" "$scratch/client_access.lmdb" \
	    >"$scratch/compile.log" 2>&1 &&
	"$ctl" compile "$scratch/sender_access" "$scratch/sender_access.lmdb" \
	    >>"$scratch/compile.log" 2>&1 || {
		say "relayguardctl compile failed:"; cat "$scratch/compile.log" >&2
		return 1
	}
	t1=$(date +%s.%N)
	# One Dovecot login line per address, read by relayguardctl watch
	# in one process: 10,000 relayguardctl grant commands took 12 s on
	# an idle machine and over 6 minutes on a busy one (a process
	# each), which measured process start-up, not relayguard.
	LC_ALL=C awk -v h="$(LC_ALL=C date '+%b %e %H:%M:%S') bench" '{
		printf "%s dovecot: imap-login: Login: user=<bench>, method=PLAIN, rip=%s, lip=192.0.2.1, mpid=%d, TLS, session=<B%dZ>\n", h, $1, NR, NR
	}' "$scratch/grants" >"$scratch/logins"
	"$ctl" watch -s --once --ttl 24h -t "$scratch/popauth.lmdb" \
	    "$scratch/logins" >"$scratch/grant.log" 2>&1 &&
	    [ "$("$ctl" list -t "$scratch/popauth.lmdb" | wc -l)" -eq \
	    "$(wc -l <"$scratch/grants")" ] || {
		say "relayguardctl watch did not make the grants:"
		tail -5 "$scratch/grant.log" >&2
		return 1
	}
	t2=$(date +%s.%N)
	echo "compile_1M_s=$(echo "$t1 - $t0" | bc) watch_grant_10k_s=$(echo "$t2 - $t1" | bc)"
	return 0
}

# gen_identity - the login map (the scenario's authenticated senders:
# SASL joe and ann, and bob and eve, whose grants were made for the
# user "bench"; and 5,000 generated users) and identity.conf, the
# configuration of relayguard-identity:
# relayguard.conf with its own sockets and limit state, the map, and
# the rules ahead of every rcpt rule. The limits count every permitted
# recipient; their rates (1,000,000 at once, then 16,666/s, 277/s and
# 1,666/s) leave a run far from any refusal.
gen_identity() {
	awk 'BEGIN {
		print "joe@example.com joe"; print "ann@example.com ann"
		print "bob@example.com bench"; print "eve@example.com bench"
		for (i = 0; i < 5000; i++)
			printf "user%04d@example.com user%04d\n", i, i
	}' >"$scratch/sender_logins"
	awk -v d="$scratch" '
	/^socket / { print "socket        \"unix:" d "/identity.sock\""; next }
	/^control / { print "control       \"unix:" d "/identity-control.sock\""; next }
	{ print }
	/^table popauth/ {
		print "table logins         \"" d "/sender_logins.lmdb\""
		print "limit-state          \"" d "/identity-limits.lmdb\""
	}
	/^rcpt \{/ {
		print "    reject  sender not owned-by identity in <logins>"
		print "    tempfail limit 1000000/minute 1000000/hour per identity name \"bench-short\""
		print "    tempfail limit 1000000/10m per identity except { newsletter@example.com } name \"bench-long\""
	}' "$scratch/relayguard.conf" >"$scratch/identity.conf"
}

# rss PID - resident memory of a process: anonymous and file kB
rss() {
	awk '/^RssAnon:/ { a = $2 } /^RssFile:/ { f = $2 } /^RssShmem:/ { s = $2 }
	    END { printf "rss_anon_kb=%d rss_file_kb=%d rss_shmem_kb=%d", a, f, s }' \
	    "/proc/$1/status"
}

# run LABEL SOCKET CONNS ROUND [milterload flags] - one measured run;
# its line in milter.txt gets the round and the load average before it
run() {
	label=$1 sock=$2 c=$3 round=$4
	shift 4
	say "$label, $c connections, $secs s"
	load=$(cut -d' ' -f1 /proc/loadavg)
	: >"$scratch/run.txt"
	if ! "$ml" -s "$sock" -f "$scn" -c "$c" -d "$secs" -l "$label" \
	    -r "$scratch/run.txt" "$@" >"$scratch/run.out" 2>&1; then
		say "$label at $c connections: wrong answers or errors:"
		cat "$scratch/run.out" >&2
		status=1
	fi
	sed "s/\$/ round=$round load1=$load/" "$scratch/run.txt" >>"$raw/milter.txt"
	sed -n 2p "$scratch/run.out" >&2
}

# The raw files are written in the scratch directory and copied to
# $out at the end, so that an interrupted run leaves the last ones.
raw=$scratch/raw
mkdir "$raw"
bench_stamp start >"$raw/milter.txt"
bench_stamp start >"$raw/memory.txt"

say "generating data in $scratch"
gen_data

# The no-op milters: NAME and the reply waivers (noop-milter -r)
noops="noop-fair:chm noop-conn:hm noop-naive:"
for n in $noops; do
	label=${n%%:*} waive=${n#*:}
	"$build/noop-milter" -f -s ${waive:+-r "$waive"} \
	    -p "unix:$scratch/$label.sock" -P "$scratch/$label.pid" &
	pids="$pids $!"
	wait_milter "unix:$scratch/$label.sock" -x ||
	    { say "noop-milter $label did not start"; exit 1; }
done

# start_rg NAME - start relayguard with $scratch/NAME.conf, whose socket
# is $scratch/NAME.sock; its pid in dpid; 0 once it answers, else 1
start_rg() {
	"$build/relayguard" -f -c "$scratch/$1.conf" -P "$scratch/$1.pid" \
	    2>"$scratch/$1.log" &
	dpid=$!
	pids="$pids $dpid"
	wait_milter "unix:$scratch/$1.sock" && return 0
	say "$1 did not answer:"; tail -5 "$scratch/$1.log" >&2
	status=1
	return 1
}

rg=0
if "$build/relayguard" -n -c "$scratch/relayguard.conf" >"$scratch/n.log" 2>&1 &&
    tables=$(build_tables); then
	echo "$tables" >>"$raw/memory.txt"
	start_rg relayguard && rg=1
	rgpid=$dpid
else
	say "relayguard unavailable (daemon or tables not built yet):"
	tail -3 "$scratch/n.log" >&2
fi

# start_identity - compile the login map, check relayguard-identity's
# configuration and start it (the same tables as relayguard); its pid
# in idpid; 0 once it answers, else 1
start_identity() {
	gen_identity
	"$ctl" compile -l "$scratch/sender_logins" "$scratch/sender_logins.lmdb" \
	    >"$scratch/identity-n.log" 2>&1 &&
	    "$build/relayguard" -n -c "$scratch/identity.conf" \
	    >>"$scratch/identity-n.log" 2>&1 || {
		say "relayguard-identity's login map or configuration failed:"
		tail -5 "$scratch/identity-n.log" >&2
		status=1
		return 1
	}
	start_rg identity || return 1
	idpid=$dpid
}

idn=0
[ $rg = 1 ] && start_identity && idn=1

# rg_runs C ROUND - relayguard and relayguard-identity, one after the
# other, the first in turn
rg_runs() {
	if [ $idn = 1 ] && [ $(($2 % 2)) = 0 ]; then
		run relayguard-identity "unix:$scratch/identity.sock" "$1" "$2"
		run relayguard "unix:$scratch/relayguard.sock" "$1" "$2"
	else
		run relayguard "unix:$scratch/relayguard.sock" "$1" "$2"
		[ $idn = 1 ] &&
		    run relayguard-identity "unix:$scratch/identity.sock" "$1" "$2"
	fi
	[ $2 = "$rounds" ] || return 0
	[ -d "/proc/$rgpid" ] &&
	    echo "label=relayguard conns=$1 $(rss $rgpid)" >>"$raw/memory.txt"
	[ $idn = 1 ] && [ -d "/proc/$idpid" ] &&
	    echo "label=relayguard-identity conns=$1 $(rss $idpid)" >>"$raw/memory.txt"
	return 0
}

r=0
while [ $r -lt "$rounds" ]; do
	r=$((r + 1))
	for c in $conns; do
		for n in $noops; do
			label=${n%%:*}
			run "$label" "unix:$scratch/$label.sock" "$c" $r -x
		done
		if [ $rg = 1 ]; then
			rg_runs "$c" $r
		elif [ $r = 1 ]; then
			echo "label=relayguard conns=$c unavailable" >>"$raw/milter.txt"
		fi
		[ $idn = 0 ] && [ $r = 1 ] &&
		    echo "label=relayguard-identity conns=$c unavailable" >>"$raw/milter.txt"
	done
done

if [ $rg = 1 ] && [ "$soak" -gt 0 ]; then
	say "soak: $soak sessions at 16 connections, sampling memory"
	"$ml" -s "unix:$scratch/relayguard.sock" -f "$scn" -c 16 -n "$soak" \
	    -l soak -r "$raw/milter.txt" >"$scratch/soak.out" 2>&1 &
	soakpid=$!
	n=0
	while kill -0 $soakpid 2>/dev/null; do
		echo "label=soak t=$n $(rss $rgpid)" >>"$raw/memory.txt"
		sleep 5; n=$((n + 5))
	done
	wait $soakpid || { say "soak failed:"; cat "$scratch/soak.out" >&2; status=1; }
	echo "label=soak t=end $(rss $rgpid)" >>"$raw/memory.txt"
	sed -n 2p "$scratch/soak.out" >&2
fi
bench_stamp end >>"$raw/milter.txt"
bench_stamp end >>"$raw/memory.txt"
cp "$raw/milter.txt" "$raw/memory.txt" "$out/"
exit $status
