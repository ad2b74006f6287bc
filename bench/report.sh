#!/bin/sh
# report.sh - turn the raw benchmark results into results.md and plots
#
# SYNOPSIS
#	sh bench/report.sh [rawdir [outdir]]
# DESCRIPTION
#	Reads the raw results in rawdir (default $RG_BENCH_OUT, else
#	bench/results): milter.txt and
#	memory.txt (bench/run-milter.sh), postfix.txt
#	(bench/run-postfix.sh), store.txt (bench/store.sh) and watch.txt
#	(bench/watch.sh); one key=value line per run, "#" lines with the
#	date and the machine's uptime. Writes outdir/results.md (default
#	$RG_BENCH_OUT, else bench/results): Markdown tables of medians
#	over the interleaved rounds, and the targets of issues 16 and 19
#	checked; and, with
#	gnuplot, milter.png (sessions/s and p99 RCPT latency against
#	concurrency, milterload) and doors.png (messages/s end to end
#	through Postfix, the milter door and the policy door side by
#	side). A missing raw file leaves its section out. The raw files
#	are committed with the report, so every figure in results.md can
#	be recomputed from them.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
raw=${1:-${RG_BENCH_OUT:-$top/bench/results}}
dir=${2:-${RG_BENCH_OUT:-$top/bench/results}}
md=$dir/results.md
tmp=$(mktemp -d /tmp/rg-report.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

# stamps FILE - the "# start"/"# end" lines of a raw file, as prose
stamps() {
	sed -n 's/^# \(start\|end\) \([^ ]* [^ ]*\) UTC .*load average: \(.*\)$/\1 \2 UTC (load average \3)/p' "$1" |
	    paste -sd ';' - | sed 's/;/, /; s/^start/Run: started/; s/, end/, ended/'
}

# The awk library shared by the tables: kv() splits a line into f[],
# median() of v[1..n].
AWKLIB='
function kv(line,   i, n, a) {
	delete f
	n = split(line, a, " ")
	for (i = 1; i <= n; i++) {
		j = index(a[i], "=")
		if (j) f[substr(a[i], 1, j - 1)] = substr(a[i], j + 1)
		else f[a[i]] = ""
	}
}
function median(v, n,   i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
	return n ? (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2) : ""
}
function pct(x) { return x == "" ? "-" : sprintf("%.0f%%", 100 * x) }
'

# The awk program reading milter.txt, shared by its tables: s[], ss[],
# val[] by label, connections and round; med(), pair() and stat().
MILTERAWK='
/^#/ { next }
{
	kv($0)
	if (!("sess_s" in f) || !("round" in f)) {
		if (("unavailable" in f)) un[f["label"]] = 1
		next
	}
	l = f["label"]; c = f["conns"]; r = f["round"]
	if (!(c in seenc)) { seenc[c] = 1; conns[++nc] = c }
	s[l, c, r] = f["sess_s"]; rounds[r] = 1
	n = ++cnt[l, c]; ss[l, c, n] = f["sess_s"]
	for (k in f) val[l, c, r, k] = f[k]
	if (f["load1"] != "") {
		if (!((c) in lmin) || f["load1"] < lmin[c]) lmin[c] = f["load1"]
		if (f["load1"] > lmax[c]) lmax[c] = f["load1"]
	}
}
# med(l, c) - the median sessions/s of label l at c connections
function med(l, c,   i, v) {
	for (i = 1; i <= cnt[l, c]; i++) v[i] = ss[l, c, i]
	return median(v, cnt[l, c])
}
# pair(a, b, c) - the median over rounds of a / b, both of a round
function pair(a, b, c,   r, v, n) {
	n = 0
	for (r in rounds)
		if ((a, c, r) in s && (b, c, r) in s && s[b, c, r] > 0)
			v[++n] = s[a, c, r] / s[b, c, r]
	return median(v, n)
}
# stat(l, c, k) - key k of the run of label l with the median
# sessions/s at c connections
function stat(l, c, k,   r, m, best, d) {
	m = med(l, c); best = ""
	for (r in rounds)
		if ((l, c, r) in s) {
			d = s[l, c, r] - m; if (d < 0) d = -d
			if (best == "" || d < bd) { best = r; bd = d }
		}
	return best == "" || !((l, c, best, k) in val) ? "-" : val[l, c, best, k]
}
function fmt(x) { return x == "" ? "-" : sprintf("%.0f", x) }
'

# milter_tables - the milterload section's tables from milter.txt
milter_tables() {
	awk "$AWKLIB$MILTERAWK"'
	END {
		print "| connections | fair no-op | no-op answering connect | naive no-op | relayguard | relayguard / fair no-op | fair / answering connect | relayguard RCPT p50 / p99 / p99.9 µs | wrong / errors | load |"
		print "|---:|---:|---:|---:|---:|---:|---:|---|---|---|"
		for (i = 1; i <= nc; i++) {
			c = conns[i]
			rg = un["relayguard"] ? "unavailable" : fmt(med("relayguard", c))
			printf "| %s | %s | %s | %s | %s | %s | %s | %s / %s / %s | %s / %s | %s-%s |\n", c,
			    fmt(med("noop-fair", c)), fmt(med("noop-conn", c)),
			    fmt(med("noop-naive", c)), rg,
			    pct(pair("relayguard", "noop-fair", c)),
			    pct(pair("noop-fair", "noop-conn", c)),
			    stat("relayguard", c, "rcpt_p50"), stat("relayguard", c, "rcpt_p99"),
			    stat("relayguard", c, "rcpt_p999"),
			    stat("relayguard", c, "wrong"), stat("relayguard", c, "errors"),
			    lmin[c], lmax[c]
			printf "%s %s %s %s %s %s %s %s %s\n", c,
			    fmt(med("noop-fair", c)), fmt(med("noop-conn", c)),
			    fmt(med("noop-naive", c)), fmt(med("relayguard", c)),
			    stat("noop-fair", c, "rcpt_p99"), stat("noop-conn", c, "rcpt_p99"),
			    stat("noop-naive", c, "rcpt_p99"), stat("relayguard", c, "rcpt_p99") >dat
		}
		c = conns[nc]
		print ""
		printf "Per stage at %s connections, command to reply, µs (p50 / p99 / p99.9; 0: the reply was waived and nothing awaited):\n\n", c
		print "| stage | fair no-op | no-op answering connect | naive no-op | relayguard |"
		print "|---|---|---|---|---|"
		split("open connect helo mail rcpt session", st, " ")
		for (i = 1; i <= 6; i++) {
			printf "| %s", st[i]
			split("noop-fair noop-conn noop-naive relayguard", ls, " ")
			for (j = 1; j <= 4; j++)
				printf " | %s / %s / %s", stat(ls[j], c, st[i] "_p50"),
				    stat(ls[j], c, st[i] "_p99"), stat(ls[j], c, st[i] "_p999")
			print " |"
		}
	}' dat="$tmp/milter.dat" "$1"
}

# identity_table - relayguard-identity against relayguard from
# milter.txt, if it ran; writes the figure of issue 16's target
identity_table() {
	awk "$AWKLIB$MILTERAWK"'
	END {
		l = "relayguard-identity"
		for (i = 1; i <= nc; i++) if (cnt[l, conns[i]]) ran = 1
		printf "rg_identity_run=%s\n", ran ? "yes" : un[l] ? "unavailable" : "no" >figs
		printf "rg_identity_16=%s\n", pair(l, "relayguard", 16) >figs
		if (!ran) exit
		print "| connections | relayguard | relayguard-identity | identity / relayguard | identity RCPT p50 / p99 / p99.9 µs | wrong / errors |"
		print "|---:|---:|---:|---:|---|---|"
		for (i = 1; i <= nc; i++) {
			c = conns[i]
			if (!cnt[l, c]) continue
			printf "| %s | %s | %s | %s | %s / %s / %s | %s / %s |\n", c,
			    fmt(med("relayguard", c)), fmt(med(l, c)),
			    pct(pair(l, "relayguard", c)),
			    stat(l, c, "rcpt_p50"), stat(l, c, "rcpt_p99"), stat(l, c, "rcpt_p999"),
			    stat(l, c, "wrong"), stat(l, c, "errors")
		}
	}' figs="$tmp/idfigs" "$1"
}

# postfix_table - the end-to-end section from postfix.txt; also
# writes the plot data and the figures the targets need
postfix_table() {
	awk "$AWKLIB"'
	BEGIN {
		door["native"] = "reference"
		split("milter-noop milter-noop-conn milter-noop-naive relayguard relayguard-quiet relayguard-tcp", a, " ")
		for (i in a) door[a[i]] = "milter"
		split("policy-noop postfwd relayguard-policy", a, " ")
		for (i in a) door[a[i]] = "policy"
		what["native"] = "Postfix native restrictions"
		what["milter-noop"] = "fair no-op milter (answers RCPT only)"
		what["milter-noop-conn"] = "no-op milter answering connect and RCPT"
		what["milter-noop-naive"] = "naive no-op milter (answers every stage)"
		what["relayguard"] = "relayguard, milter on a Unix socket"
		what["relayguard-quiet"] = "relayguard, milter, connect reply waived (milter-connect-reply no)"
		what["relayguard-tcp"] = "relayguard, milter on loopback TCP"
		what["policy-noop"] = "native + no-op policy server (DUNNO)"
		what["postfwd"] = "postfwd (check_policy_service)"
		what["relayguard-policy"] = "relayguard, policy listener"
		ceil["milter"] = "milter-noop"; ceil["policy"] = "policy-noop"
		nl = split("native milter-noop milter-noop-conn milter-noop-naive relayguard relayguard-quiet relayguard-tcp policy-noop postfwd relayguard-policy", order, " ")
		for (i = 1; i <= nl; i++) seen[order[i]] = 1
	}
	/^#/ { next }
	{
		kv($0); l = f["label"]
		if (!(l in seen)) { seen[l] = 1; order[++nl] = l }
		if ("unavailable" in f) { un[l] = 1; next }
		if ("failed" in f) { failed[l]++; next }
		r = f["round"]; if (!(r in rounds)) { rounds[r] = 1; nr++ }
		m[l, r] = f["msg_s"]
		n = ++cnt[l]; sec[l, n] = f["secs"] + 0; ms[l, n] = f["msg_s"] + 0
		rs[l, n] = f["rcpt_s"] + 0
		if ("cpu_us" in f) { nc = ++ccnt[l]; cpu[l, nc] = f["cpu_us"] + 0 }
		if (!(l in lmin) || f["load1"] + 0 < lmin[l]) lmin[l] = f["load1"] + 0
		if (f["load1"] + 0 > lmax[l]) lmax[l] = f["load1"] + 0
		msgs = f["messages"]; sessions = f["sessions"]
	}
	function col(a, l,   i, v) {
		for (i = 1; i <= cnt[l]; i++) v[i] = a[l, i]
		return median(v, cnt[l])
	}
	function ext(a, l, want,   i, x) {
		x = ""
		for (i = 1; i <= cnt[l]; i++)
			if (x == "" || (want == "min" ? a[l, i] < x : a[l, i] > x)) x = a[l, i]
		return x
	}
	# cpumed(l) - the median filter CPU per recipient of l
	function cpumed(l,   k, cv) {
		for (k = 1; k <= ccnt[l]; k++) cv[k] = cpu[l, k]
		return median(cv, ccnt[l])
	}
	# pair(a, b) - the median over rounds of messages/s a / b
	function pair(a, b,   r, v, n) {
		n = 0
		for (r in rounds)
			if ((a, r) in m && (b, r) in m && m[b, r] > 0)
				v[++n] = m[a, r] / m[b, r]
		return median(v, n)
	}
	END {
		printf "smtp-source, %d messages of 3 recipients, %d sessions in parallel; medians of %d rounds.\n\n", msgs, sessions, nr
		print "| door | variant | messages/s | recipients/s | vs native | vs the door'"'"'s no-op | filter CPU, µs per recipient | seconds: median (fastest, slowest) | load |"
		print "|---|---|---:|---:|---:|---:|---:|---|---|"
		x = 0
		for (i = 1; i <= nl; i++) {
			l = order[i]
			if (!(l in door)) door[l] = "other"
			if (!(l in what)) what[l] = l
			d = door[l] == "reference" ? 1 : door[l] == "milter" ? 2 : 3
			if (!un[l] && !cnt[l] && !failed[l]) continue
			if (un[l] || !cnt[l]) {
				printf "| %s | %s | not run: %s | | | | | | |\n", door[l], what[l],
				    un[l] ? "unavailable on this build" : "every run failed"
				continue
			}
			c = door[l] in ceil ? pct(pair(l, ceil[door[l]])) : "-"
			cu = ccnt[l] ? sprintf("%.0f", cpumed(l)) : "-"
			printf "| %s | %s | %.1f | %.1f | %s | %s | %s | %.2f (%.2f, %.2f)%s | %.1f-%.1f |\n",
			    door[l], what[l], col(ms, l), col(rs, l), pct(pair(l, "native")), c, cu,
			    col(sec, l), ext(sec, l, "min"), ext(sec, l, "max"),
			    failed[l] ? sprintf(", %d failed", failed[l]) : "",
			    lmin[l], lmax[l]
			printf "%d \"%s\" %.1f %.1f %.1f %d\n", x++, l, col(ms, l),
			    ext(ms, l, "min"), ext(ms, l, "max"), d >dat
			fig[l] = 1
		}
		# the figures of the targets, for the shell
		printf "rg_policy_native=%s\n", fig["relayguard-policy"] ? pair("relayguard-policy", "native") : "" >figs
		printf "rg_policy_postfwd=%s\n", fig["relayguard-policy"] && fig["postfwd"] ? pair("relayguard-policy", "postfwd") : "" >figs
		printf "noop_policy_native=%s\n", fig["policy-noop"] ? pair("policy-noop", "native") : "" >figs
		printf "rg_milter_fair=%s\n", fig["relayguard"] && fig["milter-noop"] ? pair("relayguard", "milter-noop") : "" >figs
		printf "rg_quiet_fair=%s\n", fig["relayguard-quiet"] && fig["milter-noop"] ? pair("relayguard-quiet", "milter-noop") : "" >figs
		printf "rg_quiet_rg=%s\n", fig["relayguard-quiet"] && fig["relayguard"] ? pair("relayguard-quiet", "relayguard") : "" >figs
		printf "rg_policy_cpu=%s\n", ccnt["relayguard-policy"] ? cpumed("relayguard-policy") : "" >figs
		printf "postfwd_cpu=%s\n", ccnt["postfwd"] ? cpumed("postfwd") : "" >figs
		printf "rg_milter_native=%s\n", fig["relayguard"] ? pair("relayguard", "native") : "" >figs
		printf "fair_native=%s\n", fig["milter-noop"] ? pair("milter-noop", "native") : "" >figs
		printf "fair_conn=%s\n", fig["milter-noop"] && fig["milter-noop-conn"] ? pair("milter-noop", "milter-noop-conn") : "" >figs
		printf "rg_milter_postfwd=%s\n", fig["relayguard"] && fig["postfwd"] ? pair("relayguard", "postfwd") : "" >figs
	}' dat="$tmp/doors.dat" figs="$tmp/figs" "$1"
}

# verdict X TARGET [WORD] - "holds (N%)" (or WORD) or "missed (N%)"
# for a ratio X against TARGET, or "not measured"
verdict() {
	awk -v x="$1" -v t="$2" -v w="${3:-holds}" 'BEGIN {
		if (x == "") print "not measured"
		else printf "%s (%.0f%%)\n", (x >= t ? w : "missed"), 100 * x
	}'
}

