# store.mk - the table benchmark (issue 4)
#
# Included by the top Makefile.
#
#	build/bench_store	in-process client lookup timer
#				(bench/bench_store.c)
#	bench-store		relayguardctl compile and bulk query against
#				postmap lmdb: on one generated 1,000,000-line
#				table, plus the in-process lookup time
#				(bench/store.sh; RG_BENCH_STORE_LINES tunes)

BENCH_STORE := $(BUILD)/bench_store

$(BENCH_STORE): $(BUILD)/bench/bench_store.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

-include $(BUILD)/bench/bench_store.d

BENCH_TARGETS += bench-store

.PHONY: bench-store
bench-store: all $(BENCH_STORE)
	RG_TOP=$(CURDIR) RG_BUILD=$(CURDIR)/$(BUILD) sh bench/store.sh
