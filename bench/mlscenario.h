/*
 * NAME
 *	mlscenario 3h - milterload's sessions and their expected answers
 * SYNOPSIS
 *	#include "bench/mlscenario.h"
 * DESCRIPTION
 *	The types milterload runs and checks, read from a scenario file
 *	by scenario_load() (format: bench/README, bench/milterload.c).
 */
#ifndef MLSCENARIO_H
#define MLSCENARIO_H

#include <stddef.h>

 /*
  * Stages we time. ST_OPEN is the socket connect plus negotiation,
  * ST_SESSION the whole session.
  */
enum stage {
	ST_OPEN, ST_CONNECT, ST_HELO, ST_MAIL, ST_RCPT, ST_SESSION, NSTAGES
};

/* An answer: kind is one of SMFIR_CONTINUE, _ACCEPT, _REJECT, _TEMPFAIL,
 * _DISCARD; code is the SMTP code (0 for continue/accept/discard, and
 * for an expectation that accepts any code). */
struct answer {
	char    kind;
	int     code;
};

struct macro {
	int     stage;			/* SMFIM_* */
	char   *name;			/* without braces */
	char   *value;
};

struct rcpt {
	char   *addr;			/* as sent, <...> */
	char   *mailer;
	struct answer want;
};

struct session {
	int     line;
	char    family;			/* SMFIA_* */
	char   *addr;
	unsigned port;
	char   *name;
	char   *helo;
	char   *from;
	char   *auth;
	char   *auth_type;
	char   *daemon;
	struct macro *macros;
	size_t  nmacros;
	struct answer want[ST_MAIL + 1];/* kind 0: not checked */
	struct rcpt *rcpts;
	size_t  nrcpts;
};

extern struct session *scenario_load(const char *, size_t *);
extern void scenario_free(struct session *, size_t);

#endif
