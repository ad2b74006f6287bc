# watch.mk - relayguardctl watch throughput (issue 18)
#
# Included by the top Makefile.
#
#	bench-watch	relayguardctl watch --once on a generated mail log of
#			1,000,000 lines (2% Dovecot logins of 2,000 users,
#			the rest Postfix, relayguard and forged lines), in
#			lines per second (bench/watch.sh; RG_BENCH_WATCH_LINES
#			tunes); fails below 100,000 lines/s

BENCH_TARGETS += bench-watch

.PHONY: bench-watch
bench-watch: all
	RG_TOP=$(CURDIR) RG_BUILD=$(CURDIR)/$(BUILD) sh bench/watch.sh
