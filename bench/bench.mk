# bench.mk - build the milter load generator and run the milter benchmarks
#
# Included by the top Makefile.
#
#	build/milterload	the load generator (bench/milterload.c); also
#				built before the tests, which use it
#	bench-milter		relayguard against the no-op milter at 1, 16
#				and 128 connections (bench/run-milter.sh)

MILTERLOAD := $(BUILD)/milterload

$(MILTERLOAD): $(BUILD)/bench/milterload.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^

EXTRA_TEST_PROGS += $(MILTERLOAD)
# check-build's prerequisites were expanded before this file was read.
check-build: $(MILTERLOAD)

-include $(BUILD)/bench/milterload.d
