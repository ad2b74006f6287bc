#!/bin/sh
# report.sh - turn the raw benchmark results into results.md and a plot
#
# SYNOPSIS
#	sh bench/report.sh [rawdir [outdir]]
# DESCRIPTION
#	Reads the key=value lines that bench/run-milter.sh and
#	bench/run-postfix.sh write under bench/results/raw (milter.txt,
#	memory.txt, postfix.txt, machine.txt) and writes
#	bench/results/results.md (Markdown tables, with the targets of
#	issue 6 checked) and bench/results/milter.png (gnuplot: sessions/s
#	and p99 RCPT latency against concurrency). Missing raw files
#	leave their section out.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
raw=${1:-$top/bench/results/raw}
dir=${2:-$top/bench/results}
md=$dir/results.md
png=$dir/milter.png
dat=$raw/milter.dat

# get FILE LABEL CONNS KEY - a value from the median run (by sess_s) of
# the lines with that label and conns
get() {
	awk -v l="$2" -v c="$3" -v k="$4" '
	{
		delete f
		for (i = 1; i <= NF; i++) {
			n = index($i, "="); f[substr($i, 1, n - 1)] = substr($i, n + 1)
		}
		if (f["label"] == l && f["conns"] == c && (k in f)) {
			n = ++cnt; s[n] = f["sess_s"] + 0; v[n] = f[k]
			for (j = n; j > 1 && s[j - 1] > s[j]; j--) {
				t = s[j]; s[j] = s[j - 1]; s[j - 1] = t
				t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
			}
		}
	}
	END { print (cnt ? v[int((cnt + 1) / 2)] : "-") }' "$1"
}

