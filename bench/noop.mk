# noop.mk - build the do-nothing servers of the benchmarks
#
# Included by the top Makefile.
#
#	build/noop-milter	a libmilter filter that answers continue
#				(bench/noop-milter.c); a test program too
#				(tests/integration/harness.test proves the
#				MTA harness with it) and the milter
#				baseline of the benchmarks
#	build/noop-policy	a Postfix policy server that answers
#				DUNNO (bench/noop-policy.c): the policy
#				baseline of bench-postfix

NOOP_MILTER := $(BUILD)/noop-milter
NOOP_POLICY := $(BUILD)/noop-policy

$(NOOP_MILTER): $(BUILD)/bench/noop-milter.o $(BUILD)/bench/nooputil.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(MILTER_LIBS)

$(NOOP_POLICY): $(BUILD)/bench/noop-policy.o $(BUILD)/bench/nooputil.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^

EXTRA_TEST_PROGS += $(NOOP_MILTER)

-include $(BUILD)/bench/noop-milter.d $(BUILD)/bench/noop-policy.d \
    $(BUILD)/bench/nooputil.d
