# tests/tsan.mk - ThreadSanitizer build of the concurrent tests
#
# Targets:
#	tsan-check	build everything with -fsanitize=thread into build-tsan/
#			and run the concurrent tests there: the store suite
#			(readers and writers on shared tables and grants) and
#			the integration scripts named in TSAN_INTEGRATION
#			(the daemon under many simultaneous connections)
#
# Variables:
#	TSAN_SUITES	Check suites to run (default: store, when it exists)
#	TSAN_INTEGRATION  substring selecting integration scripts (default
#			"concurren"; empty runs none)
#
# The build is the ordinary one with other flags: the top Makefile is
# run again with BUILD and SANFLAGS overridden on its command line.
# Any data race report fails the run (halt_on_error); tests/tsan.supp
# lists the reports in uninstrumented Debian libraries that are not
# ours to fix, each with the reason.

TSAN_SUITES	?= $(filter store,$(TEST_SUITES))
TSAN_INTEGRATION ?= concurren
TSAN_BUILD	:= build-tsan

.PHONY: tsan-check tsan-build

tsan-check:
	@sh mk/deps.sh test
	@$(MAKE) --no-print-directory tsan-build
	@status=0; \
	export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp"; \
	export RG_TOP=$(CURDIR) RG_BUILD=$(CURDIR)/$(TSAN_BUILD) RG_SANITIZE=1; \
	if [ -z "$(TSAN_SUITES)" ]; then \
	    echo "tsan-check: no concurrent suite to run (no tests/check_store.c yet)"; \
	fi; \
	for s in $(TSAN_SUITES); do \
	    echo "tsan-check: suite $$s"; \
	    CK_RUN_SUITE=$$s $(TSAN_BUILD)/check_relayguard || status=1; \
	done; \
	if [ -n "$(TSAN_INTEGRATION)" ] && \
	    ls tests/integration/*$(TSAN_INTEGRATION)*.test >/dev/null 2>&1; then \
	    echo "tsan-check: integration scripts matching $(TSAN_INTEGRATION)"; \
	    CK_RUN_SUITE=integration RG_INTEGRATION="$(TSAN_INTEGRATION)" \
		$(TSAN_BUILD)/check_relayguard || status=1; \
	fi; \
	exit $$status

tsan-build:
	@$(MAKE) --no-print-directory BUILD=$(TSAN_BUILD) OPT="-O1 -g" \
	    SANFLAGS="-fsanitize=thread -fno-omit-frame-pointer" check-build
