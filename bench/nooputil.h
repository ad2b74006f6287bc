#ifndef RG_BENCH_NOOPUTIL_H
#define RG_BENCH_NOOPUTIL_H

/* The helpers the benchmarks' no-op servers share (nooputil.c). */
extern void noop_pidfile(const char *, const char *);

#endif
