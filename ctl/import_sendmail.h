#ifndef RG_IMPORT_SENDMAIL_H
#define RG_IMPORT_SENDMAIL_H

/*
 * import_sendmail - translate Sendmail's access source, local-host-names
 * (cw, may be NULL) and relay-domains (may be NULL) into imp; blocklist
 * says FEATURE(`blocklist_recipients') is on
 */
#include "ctl/import.h"

extern int import_sendmail(struct imp *imp, const char *access,
	const char *cw, const char *relay_domains, int blocklist);

#endif
