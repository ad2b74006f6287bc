# fuzz/fuzz.mk - libFuzzer targets (included by the top Makefile)
#
# Targets:
#	fuzz		install clang if missing, build every fuzz/fuzz_NAME.c
#			into build-fuzz/fuzz_NAME; with FUZZ_SECONDS=N, also
#			run each for N seconds over fuzz/corpus/NAME/
#	fuzz-build	build only (no package step)
#	fuzz-run	run only (FUZZ_SECONDS, default 10)
#
# Variables:
#	FUZZ_SECONDS=N	run each target for N seconds after building
#	FUZZ_TARGETS	the names to run (default: every fuzz/fuzz_NAME.c)
#	FUZZ_CC		the compiler (default clang; libFuzzer needs clang)
#
# The project sources are compiled again with clang and the same
# instrumentation as the fuzzers (coverage, ASan, UBSan) into
# build-fuzz/obj/: build/librelayguard.a is gcc without instrumentation
# and would leave libFuzzer blind. New corpus entries go to
# build-fuzz/corpus/NAME/ and crashes to build-fuzz/crashes/; the
# committed corpus under fuzz/corpus/ is only read.

FUZZ_CC		?= clang
FUZZ_BUILD	:= build-fuzz
FUZZ_SECONDS	?=
FUZZ_SANFLAGS	:= -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
# No _FORTIFY_SOURCE: its checked string functions hide accesses from
# ASan's interceptors.
FUZZ_CFLAGS	:= -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	$(WARN) -I. $(PKG_CFLAGS) -pthread -g -O1 -DRG_FUZZ=1 $(FUZZ_SANFLAGS)

# The milter helpers (everything in milter/ but the daemon's main) are
# fuzzed too. They go into an archive, so that each target links only
# the objects it uses: the fact and reply helpers do not drag in the
# libmilter callbacks or, before it lands, the rules engine.
FUZZ_LIB_SRCS	:= $(LIB_SRCS) $(filter-out milter/main.c,$(MILTER_SRCS))
FUZZ_LIB_OBJS	:= $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(FUZZ_LIB_SRCS))
FUZZ_LIB	:= $(FUZZ_BUILD)/librelayguard-fuzz.a
FUZZ_SRCS	:= $(wildcard fuzz/fuzz_*.c)
FUZZ_NAMES	:= $(patsubst fuzz/fuzz_%.c,%,$(FUZZ_SRCS))
FUZZ_BINS	:= $(patsubst %,$(FUZZ_BUILD)/fuzz_%,$(FUZZ_NAMES))
FUZZ_TARGETS	?= $(FUZZ_NAMES)

.PHONY: fuzz fuzz-build fuzz-run

fuzz:
	@sh mk/deps.sh fuzz
	@$(MAKE) --no-print-directory fuzz-build
	@if [ -n "$(FUZZ_SECONDS)" ]; then \
	    $(MAKE) --no-print-directory fuzz-run \
		FUZZ_SECONDS="$(FUZZ_SECONDS)"; fi

fuzz-build: $(FUZZ_BINS)

# Library objects: coverage instrumentation without libFuzzer's main.
$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP \
	    -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/obj/fuzz/fuzz_%.o $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_SANFLAGS) -fsanitize=fuzzer -pthread -o $@ $^ \
	    $(MILTER_LIBS) $(PKG_LIBS)

# Each target runs over a scratch copy of its corpus (libFuzzer adds
# the inputs it finds to the first directory) with the committed seeds
# as a second, read-only directory. Options: fuzz/NAME.options holds
# extra libFuzzer flags (-max_len=..., -dict=...), one per line. The
# last line libFuzzer prints, "Done N runs in S second(s)", is kept in
# build-fuzz/NAME.log and summarised.
fuzz-run:
	@secs="$(or $(FUZZ_SECONDS),10)"; failed=""; \
	mkdir -p $(FUZZ_BUILD)/crashes; \
	for t in $(FUZZ_TARGETS); do \
	    bin=$(FUZZ_BUILD)/fuzz_$$t; \
	    [ -x "$$bin" ] || { echo "fuzz: $$bin not built" >&2; \
		failed="$$failed $$t"; continue; }; \
	    mkdir -p $(FUZZ_BUILD)/corpus/$$t fuzz/corpus/$$t; \
	    opts=""; [ -f fuzz/$$t.options ] && \
		opts=$$(grep -v '^#' fuzz/$$t.options | \
		    sed 's|=fuzz/|=$(CURDIR)/fuzz/|' | tr '\n' ' '); \
	    echo "fuzz: $$t for $${secs}s"; \
	    if "$$bin" -max_total_time=$$secs -timeout=10 -rss_limit_mb=1024 \
		-print_final_stats=1 \
		-artifact_prefix=$(CURDIR)/$(FUZZ_BUILD)/crashes/$$t- $$opts \
		$(CURDIR)/$(FUZZ_BUILD)/corpus/$$t $(CURDIR)/fuzz/corpus/$$t \
		> $(FUZZ_BUILD)/$$t.log 2>&1; then \
		grep -h '^stat::number_of_executed_units' \
		    $(FUZZ_BUILD)/$$t.log | sed "s/^stat::number_of_executed_units:/fuzz: $$t: executions:/"; \
	    else \
		echo "fuzz: $$t FAILED; last lines of $(FUZZ_BUILD)/$$t.log:" >&2; \
		tail -n 40 $(FUZZ_BUILD)/$$t.log >&2; \
		failed="$$failed $$t"; \
	    fi; \
	done; \
	if [ -n "$$failed" ]; then \
	    echo "fuzz: FAILED:$$failed (inputs in $(FUZZ_BUILD)/crashes/)" >&2; \
	    exit 1; fi; \
	echo "fuzz: all targets ran $${secs}s without a finding"

-include $(patsubst %.o,%.d,$(FUZZ_LIB_OBJS) \
	$(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(FUZZ_SRCS)))
