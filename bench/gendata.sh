# gendata.sh - the benchmark data, sourced by run-milter.sh, profile.sh
# and run-postfix.sh
#
# Defines bench_stamp WORD (a dated comment line with the load
# average for the raw results), gen_client_access FILE (the
# 1,000,000-line client table) and gen_data(), which writes into
# $scratch: 100,000 blocked
# networks, 100,000 local domains, a 1,000,000-line client table, a
# sender table, 10,000 grant addresses, and relayguard.conf from
# bench/bench.conf.in. Needs $scratch and $top.

# bench_stamp WORD - a comment line for a raw results file: WORD, the
# time, the machine and its uptime (the load average: the machine may
# be shared, and a figure means little without it)
bench_stamp() {
	echo "# $1 $(date -u '+%Y-%m-%d %H:%M:%S UTC') $(uname -srm)," \
	    "$(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo);" \
	    "uptime: $(uptime | sed 's/^ *//')"
}

# gen_client_access FILE - 100.64.0.0/10 holds 4M addresses: every
# fourth is listed, one in ten REJECT (i ending in 9), the others OK
gen_client_access() {
	awk 'BEGIN {
		for (i = 0; i < 1000000; i++) {
			a = i * 4 + 2
			if (i % 10 == 9) { a = i * 4 + 1; v = "REJECT" } else v = "OK"
			printf "100.%d.%d.%d %s\n", 64 + int(a / 65536),
			    int(a / 256) % 256, a % 256, v
		}
	}' >"$1"
}

# gen_data - the lists, table sources and config in $scratch
gen_data() {
	awk 'BEGIN {
		for (i = 0; i < 50000; i++)
			printf "10.%d.%d.0/24\n", int(i / 256), i % 256
		for (i = 0; i < 50000; i++)
			printf "2001:db8:ff00:%x::/64\n", i
	}' >"$scratch/blocked.cidr"
	awk 'BEGIN {
		print "example.com"; print ".example.com"; print "example.net"
		for (i = 0; i < 99997; i++) printf "d%06d.example\n", i
	}' >"$scratch/local.domains"
	gen_client_access "$scratch/client_access"
	printf '%s\n' 'spammer@example.com REJECT' 'newsletter.example DUNNO' \
	    '<> DUNNO' >"$scratch/sender_access"
	awk 'BEGIN {
		for (i = 0; i < 10000; i++)
			printf "198.18.%d.%d\n", int(i / 256), i % 256
	}' >"$scratch/grants"
	sed "s|@DIR@|$scratch|g" "$top/bench/bench.conf.in" >"$scratch/relayguard.conf"
}
