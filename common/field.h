#ifndef RG_FIELD_H
#define RG_FIELD_H

/*
 * field - split a line into white-space separated, maybe quoted, fields
 */

/*
 * field_next - cut the next field from *cp in place and return it, or
 * NULL at the end of the line. Double quotes group white space and are
 * removed; inside them \" and \\ stand for " and \. *open is set to 1
 * when the field's quote is never closed (the field then runs to the
 * end of the line), else to 0. *cp moves past the field. The field
 * lives in the caller's line. This function cannot fail.
 */
extern char *field_next(char **cp, int *open);

#endif
