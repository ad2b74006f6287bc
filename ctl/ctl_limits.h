#ifndef RG_CTL_LIMITS_H
#define RG_CTL_LIMITS_H

/* ctl_limits_ask - limits and reset (cmd_limits.c); need: IDENTITY required */
extern int ctl_limits_ask(const char *word, int need, int argc,
	char **argv);

#endif
