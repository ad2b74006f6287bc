#ifndef RG_IMPORT_POSTFIX_H
#define RG_IMPORT_POSTFIX_H

/* import_postfix - translate the Postfix configuration in dir into imp */
#include "ctl/import.h"

extern int import_postfix(struct imp *imp, const char *dir);

#endif
