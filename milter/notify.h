#ifndef RG_MILTER_NOTIFY_H
#define RG_MILTER_NOTIFY_H

/* notify 3 - tell systemd how the daemon is doing (milter/notify.c) */
extern void notify_ready(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
extern void notify_reloading(void);
extern void notify_stopping(void);

#endif
