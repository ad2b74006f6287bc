#!/bin/sh
# profile.sh - where a milter's time goes under milterload (perf)
#
# SYNOPSIS
#	RG_TOP=. RG_BUILD=build sh bench/profile.sh [conns ...]
# DESCRIPTION
#	Generates the data of bench/run-milter.sh (100,000 blocked
#	networks, 100,000 local domains, the 1,000,000-entry client table;
#	only RG_PROF_GRANTS dynamic grants, default 200), starts
#	build/noop-milter -s and build/relayguard with bench/bench.conf.in,
#	and for each milter and each concurrency level (default "16 128")
#	runs build/milterload with bench/scenarios/relayguard.scn for
#	RG_PROF_SECONDS (default 8) while
#
#	  perf record -e cpu-clock -g -p MILTER	samples the milter (the
#			cpu-clock software event: this VM has no
#			hardware counters)
#	  perf stat -e raw_syscalls:sys_enter,... -p MILTER
#			counts its system calls
#	  /proc/MILTER/stat	gives its user and system CPU time
#
#	and prints, per run, CPU microseconds per session (user, system),
#	system calls per session, and the share of the milter's samples
#	by where they fell: our code (the relayguard binary: rules/,
#	store/, milter/, common/, plus liblmdb and libcidr, which only
#	our lookups call), libmilter.so, libc (malloc, pthread, string
#	functions, called by both), and the kernel. The perf.data files
#	and reports stay in RG_PROF_OUT (default /tmp/rg-prof) for
#	perf report -i.
# DIAGNOSTICS
#	Exit 1 when a milter did not start or a run had wrong answers.
# BUGS
#	perf stat -p sometimes writes no counts for relayguard at 128
#	connections (threads come and go while it attaches); the line
#	"system calls per session" is then empty. Run it again.
set -u

top=${RG_TOP:-$(pwd)}
build=${RG_BUILD:-$top/build}
secs=${RG_PROF_SECONDS:-8}
grants=${RG_PROF_GRANTS:-200}
out=${RG_PROF_OUT:-/tmp/rg-prof}
conns=${*:-16 128}
scn=$top/bench/scenarios/relayguard.scn
ml=$build/milterload
ctl=$build/relayguardctl
hz=$(getconf CLK_TCK)

