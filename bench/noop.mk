# noop.mk - build bench/noop-milter, a milter that answers continue
#
# Included by the top Makefile. build/noop-milter is a test program
# (tests/integration/harness.test proves the MTA harness with it) and
# the baseline milter of the benchmarks.

NOOP_MILTER := $(BUILD)/noop-milter

$(NOOP_MILTER): $(BUILD)/bench/noop-milter.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(MILTER_LIBS)

EXTRA_TEST_PROGS += $(NOOP_MILTER)

-include $(BUILD)/bench/noop-milter.d
