/*
 * NAME
 *	cmd_reset - relayguardctl reset
 * SYNOPSIS
 *	relayguardctl reset [-c conf] [--socket S] IDENTITY
 * DESCRIPTION
 *	Clears every rate counter of IDENTITY in the running daemon; see
 *	cmd_limits.c.
 */
#include "common/ctlproto.h"
#include "ctl/ctl.h"
#include "ctl/ctl_limits.h"

const char cmd_reset_usage[] =
	"reset [-c conf] [--socket S] IDENTITY";

/* cmd_reset - clear one identity's rate counters */
int
cmd_reset(int argc, char **argv)
{
	return (ctl_limits_ask(CTLPROTO_RESET_WORD, 1, argc, argv));
}
