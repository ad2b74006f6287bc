# bench.mk - build the milter load generator and run the milter benchmarks
#
# Included by the top Makefile.
#
#	build/milterload	the load generator (bench/milterload.c); also
#				built before the tests, which use it
#	bench-milter		relayguard against the no-op milter at 1, 16
#				and 128 connections (bench/run-milter.sh)
#	bench-postfix		end to end through Postfix: native, no-op
#				milter, postfwd, relayguard on a Unix socket
#				and on TCP (bench/run-postfix.sh)
#	bench-report		rewrite bench/results/results.md and the plot
#				from the raw results of earlier runs

MILTERLOAD := $(BUILD)/milterload
# noop.mk is read after this file (the include is alphabetical), so its
# NOOP_MILTER is still empty here: name the program directly.
BENCH_NOOP := $(BUILD)/noop-milter

$(MILTERLOAD): $(BUILD)/bench/milterload.o $(BUILD)/bench/mlscenario.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^

EXTRA_TEST_PROGS += $(MILTERLOAD)

-include $(BUILD)/bench/milterload.d $(BUILD)/bench/mlscenario.d

# The benchmarks write raw key=value lines under bench/results/raw and
# bench/report.sh turns everything there into bench/results/results.md
# and milter.png. RG_BENCH_SECONDS, RG_BENCH_CONNS and RG_BENCH_SOAK
# tune bench-milter (see bench/run-milter.sh).
BENCH_ENV = RG_TOP=$(CURDIR) RG_BUILD=$(CURDIR)/$(BUILD)

.PHONY: bench-milter bench-postfix bench-report
bench-milter: all $(MILTERLOAD) $(BENCH_NOOP)
	$(BENCH_ENV) sh bench/run-milter.sh
	$(BENCH_ENV) sh bench/report.sh

# End to end: smtp-source through private Postfix instances (native
# restrictions, no-op milter, postfwd, relayguard on a Unix socket and
# on TCP); needs root.
bench-postfix: all $(BENCH_NOOP)
	$(BENCH_ENV) sh bench/run-postfix.sh
	$(BENCH_ENV) sh bench/report.sh

bench-report:
	$(BENCH_ENV) sh bench/report.sh

# bench-summary (part of make bench) writes the report last: its
# prerequisites are every other benchmark target, expanded after all
# sub-makefiles have added theirs (bench-store's figures go in too).
.PHONY: bench-summary
.SECONDEXPANSION:
bench-summary: $$(filter-out bench-summary,$$(BENCH_TARGETS))
	$(BENCH_ENV) sh bench/report.sh

BENCH_TARGETS += bench-milter bench-postfix bench-summary
