#ifndef RG_STRBUF_H
#define RG_STRBUF_H

/*
 * strbuf - growable, always NUL-terminated string buffer
 *
 * A zeroed struct strbuf (STRBUF_INIT) is an empty buffer. sb->s is
 * valid (never NULL) after any append; the buffer owns it until
 * strbuf_free() or strbuf_detach(). Allocation failure aborts.
 */
#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char   *s;
	size_t  len;
	size_t  cap;
};

#define STRBUF_INIT	{ NULL, 0, 0 }

extern void strbuf_append(struct strbuf *, const char *, size_t);
extern void strbuf_puts(struct strbuf *, const char *);
extern void strbuf_putc(struct strbuf *, int);
extern void strbuf_printf(struct strbuf *, const char *, ...)
	__attribute__((format(printf, 2, 3)));
extern void strbuf_vprintf(struct strbuf *, const char *, va_list)
	__attribute__((format(printf, 2, 0)));
extern void strbuf_reset(struct strbuf *);
extern const char *strbuf_str(const struct strbuf *);
extern char *strbuf_detach(struct strbuf *);
extern void strbuf_free(struct strbuf *);

#endif
