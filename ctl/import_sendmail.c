/* placeholder */
#include "ctl/import_sendmail.h"

/* import_sendmail - not yet */
int
import_sendmail(struct imp *imp, const char *access, const char *cw,
	const char *relay_domains)
{
	(void) access; (void) cw; (void) relay_domains;
	imp_error(imp, "sendmail: not yet");
	return (-1);
}
