# relayguard - relay-control milter for Postfix and Sendmail
#
# Targets:
#	all		build relayguard and relayguardctl (default)
#	check		install missing test packages, build, run every test
#	regen		rewrite the golden files of the tests (tests nothing)
#	run		build and run the daemon in the foreground
#	bench		run the benchmarks (bench/)
#	fuzz		build the libFuzzer targets (fuzz/)
#	install		install under $(DESTDIR)$(PREFIX) (see INSTALL below)
#	uninstall	remove what install added; keep configuration and tables
#	clean		remove build output
#
# Variables:
#	SANITIZE=1	build with AddressSanitizer and UBSan (into build-san/)
#	WERROR=0	do not turn warnings into errors (for packagers)
#	PREFIX, DESTDIR, CC, CFLAGS, LDFLAGS as usual; the install
#	directories SBINDIR, MANDIR, SYSCONFDIR, DOCDIR, UNITDIR,
#	SYSUSERSDIR and TMPFILESDIR (all but SYSCONFDIR below PREFIX,
#	where systemd looks for /usr/local and /usr alike)

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DOCDIR	?= $(PREFIX)/share/doc/relayguard
UNITDIR	?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d

SANITIZE ?= 0
WERROR	?= 1

ifeq ($(SANITIZE),1)
BUILD	?= build-san
OPT	?= -O1 -g
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
else
BUILD	?= build
OPT	?= -O2 -g
SANFLAGS :=
endif

CFLAGS	?= $(OPT)
WARN	:= -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Wshadow \
	-Wpointer-arith -Wcast-qual -Wformat=2 -fno-common
ifeq ($(WERROR),1)
WARN	+= -Werror
endif

# pkg-config runs once per make invocation; "check" and "run" install
# the packages first and then call make again, so these are filled.
PKG_CFLAGS := $(shell pkg-config --cflags milter lmdb libsystemd hiredis 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs lmdb hiredis 2>/dev/null) -lcidr
MILTER_LIBS := $(shell pkg-config --libs milter libsystemd 2>/dev/null)
CTL_LIBS   := $(shell pkg-config --libs libsystemd 2>/dev/null)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)

ALL_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	$(WARN) -fstack-protector-strong -D_FORTIFY_SOURCE=2 \
	-I. $(PKG_CFLAGS) $(SANFLAGS) -pthread $(CFLAGS) $(CPPFLAGS)
ALL_LDFLAGS := $(SANFLAGS) -pthread $(LDFLAGS)

