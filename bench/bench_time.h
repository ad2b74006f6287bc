#ifndef RG_BENCH_TIME_H
#define RG_BENCH_TIME_H

/*
 * bench_time - the clock and the sort of the in-process timers
 * (bench_store.c, bench_redis.c)
 */
#include <time.h>

/* ns_now - monotonic nanoseconds */
static inline long long
ns_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long) ts.tv_sec * 1000000000LL + ts.tv_nsec);
}

/* cmp_ll - qsort() comparison of long longs */
static inline int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *) a, y = *(const long long *) b;

	return (x < y ? -1 : x > y);
}

#endif
