# rules.mk - the rules engine benchmark (issue 3)
#
# Included by the top Makefile.
#
#	build/bench_rules	generates a configuration with 50 rcpt rules,
#				a list of 100,000 networks and one of 100,000
#				domains, and times its load and one rcpt
#				decision (bench/bench_rules.c)
#	bench-rules		runs it; targets: load < 500 ms, decision
#				< 2 us on one core

BENCH_RULES := $(BUILD)/bench_rules

$(BENCH_RULES): $(BUILD)/bench/bench_rules.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

-include $(BUILD)/bench/bench_rules.d

BENCH_TARGETS += bench-rules

.PHONY: bench-rules
bench-rules: all $(BENCH_RULES)
	$(BENCH_RULES)
