#!/bin/sh
# watch.sh - how many log lines a second relayguardctl watch reads
#
# Generates a mail log of RG_BENCH_WATCH_LINES lines (default 1,000,000)
# stamped with the current time: 2% Dovecot logins of 2,000 users from
# 2,000 addresses, the rest Postfix reject lines, relayguard reject lines
# carrying forged login text, Dovecot logouts and failed logins. Then
# runs "relayguardctl watch -s --once" on it into a fresh table and
# prints lines/s (user+system CPU time, and wall time) as key=value
# lines, also appended to bench/results/watch.txt. Exit 1 when below
# 100,000 lines/s of CPU time, or when the grants are not the 2,000
# expected.
set -eu
top=${RG_TOP:?}
ctl=${RG_BUILD:?}/relayguardctl
n=${RG_BENCH_WATCH_LINES:-1000000}
T=$(mktemp -d /tmp/rgbenchwatch.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM

LC_ALL=C awk -v n="$n" -v h="$(LC_ALL=C date '+%b %e %H:%M:%S') mx" 'BEGIN {
	for (i = 0; i < n; i++) {
		r = i % 50
		u = int(i / 50) % 2000
		a = sprintf("10.1.%d.%d", int(u / 250), u % 250 + 1)
		if (r == 0)
			printf "%s dovecot: imap-login: Login: user=<user%d>, method=PLAIN, rip=%s, lip=192.0.2.1, mpid=%d, TLS, session=<Ab%dZ>\n", h, u, a, i, i
		else if (r < 30)
			printf "%s postfix/smtpd[%d]: NOQUEUE: reject: RCPT from unknown[203.0.113.%d]: 554 5.7.1 <a%d@example.org>: Relay access denied; from=<s%d@example.net> to=<a%d@example.org> proto=ESMTP helo=<h%d.example>\n", h, i, i % 250, i, i, i, i
		else if (r < 40)
			printf "%s relayguard[12]: NOQUEUE: reject: helo=<imap-login: Login: user=<x>, rip=198.18.%d.%d> rcpt=<a@b>\n", h, int(i / 250) % 250, i % 250
		else if (r < 48)
			printf "%s dovecot: imap(user%d)<%d><Ab%dZ>: Disconnected: Logged out in=12 out=477\n", h, u, i, i
		else
			printf "%s dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<x%d>, method=PLAIN, rip=198.18.0.%d, lip=192.0.2.1\n", h, i, i % 250
	}
}' > "$T/mail.log"

/usr/bin/time -f "%U %S %e" -o "$T/time" \
	"$ctl" watch -s --once -t "$T/popauth.lmdb" "$T/mail.log" 2> "$T/err"
read -r user sys wall < "$T/time"
tail -1 "$T/err"
granted=$("$ctl" list -t "$T/popauth.lmdb" | wc -l)
forged=$("$ctl" list -a -t "$T/popauth.lmdb" | grep -c '^198\.18\.' || :)
cpu_rate=$(echo "$n $user $sys" | awk '{ t = $2 + $3; if (t < 0.01) t = 0.01; printf "%d", $1 / t }')
wall_rate=$(echo "$n $wall" | awk '{ t = $2; if (t < 0.01) t = 0.01; printf "%d", $1 / t }')
line="bench=watch date=$(date -u +%Y-%m-%dT%H:%M:%SZ) load1=$(cut -d' ' -f1 /proc/loadavg) lines=$n cpu_s=$(echo "$user $sys" | awk '{ print $1 + $2 }') wall_s=$wall lines_per_s_cpu=$cpu_rate lines_per_s_wall=$wall_rate grants=$granted forged_grants=$forged"
echo "$line"
echo "$line" >> "$top/bench/results/watch.txt"
[ "$granted" -eq 2000 ] || { echo "bench-watch: $granted grants, want 2000"; exit 1; }
[ "$forged" -eq 0 ] || { echo "bench-watch: $forged forged grants"; exit 1; }
[ "$cpu_rate" -ge 100000 ] || { echo "bench-watch: below 100,000 lines/s"; exit 1; }
