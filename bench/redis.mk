# redis.mk - dynamic grants in Redis against LMDB (issue 17)
#
# Included by the top Makefile.
#
#	build/bench_redis	in-process grant lookup time, cache hit and
#				round trip (bench/bench_redis.c)
#	bench-redis		milter sessions/s at 16 connections with the
#				POP-before-SMTP grants in Redis and in LMDB,
#				the lookup times, and grants written per second
#				by relayguardctl grant and by watch, into
#				bench/results/redis.txt (bench/redis.sh)

BENCH_REDIS := $(BUILD)/bench_redis

$(BENCH_REDIS): $(BUILD)/bench/bench_redis.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

-include $(BUILD)/bench/bench_redis.d

BENCH_TARGETS += bench-redis

.PHONY: bench-redis
bench-redis: all $(BENCH_REDIS) $(BUILD)/milterload
	RG_TOP=$(CURDIR) RG_BUILD=$(CURDIR)/$(BUILD) sh bench/redis.sh