mkdir -p "$out"
scratch=$(mktemp -d /tmp/rg-prof-data.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	sleep 0.5
	rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
say() { echo "profile: $*" >&2; }

perf stat -e cpu-clock true >/dev/null 2>&1 || { say "perf does not run"; exit 1; }

# run-milter.sh's data (fewer grants are made below).
. "$top/bench/gendata.sh"
gen_data
"$ctl" compile -q "$scratch/client_access" "$scratch/client_access.lmdb" &&
"$ctl" compile -q "$scratch/sender_access" "$scratch/sender_access.lmdb" ||
    { say "compile failed"; exit 1; }
i=0
while [ $i -lt "$grants" ]; do
	"$ctl" grant -t "$scratch/popauth.lmdb" "198.18.$((i / 256)).$((i % 256))" \
	    --ttl 24h --user bench >/dev/null || { say "grant failed"; exit 1; }
	i=$((i + 1))
done
# and the scenario's granted clients (run-milter.sh grants 198.18.0.0/18)
for a in $(sed -n 's/^client=\(198\.18\.[0-9.]*\) .*/\1/p' "$scn"); do
	"$ctl" grant -t "$scratch/popauth.lmdb" "$a" --ttl 24h --user bench \
	    >/dev/null || { say "grant failed"; exit 1; }
done

# wait_milter SOCKET [-x]
wait_milter() {
	i=0
	while [ $i -lt 100 ]; do
		"$ml" -s "$1" -f "$scn" -n 1 ${2:-} >/dev/null 2>&1 && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

"$build/noop-milter" -f -s -p "unix:$scratch/noop.sock" &
noop=$!; pids="$pids $noop"
"$build/relayguard" -f -c "$scratch/relayguard.conf" -P "$scratch/rg.pid" \
    2>"$scratch/rg.log" &
rg=$!; pids="$pids $rg"
wait_milter "unix:$scratch/noop.sock" -x || { say "noop-milter did not start"; exit 1; }
wait_milter "unix:$scratch/relayguard.sock" || { say "relayguard did not start"; exit 1; }

# cpu PID - utime and stime in clock ticks
cpu() { awk '{ print $14, $15 }' "/proc/$1/stat"; }

# load TAG SOCKET CONNS [-x] - milterload in the background for secs + 2
load() {
	"$ml" -s "$2" -f "$scn" -c "$3" -d $((secs + 2)) ${4:-} -l "$1" \
	    >"$out/$1.mlout" 2>&1 &
	mlpid=$!
	sleep 1			# past the ramp-up
}
# loaded TAG - wait for milterload (not in a subshell: $mlpid is ours)
loaded() {
	wait $mlpid || { say "$1: wrong answers or errors"; head -3 "$out/$1.mlout" >&2; status=1; }
}
# rate TAG - the run's sessions/s
rate() { sed -n 's/^sessions\/s \([0-9.]*\).*/\1/p' "$out/$1.mlout"; }

# Three passes per milter and level, so that no measurement pays for
# another: (1) CPU time from /proc, nothing attached; (2) perf record
# system-wide (-a: per-CPU events, nothing inherited by libmilter's
# new threads, which a per-process -p would pay for at every
# connection), reported for the milter's pid only; (3) perf stat of
# the system calls, -p (it slows the milter down; only counts kept).
status=0
for c in $conns; do
	for m in noop relayguard; do
		if [ $m = noop ]; then pid=$noop x=-x; else pid=$rg x=; fi
		tag=$m-c$c
		sock=unix:$scratch/$m.sock

		load "$tag.cpu" "$sock" "$c" $x
		set -- $(cpu $pid); u0=$1 s0=$2
		sleep "$secs"
		set -- $(cpu $pid); u=$(($1 - u0)) s=$(($2 - s0))
		loaded "$tag.cpu"; rate=$(rate "$tag.cpu")

		load "$tag.rec" "$sock" "$c" $x
		perf record -q -a -e cpu-clock -F 997 -g -o "$out/$tag.data" \
		    -- sleep "$secs" >/dev/null 2>&1
		loaded "$tag.rec"
		perf report -i "$out/$tag.data" --pid "$pid" --no-children \
		    --sort dso,sym --stdio -g none 2>/dev/null >"$out/$tag.report"
		perf report -i "$out/$tag.data" --no-children --sort comm \
		    --stdio -g none 2>/dev/null >"$out/$tag.comm"

		load "$tag.stat" "$sock" "$c" $x
		perf stat -x, -o "$out/$tag.stat" -p "$pid" \
		    -e raw_syscalls:sys_enter,syscalls:sys_enter_read \
		    -e syscalls:sys_enter_write,syscalls:sys_enter_writev \
		    -e syscalls:sys_enter_poll,syscalls:sys_enter_accept \
		    -e syscalls:sys_enter_clone3,syscalls:sys_enter_futex \
		    -e syscalls:sys_enter_close,context-switches \
		    -- sleep "$secs" 2>/dev/null
		loaded "$tag.stat"; srate=$(rate "$tag.stat")

		awk -v tag="$tag" -v rate="$rate" -v srate="$srate" -v secs="$secs" \
		    -v hz="$hz" -v u="$u" -v s="$s" -v stat="$out/$tag.stat" '
		/^ *[0-9.]+%/ {
			p = $1; sub(/%/, "", p); d = $2; tot += p
			if (d ~ /kernel/) k += p
			else if (d ~ /libmilter/) lm += p
			else if (d ~ /^libc/ || d ~ /ld-linux/) lc += p
			else if (d == "relayguard" || d == "noop-milter" || d ~ /lmdb|cidr/) ours += p
			else other += p
		}
		END {
			n = srate * secs
			while ((getline l < stat) > 0) {
				split(l, f, ",")
				if (f[1] !~ /^[0-9]+$/) continue
				ev = f[3]; sub(/^(raw_)?syscalls:sys_enter_?/, "", ev)
				if (ev == "") ev = "all"
				sc = sc sprintf(" %s=%.1f", ev, f[1] / n)
			}
			if (tot == 0) tot = 1
			printf "%s: %.0f sessions/s; CPU per session: user %.0f us, system %.0f us\n",
			    tag, rate, u / hz * 1e6 / (rate * secs), s / hz * 1e6 / (rate * secs)
			printf "  samples: ours %.1f%%  libmilter %.1f%%  libc %.1f%%  kernel %.1f%%  other %.1f%%\n",
			    100 * ours / tot, 100 * lm / tot, 100 * lc / tot, 100 * k / tot, 100 * other / tot
			printf "  system calls per session (perf stat pass):%s\n", sc
		}' "$out/$tag.report" | tee "$out/$tag.summary"
		grep -v '^#' "$out/$tag.comm" | grep -v '^$' | head -4 |
		    sed 's/^/  all CPUs by command:/' | tee -a "$out/$tag.summary"
	done
done
exit $status