LIB_SRCS    := $(wildcard common/*.c rules/*.c store/*.c policy/*.c)
MILTER_SRCS := $(wildcard milter/*.c)
CTL_SRCS    := $(wildcard ctl/*.c)
TEST_SRCS   := $(wildcard tests/check_*.c)
# A suite is a file that defines foo_suite() at the start of a line; the
# other tests/check_*.c hold a suite's themes and helpers.
TEST_SUITES := $(filter-out main integration,\
	$(patsubst tests/check_%.c,%,\
	$(shell grep -l '^[a-z_]*_suite(void)' $(TEST_SRCS))))

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

LIB	:= $(BUILD)/librelayguard.a
DAEMON	:= $(BUILD)/relayguard
CTL	:= $(BUILD)/relayguardctl
TESTBIN	:= $(BUILD)/check_relayguard

.PHONY: all check check-build check-run run run-build bench install \
	uninstall clean deps regen FORCE

all: $(DAEMON) $(CTL)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -MMD -MP -c -o $@ $<

$(LIB): $(call obj,$(LIB_SRCS))
	@rm -f $@
	$(AR) rcs $@ $^

$(DAEMON): $(call obj,$(MILTER_SRCS)) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(MILTER_LIBS) $(PKG_LIBS)

# relayguardctl's subcommands come from the file names: ctl/cmd_foo.c
# exports cmd_foo() and cmd_foo_usage[].
CTL_CMDS := $(patsubst ctl/cmd_%.c,%,$(wildcard ctl/cmd_*.c))
$(BUILD)/ctl/commands.h: Makefile $(wildcard ctl/cmd_*.c)
	@mkdir -p $(dir $@)
	@{ for c in $(CTL_CMDS); do echo "CMD($$c)"; done; } > $@.tmp && \
	    mv $@.tmp $@

$(call obj,$(CTL_SRCS)): $(BUILD)/ctl/commands.h
$(call obj,$(CTL_SRCS)): ALL_CFLAGS += -I$(BUILD)/ctl

$(CTL): $(call obj,$(CTL_SRCS)) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CTL_LIBS)

# The suite list is made from the file names: tests/check_foo.c exports
# foo_suite(), and check_main.c runs every one of them (TEST_SUITES).
$(BUILD)/tests/suites.h: Makefile $(TEST_SRCS)
	@mkdir -p $(dir $@)
	@{ for s in $(TEST_SUITES) integration; do \
		echo "SUITE($$s)"; done; } > $@.tmp && mv $@.tmp $@

$(BUILD)/tests/check_main.o: $(BUILD)/tests/suites.h
$(BUILD)/tests/check_main.o: ALL_CFLAGS += -I$(BUILD)/tests

# The integration scripts the runner must find (check_integration.c):
# rewritten only when the set of tests/integration/*.test changes.
RG_SCRIPTS := $(sort $(notdir $(wildcard tests/integration/*.test)))
$(BUILD)/tests/scripts.h: FORCE
	@mkdir -p $(dir $@)
	@{ for t in $(RG_SCRIPTS); do echo "SCRIPT(\"$$t\")"; done; } \
	    > $@.tmp; if cmp -s $@.tmp $@; then rm -f $@.tmp; \
	    else mv $@.tmp $@; fi

$(BUILD)/tests/check_integration.o: $(BUILD)/tests/scripts.h
$(BUILD)/tests/check_integration.o: ALL_CFLAGS += -I$(BUILD)/tests

# The test build of the daemon: the same objects but for the files with
# test hooks (#ifdef RG_TEST_HOOKS), compiled again with them. Only the
# integration tests run it; all and install never build it.
TEST_HOOK_SRCS	:= milter/main.c milter/live.c
TEST_DAEMON	:= $(BUILD)/tests/relayguard-test
$(BUILD)/test-hooks/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DRG_TEST_HOOKS=1 -MMD -MP -c -o $@ $<

$(TEST_DAEMON): $(patsubst %.c,$(BUILD)/test-hooks/%.o,$(TEST_HOOK_SRCS)) \
	    $(call obj,$(filter-out $(TEST_HOOK_SRCS),$(MILTER_SRCS))) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(MILTER_LIBS) $(PKG_LIBS)

# Sub-makefiles may add objects as prerequisites of $(TESTBIN) (see
# milter/milter.mk); they are linked before the library.
$(TESTBIN): $(call obj,$(TEST_SRCS)) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) $(CHECK_LIBS) \
	    $(PKG_LIBS)

deps:
	@sh mk/deps.sh build

check:
	@sh mk/deps.sh test
	@$(MAKE) --no-print-directory check-build
	@$(MAKE) --no-print-directory check-run

check-build: all $(TESTBIN) $(TEST_DAEMON)

# Unit suites and integration tests run in one Check runner, so that
# the last line is Check's summary of everything.
# Sanitizers make the code 2-3 times slower: Check multiplies every
# test's timeout by CK_TIMEOUT_MULTIPLIER (tests/check_timeout.h).
check-run:
	RG_TOP=$(CURDIR) RG_BUILD=$(CURDIR)/$(BUILD) RG_SANITIZE=$(SANITIZE) \
	    CK_TIMEOUT_MULTIPLIER=$${CK_TIMEOUT_MULTIPLIER:-$(if $(filter 1,$(SANITIZE)),2,1)} \
	    $(TESTBIN)

# Golden files (tests/data/) are rewritten by a step of their own that
# checks nothing and never says pass: review the diff, then make check.
REGEN_SCRIPTS := rules-explain.test
regen: check-build
	@for t in $(REGEN_SCRIPTS); do \
	    RG_TOP=$(CURDIR) RG_BUILD=$(CURDIR)/$(BUILD) \
		sh tests/integration/$$t --regen || exit 1; done
	@echo "regen: golden files rewritten; nothing was tested" \
	    "(git diff tests/data, then make check)"

run:
	@sh mk/deps.sh build
	@$(MAKE) --no-print-directory run-build

run-build: all
	@echo "relayguard: starting on inet:8894@127.0.0.1 (Ctrl-C stops)"
	@echo "Point Postfix at it with, in main.cf:"
	@echo "    smtpd_milters = inet:127.0.0.1:8894"
	@echo "    milter_default_action = tempfail"
	@echo "    milter_protocol = 6"
	@echo "    smtpd_relay_restrictions = check_client_access static:OK, reject"
	@echo "or Sendmail, in sendmail.mc:"
	@echo "    INPUT_MAIL_FILTER(\`relayguard', \`S=inet:8894@127.0.0.1, F=T')"
	@echo "(embedded default rules unless /etc/relayguard/relayguard.conf exists;"
	@echo " relayguardctl stats / reload talk to it as root)"
	$(DAEMON) -f -p inet:8894@127.0.0.1

# INSTALL. Every file of systemd/ is installed: NAME.in templates are
# written to the unit directory as NAME with the install's directories
# (@SBINDIR@, @SYSCONFDIR@) filled in at install time, so that the
# PREFIX, SBINDIR and SYSCONFDIR given to "make install" are the ones in
# the units; other units are copied as they are; relayguard.sysusers and
# relayguard.tmpfiles go to sysusers.d and tmpfiles.d. The example
# configuration is installed as $(SYSCONFDIR)/relayguard/relayguard.conf
# only when there is none.
UNIT_GLOBS := %.service %.socket %.timer %.path %.target
UNITS_IN   := $(filter $(addsuffix .in,$(UNIT_GLOBS)),$(wildcard systemd/*.in))
UNITS_CP   := $(filter $(UNIT_GLOBS),$(wildcard systemd/*))
UNITS_ALL  := $(notdir $(UNITS_IN:.in=) $(UNITS_CP))
MAN5	:= $(notdir $(wildcard doc/*.5))
MAN8	:= $(notdir $(wildcard doc/*.8))

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) \
	    $(DESTDIR)$(DOCDIR) $(DESTDIR)$(SYSCONFDIR)/relayguard
	install -m 0755 $(DAEMON) $(CTL) $(DESTDIR)$(SBINDIR)/
	install -m 0644 $(addprefix doc/,$(MAN5)) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(addprefix doc/,$(MAN8)) $(DESTDIR)$(MANDIR)/man8/
	for u in $(UNITS_IN); do \
	    n=$${u##*/}; n=$${n%.in}; \
	    sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		"$$u" > $(DESTDIR)$(UNITDIR)/$$n.tmp && \
	    chmod 0644 $(DESTDIR)$(UNITDIR)/$$n.tmp && \
	    mv $(DESTDIR)$(UNITDIR)/$$n.tmp $(DESTDIR)$(UNITDIR)/$$n || exit 1; \
	done
	$(if $(UNITS_CP),install -m 0644 $(UNITS_CP) $(DESTDIR)$(UNITDIR)/)
	install -m 0644 systemd/relayguard.sysusers \
	    $(DESTDIR)$(SYSUSERSDIR)/relayguard.conf
	install -m 0644 systemd/relayguard.tmpfiles \
	    $(DESTDIR)$(TMPFILESDIR)/relayguard.conf
	install -m 0644 etc/relayguard.conf \
	    $(DESTDIR)$(DOCDIR)/relayguard.conf.example
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/relayguard/relayguard.conf ]; then \
	    echo "keeping $(DESTDIR)$(SYSCONFDIR)/relayguard/relayguard.conf"; \
	else \
	    echo "install -m 0644 etc/relayguard.conf $(DESTDIR)$(SYSCONFDIR)/relayguard/relayguard.conf"; \
	    install -m 0644 etc/relayguard.conf \
		$(DESTDIR)$(SYSCONFDIR)/relayguard/relayguard.conf; \
	fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/relayguard $(DESTDIR)$(SBINDIR)/relayguardctl
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(MAN5)) \
	    $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(MAN8))
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS_ALL))
	rm -f $(DESTDIR)$(SYSUSERSDIR)/relayguard.conf \
	    $(DESTDIR)$(TMPFILESDIR)/relayguard.conf \
	    $(DESTDIR)$(DOCDIR)/relayguard.conf.example
	-rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null
	@echo "kept: $(DESTDIR)$(SYSCONFDIR)/relayguard (configuration) and /var/lib/relayguard (tables)"

clean:
	rm -rf build build-san build-tsan build-fuzz

# Sub-makefiles of bench/, fuzz/ and tests/integration/. Each may add
# its targets to BENCH_TARGETS (run by make bench, in order) and
# EXTRA_TEST_PROGS (built before the tests run).
BENCH_TARGETS :=
-include $(wildcard */*.mk tests/*/*.mk)

# After the sub-makefiles, so that their additions are seen.
check-build: $(EXTRA_TEST_PROGS)

bench:
	@sh mk/deps.sh bench
	@$(MAKE) --no-print-directory all $(BENCH_TARGETS)

-include $(patsubst %.o,%.d,$(call obj,$(LIB_SRCS) $(MILTER_SRCS) $(CTL_SRCS) $(TEST_SRCS)))
-include $(patsubst %.c,$(BUILD)/test-hooks/%.d,$(TEST_HOOK_SRCS))
