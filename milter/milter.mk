# milter.mk - link the daemon's helper modules into the unit tests
#
# tests/check_milter.c tests milter/reply.c and stats.c, which
# are not in librelayguard.a (they belong to the daemon). main.c,
# filter.c, control.c and live.c need libmilter or the running daemon
# and are tested by tests/integration/daemon.test instead.
$(TESTBIN): $(call obj,milter/reply.c milter/stats.c)
