# limits.mk - the rate-limit benchmark (issue 16)
#
# Included by the top Makefile.
#
#	build/bench_limits	times a recipient decision with and without
#				two limit rules, on one and 16 threads, the
#				counter store's take, and a flush of 100,000
#				counters to LMDB (bench/bench_limits.c)
#	bench-limits		runs it

BENCH_LIMITS := $(BUILD)/bench_limits

$(BENCH_LIMITS): $(BUILD)/bench/bench_limits.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

-include $(BUILD)/bench/bench_limits.d

BENCH_TARGETS += bench-limits

.PHONY: bench-limits
bench-limits: all $(BENCH_LIMITS)
	$(BENCH_LIMITS)