# times X - "holds (N.N times)" against 3 times
times3() {
	awk -v x="$1" 'BEGIN {
		if (x == "") print "not measured"
		else printf "%s (%.1f times)\n", (x >= 3 ? "holds" : "missed"), x
	}'
}

{
	echo "# relayguard benchmark results"
	echo
	echo "Written by \`bench/report.sh\` from the raw results next to this"
	echo "file (one line per run, with the load average before it). The"
	echo "machine is shared: every comparison below is between variants"
	echo "run in the same rounds, interleaved, and every figure is a median."
	echo
	if [ -s "$raw/postfix.txt" ]; then
		echo "## End to end through Postfix: both doors (\`make bench-postfix\`)"
		echo
		echo "$(stamps "$raw/postfix.txt")."
		sed -n 's/^# note: \(.*\)$/Note: \1./p' "$raw/postfix.txt"
		echo
		postfix_table "$raw/postfix.txt"
		echo
		echo "\"vs native\" and \"vs the door's no-op\" are medians over the"
		echo "rounds of the ratio within each round. The client is untrusted,"
		echo "every recipient local: every variant looks everything up."
		echo "\"filter CPU\" is the user and system time of the filter's"
		echo "processes during a run (from /proc), per recipient, median over"
		echo "the rounds: what the door costs the machine, which the load of"
		echo "other work does not change as it changes the rates."
		echo
		echo "![messages/s end to end, both doors](doors.png)"
		echo
		. "$tmp/figs"
		echo "### Targets of issue 19"
		echo
		echo "| target | status |"
		echo "|---|---|"
		echo "| policy door ≥ 95% of native restrictions, same run | $(verdict "$rg_policy_native" 0.95) |"
		echo "| policy door ≥ 3 times postfwd | $(times3 "$rg_policy_postfwd") |"
		echo "| milter door ≥ 95% of the fair no-op milter, end to end | $(verdict "$rg_milter_fair" 0.95) |"
		echo "| the same, with milter-connect-reply no (both answer RCPT only) | $(verdict "$rg_quiet_fair" 0.95) |"
		echo
		awk -v a="$rg_policy_cpu" -v b="$postfwd_cpu" 'BEGIN {
			if (a == "" || b == "" || a <= 0) exit
			printf "End to end, no policy server can run faster than Postfix\n"
			printf "itself: the policy door runs at native speed, so its lead on\n"
			printf "postfwd is bounded by postfwd'"'"'s share of native. Per decision,\n"
			printf "the policy door used %.0f µs of CPU and postfwd %.0f µs:\n", a, b
			printf "%.0f times less.\n\n", b / a
		}'
		echo "Waiving relayguard's connect reply (milter-connect-reply no)"
		echo "against answering it: $(verdict "$rg_quiet_rg" 1 | sed 's/^[a-z]* (\(.*\))$/\1/') end to end."
		echo
		echo "For comparison: the no-op policy server reached $(verdict "$noop_policy_native" 1 | sed 's/^[a-z]* (\(.*\))$/\1/') of native,"
		echo "the fair no-op milter $(verdict "$fair_native" 1 | sed 's/^[a-z]* (\(.*\))$/\1/'), relayguard's milter door $(verdict "$rg_milter_native" 1 | sed 's/^[a-z]* (\(.*\))$/\1/');"
		echo "the milter door did $(times3 "$rg_milter_postfwd" | sed 's/^[a-z]* (\(.*\))$/\1/') postfwd's rate."
		echo "Waiving the connect reply as well (fair no-op against the no-op"
		echo "answering connect): $(verdict "$fair_conn" 1 | sed 's/^[a-z]* (\(.*\))$/\1/') end to end."
		echo
	fi
	if [ -s "$raw/milter.txt" ]; then
		echo "## Milter level (\`make bench-milter\`: milterload, bench/scenarios/relayguard.scn)"
		echo
		echo "$(stamps "$raw/milter.txt")."
		echo
		echo "Sessions per second over a Unix socket, medians of"
		echo "$(awk '!/^#/ && match($0, / round=[0-9]+/) { r[substr($0, RSTART, RLENGTH)] = 1 } END { for (k in r) n++; print n + 0 }' "$raw/milter.txt") interleaved rounds; the ratios are medians of the ratio within each"
		echo "round. One session is one milter connection (negotiate, connect,"
		echo "HELO, MAIL, RCPTs). relayguard's answers are checked; the no-op"
		echo "milters must answer continue. All four skip the content stages;"
		echo "relayguard waives the HELO and MAIL replies."
		echo
		milter_tables "$raw/milter.txt"
		echo
		echo "![sessions/s and p99 RCPT latency against concurrency](milter.png)"
		echo
		echo "### Identity controls: the cost of issue 16"
		echo
		identity_table "$raw/milter.txt" >"$tmp/identity.md"
		. "$tmp/idfigs"
		case $rg_identity_run in
		yes)
			echo "relayguard-identity is the same daemon and configuration with,"
			echo "ahead of every rcpt rule, sender ownership against a 5,004-entry"
			echo "login map and two rate limits per identity (bench/run-milter.sh),"
			echo "run right before or after relayguard in every round. Sessions per"
			echo "second, medians; the share is the median of the ratio within each"
			echo "round."
			echo
			cat "$tmp/identity.md"
			;;
		unavailable)
			echo "Not measured: relayguard-identity was unavailable in this run"
			echo "(its login map or configuration failed, or relayguard did not run)."
			;;
		*)
			echo "Not measured: these results have no relayguard-identity run."
			;;
		esac
		echo
		echo "### Targets of issue 16"
		echo
		echo "| target | status |"
		echo "|---|---|"
		if [ "$rg_identity_run" = yes ] && [ -z "$rg_identity_16" ]; then
			t16="not measured: no round ran both daemons at 16 connections"
		elif [ "$rg_identity_run" = yes ]; then
			t16=$(verdict "$rg_identity_16" 0.90 met)
		else
			t16="not measured: relayguard-identity did not run"
		fi
		echo "| with ownership and two rate limits on every recipient, ≥ 90% of relayguard's sessions/s at 16 connections | $t16 |"
		echo
	fi
	if [ -s "$raw/memory.txt" ]; then
		echo "## relayguard memory and table build"
		echo
		echo "Resident memory of the daemon from /proc/PID/status, in MiB:"
		echo "RssAnon is its own memory (heap, stacks, in-memory lists);"
		echo "RssFile + RssShmem the LMDB and library mappings, shared"
		echo "(the benchmark's tables are in /dev/shm when it exists)."
		echo
		echo "| when | RssAnon | RssFile + RssShmem |"
		echo "|---|---:|---:|"
		awk "$AWKLIB"'
		/^#/ { next }
		{
			kv($0)
			if (!("rss_anon_kb" in f)) next
			a = f["rss_anon_kb"] / 1024; r = (f["rss_file_kb"] + f["rss_shmem_kb"]) / 1024
			if (f["label"] == "relayguard")
				printf "| after the last round at %s connections | %.1f | %.1f |\n", f["conns"], a, r
			else if (f["label"] == "relayguard-identity")
				printf "| relayguard-identity, after the last round at %s connections | %.1f | %.1f |\n", f["conns"], a, r
			else if (f["label"] == "soak") {
				if (!ns++) { fa = a; fr = r }
				if (a > ma) ma = a
				la = a; lr = r
			}
		}
		END {
			if (ns) {
				printf "| soak: first sample | %.1f | %.1f |\n", fa, fr
				printf "| soak: largest of %d samples | %.1f | |\n", ns, ma
				printf "| soak: after the last session | %.1f | %.1f |\n", la, lr
			}
		}' "$raw/memory.txt"
		echo
		grep -q '^compile' "$raw/memory.txt" &&
		    echo "Table build: $(grep '^compile' "$raw/memory.txt") (seconds)." && echo
		if grep -q '^label=soak' "$raw/milter.txt" 2>/dev/null; then
			echo "Soak run (16 connections): $(grep '^label=soak' "$raw/milter.txt" |
			    awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^(sessions|sess_s|wrong|errors|rcpt_p99|rcpt_p999)=/) printf "%s ", $i }')"
			echo
		fi
	fi
	if [ -s "$raw/store.txt" ]; then
		echo "## Tables: relayguardctl and postmap (\`make bench-store\`)"
		echo
		echo '```'
		sed "s|$top/||g" "$raw/store.txt"
		echo '```'
		echo
	fi
	if [ -s "$raw/watch.txt" ]; then
		echo "## relayguardctl watch (\`make bench-watch\`)"
		echo
		echo '```'
		tail -1 "$raw/watch.txt"
		echo '```'
		echo
	fi
} >"$md"

