/*
 * NAME
 *	bench_store - in-process client lookup time on a compiled table
 * SYNOPSIS
 *	bench_store TABLE ADDRFILE [N]
 * DESCRIPTION
 *	Reads client addresses (one a line) from ADDRFILE, then looks N
 *	of them (default 1000000, cycling through the file) up with
 *	store_lookup_addr() as the daemon does for "check client", and
 *	prints the median, 90th and 99th percentile time of one lookup in
 *	nanoseconds, the mean over the whole run, and how many matched.
 *	Each lookup is timed alone with CLOCK_MONOTONIC, so the figures
 *	include the clock's own cost (some 20 ns).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench_time.h"
#include "common/addr.h"
#include "common/xalloc.h"
#include "store/store.h"

int
main(int argc, char **argv)
{
	struct store *s;
	struct store_error se;
	struct addr *addrs = NULL;
	size_t  naddrs = 0, cap = 0, n = 1000000, i, found = 0;
	long long *t, t0, t1;
	char    line[128], val[STORE_VALUE_MAX], err[256];
	FILE   *fp;
	int     r;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_store TABLE ADDRFILE [N]\n");
		return (64);
	}
	if (argc > 3)
		n = strtoul(argv[3], NULL, 10);
	if ((fp = fopen(argv[2], "r")) == NULL) {
		perror(argv[2]);
		return (66);
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = 0;
		if (naddrs == cap) {
			cap = cap ? 2 * cap : 4096;
			addrs = xreallocarray(addrs, cap, sizeof(*addrs));
		}
		if (addr_parse(line, &addrs[naddrs]) == 0)
			naddrs++;
	}
	fclose(fp);
	if (naddrs == 0 || n == 0) {
		fprintf(stderr, "bench_store: no addresses\n");
		return (65);
	}
	if (store_open(argv[1], 0, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_store: %s\n", err);
		return (74);
	}
	/* warm up: page the table in, fill the transaction pool */
	for (i = 0; i < naddrs && i < 100000; i++)
		(void) store_lookup_addr(s, &addrs[i], val, sizeof(val), NULL,
		    0, &se);
	t = xcalloc(n, sizeof(*t));
	t0 = ns_now();
	for (i = 0; i < n; i++) {
		long long a = ns_now();

		r = store_lookup_addr(s, &addrs[i % naddrs], val, sizeof(val),
		    NULL, 0, &se);
		t[i] = ns_now() - a;
		if (r < 0) {
			fprintf(stderr, "bench_store: %s\n", se.msg);
			return (74);
		}
		found += (size_t) r;
	}
	t1 = ns_now();
	qsort(t, n, sizeof(*t), cmp_ll);
	printf("client lookups: %zu (%zu matched)\n", n, found);
	printf("median %lld ns, p90 %lld ns, p99 %lld ns, mean %.0f ns\n",
	    t[n / 2], t[n * 9 / 10], t[n * 99 / 100],
	    (double) (t1 - t0) / (double) n);
	free(t);
	free(addrs);
	store_close(s);
	return (0);
}
