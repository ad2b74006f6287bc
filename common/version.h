#ifndef RG_VERSION_H
#define RG_VERSION_H

/*
 * version - the one version of relayguard and relayguardctl
 *
 * Everything that reports a version reads it from here: relayguard -V
 * and -h, relayguardctl version, the start-up log line and the
 * relayguard_build_info metric. The man pages' .TH lines and the
 * Makefile (make version) are checked against it by cli.test.
 */
#define RG_VERSION	"0.1"

#endif