plots=""
if command -v gnuplot >/dev/null 2>&1; then
	if [ -s "$tmp/milter.dat" ]; then
		sed 's/ -/ ?/g; s/ $//' "$tmp/milter.dat" >"$tmp/milter.gp.dat"
		gnuplot <<GP && plots="$plots milter.png"
set terminal pngcairo size 1100,450 font ",10" noenhanced
set output "$dir/milter.png"
set datafile missing "?"
set multiplot layout 1,2 title "relayguard and no-op milters (milterload, Unix socket)"
set logscale x 2
set xlabel "concurrent connections"
set key top left
set grid
set ylabel "sessions/s"
set yrange [0:*]
plot "$tmp/milter.gp.dat" using 1:2 with linespoints title "fair no-op (answers RCPT only)", \
     "$tmp/milter.gp.dat" using 1:3 with linespoints title "no-op answering connect", \
     "$tmp/milter.gp.dat" using 1:4 with linespoints title "naive no-op", \
     "$tmp/milter.gp.dat" using 1:5 with linespoints lw 2 title "relayguard"
set ylabel "RCPT p99 latency (us)"
set logscale y 10
set yrange [*:*]
plot "$tmp/milter.gp.dat" using 1:6 with linespoints title "fair no-op", \
     "$tmp/milter.gp.dat" using 1:7 with linespoints title "no-op answering connect", \
     "$tmp/milter.gp.dat" using 1:8 with linespoints title "naive no-op", \
     "$tmp/milter.gp.dat" using 1:9 with linespoints lw 2 title "relayguard"
unset multiplot
GP
	fi
	if [ -s "$tmp/doors.dat" ]; then
		gnuplot <<GP && plots="$plots doors.png"
set terminal pngcairo size 1100,480 font ",10" noenhanced
set output "$dir/doors.png"
set title "End to end through Postfix (smtp-source): messages/s, median and range of the rounds"
set style fill solid 0.6 border -1
set boxwidth 0.7
set grid ytics
set yrange [0:*]
set xrange [-0.6:*]
set ylabel "messages/s"
set xtics rotate by -30 left
set offsets 0, 0, graph 0.15, 0
set key top center horizontal
plot "$tmp/doors.dat" using 1:(\$6 == 1 ? \$3 : 1/0):xtic(2) with boxes lc rgb "#777777" title "reference", \
     "" using 1:(\$6 == 2 ? \$3 : 1/0) with boxes lc rgb "#3b75af" title "milter door", \
     "" using 1:(\$6 == 3 ? \$3 : 1/0) with boxes lc rgb "#e1812c" title "policy door", \
     "" using 1:3:4:5 with yerrorbars lc rgb "black" pt -1 notitle
GP
	fi
fi
echo "report: wrote $md${plots:+ and$plots}" >&2