{
	echo "# relayguard benchmark results"
	echo
	[ -f "$raw/machine.txt" ] && sed 's/^# /Machine and date: /' "$raw/machine.txt" && echo
	if [ -s "$raw/milter.txt" ]; then
		conns=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^conns=/) print substr($i, 7) }' \
		    "$raw/milter.txt" | awk '!seen[$0]++')
		echo "## Milter level (milterload, bench/scenarios/relayguard.scn)"
		echo
		echo "Sessions per second and latency from command to reply, in"
		echo "microseconds, over a Unix socket; relayguard's answers are"
		echo "checked, the no-op milter must answer continue. One session"
		echo "is one milter connection (negotiate, connect, HELO, MAIL, RCPTs)."
		echo "Each figure is the median of $(awk '/^label=noop conns=1 /' "$raw/milter.txt" | wc -l) interleaved runs."
		echo
		echo "| connections | no-op sessions/s | relayguard sessions/s | ratio | no-op RCPT p50 / p99 / p99.9 | relayguard RCPT p50 / p99 / p99.9 | relayguard wrong / errors |"
		echo "|---:|---:|---:|---:|---|---|---|"
		: >"$dat"
		for c in $conns; do
			ns=$(get "$raw/milter.txt" noop "$c" sess_s)
			rs=$(get "$raw/milter.txt" relayguard "$c" sess_s)
			ratio=$(awk -v a="$rs" -v b="$ns" 'BEGIN {
			    if (a == "-" || b == "-" || b == 0) print "-";
			    else printf "%.0f%%", 100 * a / b }')
			np="$(get "$raw/milter.txt" noop "$c" rcpt_p50) / $(get "$raw/milter.txt" noop "$c" rcpt_p99) / $(get "$raw/milter.txt" noop "$c" rcpt_p999)"
			rp="$(get "$raw/milter.txt" relayguard "$c" rcpt_p50) / $(get "$raw/milter.txt" relayguard "$c" rcpt_p99) / $(get "$raw/milter.txt" relayguard "$c" rcpt_p999)"
			rw="$(get "$raw/milter.txt" relayguard "$c" wrong) / $(get "$raw/milter.txt" relayguard "$c" errors)"
			echo "| $c | $ns | $rs | $ratio | $np | $rp | $rw |"
			echo "$c $ns $rs $(get "$raw/milter.txt" noop "$c" rcpt_p99) $(get "$raw/milter.txt" relayguard "$c" rcpt_p99)" |
			    sed 's/ -/ ?/g' >>"$dat"
		done
		echo
		echo "Per stage at the highest concurrency (p50 / p99 / p99.9 us):"
		echo
		last=$(echo "$conns" | tail -1)
		echo "| stage | no-op | relayguard |"
		echo "|---|---|---|"
		for st in open connect helo mail rcpt session; do
			echo "| $st | $(get "$raw/milter.txt" noop "$last" ${st}_p50) / $(get "$raw/milter.txt" noop "$last" ${st}_p99) / $(get "$raw/milter.txt" noop "$last" ${st}_p999) | $(get "$raw/milter.txt" relayguard "$last" ${st}_p50) / $(get "$raw/milter.txt" relayguard "$last" ${st}_p99) / $(get "$raw/milter.txt" relayguard "$last" ${st}_p999) |"
		done
		echo
		echo "![sessions/s and p99 RCPT latency against concurrency](milter.png)"
		echo
	fi
	if [ -s "$raw/memory.txt" ]; then
		echo "## relayguard memory and table build"
		echo
		echo "Resident memory of the daemon from /proc/PID/status, in MiB:"
		echo "RssAnon is its own memory (heap, stacks, in-memory lists),"
		echo "RssFile mostly the shared LMDB and library mappings."
		echo
		echo "| when | RssAnon | RssFile |"
		echo "|---|---:|---:|"
		awk '
		{
			delete f
			for (i = 1; i <= NF; i++) {
				n = index($i, "="); f[substr($i, 1, n - 1)] = substr($i, n + 1)
			}
			if (!("rss_anon_kb" in f)) next
			a = f["rss_anon_kb"] / 1024; r = f["rss_file_kb"] / 1024
			if (f["label"] == "relayguard")
				printf "| after the run at %s connections | %.1f | %.1f |\n", f["conns"], a, r
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
	if [ -s "$raw/postfix.txt" ]; then
		echo "## End to end through Postfix (smtp-source)"
		echo
		echo "Median of the runs (seconds: median, fastest, slowest)."
		echo
		echo "| policy | messages/s | recipients/s | relative to native | relative to no-op milter | seconds |"
		echo "|---|---:|---:|---:|---:|---|"
		awk '
		{
			delete f
			for (i = 1; i <= NF; i++) {
				n = index($i, "="); f[substr($i, 1, n - 1)] = substr($i, n + 1)
			}
			lab[NR] = f["label"]; mps[NR] = f["msg_s"]; rps[NR] = f["rcpt_s"]
			if ($2 == "unavailable") { un[NR] = 1; next }
			sec[NR] = f["secs"] (f["min"] != "" ? " (" f["min"] ", " f["max"] ")" : "")
			by[f["label"]] = f["msg_s"]
		}
		END {
			for (i = 1; i <= NR; i++) {
				if (un[i]) {
					printf "| %s | not measured: not built yet | | | | |\n", lab[i]
					continue
				}
				nat = by["native"] > 0 ? sprintf("%.0f%%", 100 * mps[i] / by["native"]) : "-"
				noop = by["noop"] > 0 ? sprintf("%.0f%%", 100 * mps[i] / by["noop"]) : "-"
				printf "| %s | %s | %s | %s | %s | %s |\n", lab[i], mps[i], rps[i], nat, noop, sec[i]
			}
		}' "$raw/postfix.txt"
		echo
	fi
	store=${RG_BUILD:-$top/build}/bench/store.txt
	if [ -s "$store" ]; then
		echo "## Tables: relayguardctl and postmap (bench-store)"
		echo
		echo '```'
		sed "s|$top/||g" "$store"
		echo '```'
		echo
	fi
} >"$md"

if [ -s "$dat" ] && command -v gnuplot >/dev/null 2>&1; then
	gnuplot <<GP
set terminal pngcairo size 1100,450 font ",10" noenhanced
set output "$png"
set datafile missing "?"
set multiplot layout 1,2 title "relayguard vs no-op milter (milterload, Unix socket)"
set logscale x 2
set xlabel "concurrent connections"
set key top left
set grid
set ylabel "sessions/s"
set yrange [0:*]
plot "$dat" using 1:2 with linespoints title "no-op milter", \
     "$dat" using 1:3 with linespoints title "relayguard"
set ylabel "RCPT p99 latency (us)"
set logscale y 10
set yrange [*:*]
plot "$dat" using 1:4 with linespoints title "no-op milter", \
     "$dat" using 1:5 with linespoints title "relayguard"
unset multiplot
GP
fi
echo "report: wrote $md${png:+ and $png}" >&2
