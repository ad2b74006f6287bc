#!/bin/sh
# store.sh - relayguardctl compile/query against postmap lmdb:, and the
# in-process client lookup time, on one generated access table.
#
# Environment: RG_BUILD (binaries), RG_BENCH_STORE_LINES (default
# 1000000). Work files go to $RG_BUILD/bench/store (removed at the end);
# the figures are printed and kept in bench/results/store.txt.
set -eu
: "${RG_BUILD:?}"
LINES=${RG_BENCH_STORE_LINES:-1000000}
CTL="$RG_BUILD/relayguardctl"
W="$RG_BUILD/bench/store"
OUT="${RG_TOP:-.}/bench/results/store.txt"
rm -rf "$W"
mkdir -p "$W/postfix"
trap 'rm -rf "$W"' EXIT INT TERM

now() { date +%s.%N; }
secs() { echo "$1 $2" | awk '{ printf "%.2f", $2 - $1 }'; }
# timed CMD...: run CMD (stdin/stdout as given); sets WALL and CPU (user
# + system seconds), so that figures taken on a busy machine still say
# something.
timed() {
	/usr/bin/time -f '%e %U %S' -o "$W/time" "$@"
	WALL=$(awk '{ printf "%.2f", $1 }' "$W/time")
	CPU=$(awk '{ printf "%.2f", $2 + $3 }' "$W/time")
}
ratio() { echo "$1 $2" | awk '{ printf "%.1fx", ($2 > 0 ? $1 / $2 : 0) }'; }
# say - print and keep a line; paths inside the tree are kept relative
# to it, so the results say nothing of where they were measured
say() {
	l=$(printf '%s\n' "$*" | sed "s|${RG_TOP:-.}/||g")
	echo "$l"; echo "$l" >> "$OUT"
}
: > "$OUT"

# A mixed table with unique keys: IPv4 addresses, shortened networks,
# IPv4 and IPv6 CIDR blocks, IPv6 addresses, domains, mailboxes; every
# supported action. Plus the client addresses to look up: half of them
# keys of the table, half only covered by a CIDR block or not at all.
awk -v n="$LINES" -v keys="$W/keys" -v clients="$W/clients" 'BEGIN {
	split("OK|REJECT|REJECT 5.7.1 No relaying for you|554 5.7.1 Go away|DEFER|451 4.7.1 Later|DISCARD|DUNNO|RELAY|1700000000", act, "|")
	for (i = 0; i < n; i++) {
		k = i % 20; j = int(i / 20); hi = int(j / 256) % 256; lo = j % 256
		if (k < 8) {
			x = j * 8 + k
			key = sprintf("10.%d.%d.%d", int(x / 65536) % 256, int(x / 256) % 256, x % 256)
			if (j % 2 == 0) print key > clients
		} else if (k == 8) key = sprintf("11.%d.%d", hi, lo)
		else if (k == 9) {
			key = sprintf("172.%d.%d.0/24", 16 + hi, lo)
			printf "172.%d.%d.1\n", 16 + hi, lo > clients
		} else if (k == 10) {
			key = sprintf("12.%d.%d.0/28", hi, lo)
			printf "12.%d.%d.9\n", hi, lo > clients
			printf "13.%d.%d.1\n", hi, lo > clients
		} else if (k == 11) key = sprintf("2001:db8:%x::/64", j)
		else if (k == 12) key = sprintf("2001:db9::%x", j + 1)
		else if (k < 16) key = sprintf("host%d-%d.example%d.com", j, k, j % 97)
		else if (k < 19) key = sprintf("user%d.%d@example%d.org", j, k, j % 89)
		else key = sprintf("mx%d.example%d.net", j, j % 13)
		print key " " act[1 + (i * 7) % 10]
		print key > keys
	}
}' > "$W/access"
say "store benchmark ($(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)): $(wc -l < "$W/access") lines, $(wc -c < "$W/access") bytes ($W/access)"

# postmap needs a configuration directory; an empty main.cf will do.
: > "$W/postfix/main.cf"
PM="postmap -c $W/postfix"

timed $PM lmdb:"$W/access" 2>"$W/pm.err"
pm_wall=$WALL pm_cpu=$CPU
timed "$CTL" compile "$W/access" "$W/access.rg" 2>"$W/rg.err"
rg_wall=$WALL rg_cpu=$CPU
[ -s "$W/pm.err" ] && say "  postmap said: $(head -3 "$W/pm.err")"
[ -s "$W/rg.err" ] && say "  relayguardctl said: $(head -3 "$W/rg.err")"
say "compile: postmap lmdb:FILE ${pm_wall}s (cpu ${pm_cpu}s), relayguardctl compile ${rg_wall}s (cpu ${rg_cpu}s): $(ratio "$pm_wall" "$rg_wall") faster ($(ratio "$pm_cpu" "$rg_cpu") in cpu)"
say "  commands: $PM lmdb:$W/access; $CTL compile $W/access $W/access.rg"
timed "$CTL" compile "$W/access" "$W/access.rg" 2>/dev/null
say "  recompile over the existing table (in place, one transaction): ${WALL}s (cpu ${CPU}s)"

timed sh -c "$PM -q - lmdb:$W/access < $W/keys > $W/pm.out"
pm_wall=$WALL pm_cpu=$CPU
timed sh -c "$CTL query $W/access.rg - < $W/keys > $W/rg.out || :"
rg_wall=$WALL rg_cpu=$CPU
say "bulk query of $(wc -l < "$W/keys") keys: postmap -q - ${pm_wall}s (cpu ${pm_cpu}s), relayguardctl query - ${rg_wall}s (cpu ${rg_cpu}s): $(ratio "$pm_wall" "$rg_wall") faster ($(ratio "$pm_cpu" "$rg_cpu") in cpu)"
say "  commands: $PM -q - lmdb:$W/access < keys; $CTL query $W/access.rg - < keys"
# Both print KEY<TAB>VALUE: the answers must agree.
if cmp -s "$W/pm.out" "$W/rg.out"; then
	say "  both tools gave the same $(wc -l < "$W/rg.out") answers"
else
	say "  WARNING: the answers differ: $(diff "$W/pm.out" "$W/rg.out" | head -4)"
fi

say "in-process client lookups ($RG_BUILD/bench_store $W/access.rg clients):"
"$RG_BUILD/bench_store" "$W/access.rg" "$W/clients" 1000000 | while read -r l; do
	say "  $l"
done
