# bench.mk - build the milter load generator and run the milter benchmarks
#
# Included by the top Makefile.
#
#	build/milterload	the load generator (bench/milterload.c); also
#				built before the tests, which use it
#	bench-milter		relayguard against three no-op milters (fair:
#				every reply it may waive waived; answering
#				connect; naive) at 1, 16 and 128 connections
#				(bench/run-milter.sh)
#	bench-postfix		end to end through Postfix, both doors: native
#				restrictions; the no-op milters, relayguard's
#				milter on a Unix socket and on TCP; a no-op
#				policy server, postfwd, relayguard's policy
#				listener (bench/run-postfix.sh)
#	bench-report		rewrite bench/results/results.md and the plots
#				from the raw results of earlier runs

MILTERLOAD := $(BUILD)/milterload
# noop.mk is read after this file (the include is alphabetical), so its
# NOOP_MILTER and NOOP_POLICY are still empty here: name the programs.
BENCH_NOOP := $(BUILD)/noop-milter
BENCH_NOOP_POLICY := $(BUILD)/noop-policy

$(MILTERLOAD): $(BUILD)/bench/milterload.o $(BUILD)/bench/mlscenario.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^

EXTRA_TEST_PROGS += $(MILTERLOAD)

-include $(BUILD)/bench/milterload.d $(BUILD)/bench/mlscenario.d

# The benchmarks write raw key=value lines, one per run with the load
# average, to bench/results/*.txt (committed with the report, so that
# the report can be checked against its data) and bench/report.sh turns
# them into bench/results/results.md, milter.png and doors.png.
# RG_BENCH_SECONDS, RG_BENCH_CONNS and RG_BENCH_SOAK tune bench-milter
# (see bench/run-milter.sh), RG_BENCH_MESSAGES and RG_BENCH_VARIANTS
# bench-postfix (bench/run-postfix.sh); RG_BENCH_OUT puts the raw files
# and the report in another directory (a trial run leaves bench/results
# alone).
BENCH_ENV = RG_TOP=$(CURDIR) RG_BUILD=$(CURDIR)/$(BUILD)

.PHONY: bench-milter bench-postfix bench-report
bench-milter: all $(MILTERLOAD) $(BENCH_NOOP)
	$(BENCH_ENV) sh bench/run-milter.sh
	$(BENCH_ENV) sh bench/report.sh

# End to end: smtp-source through private Postfix instances (see
# bench/run-postfix.sh for the variants); needs root.
bench-postfix: all $(BENCH_NOOP) $(BENCH_NOOP_POLICY)
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
