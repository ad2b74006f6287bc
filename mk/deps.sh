#!/bin/sh
# deps.sh - install the Debian packages relayguard needs, only when missing
#
# SYNOPSIS
#	mk/deps.sh build|test|bench|fuzz ...
#	mk/deps.sh --print build|test|bench|fuzz|unneeded
#
# DESCRIPTION
#	Each argument names a set of packages. Packages already installed
#	are not looked up again: on a machine that has everything, this
#	script asks no network and changes nothing. Missing packages are
#	installed with apt-get when running as root; otherwise the exact
#	apt-get command is printed and the script fails.
#
#	Packages are installed with --no-install-recommends, as on a
#	fresh machine: every package the build and the tests need is
#	named here, Recommends included. --print lists a set, one name a
#	line; "unneeded" is the Recommends of the sets' packages that the
#	tests do without, each with the reason below.
#	tests/integration/testsuite.test checks both: every program the
#	tests run comes from a package named here (or one every Debian
#	system has), and every Recommends of a package named here is named
#	here or in pkgs_unneeded.
set -eu

# libc6-dev: gcc only recommends it, and nothing compiles without it.
# libhiredis-dev: the Redis client of dynamic tables shared by several
# hosts (Debian 12's hiredis 0.14: RESP2, no TLS).
pkgs_build="gcc libc6-dev make pkgconf libmilter-dev liblmdb-dev libcidr-dev
	check libsystemd-dev libhiredis-dev"
# libio-socket-inet6-perl: swaks only recommends it, and without it
# cannot talk to [::1] (postfix.test's IPv6 cases). gdb: stop.test prints
# the threads of a daemon that hangs on SIGTERM (valgrind recommends it).
# redis-server, redis-sentinel: redis.test and sentinel.test run a
# private Redis, a replica and three sentinels on loopback ports
# (redis-tools, which both depend on, gives redis-cli).
# systemd-journal-remote: journal.test writes .journal files from Journal
# Export Format with it, so watch --journal-file is tested without a
# running journald.
# The last line: the shared libraries of sendmail-bin, which the Sendmail
# tests unpack (not install) with dpkg-deb -x.
pkgs_test="postfix postfix-lmdb swaks libio-socket-inet6-perl sasl2-bin
	libsasl2-modules m4 openssl iproute2 procps psmisc lmdb-utils valgrind
	gdb clang libclang-rt-14-dev python3 systemd man-db dovecot-core
	dovecot-imapd dovecot-pop3d systemd-journal-remote redis-server
	redis-sentinel
	libwrap0 libdb5.3 libldap-2.5-0 libnsl2 libsasl2-2 libssl3"
# Recommends that the tests do without:
#   ca-certificates (postfix): no TLS to other servers
#   libnet-dns-perl (swaks): the tests name the server, no MX lookup
#   libnet-ssleay-perl (swaks): no STARTTLS in the SMTP tests
#   libatm1 (iproute2): no ATM
#   valgrind-dbg (valgrind): debug symbols of valgrind itself
#   libldap-common (libldap-2.5-0): Sendmail uses no LDAP here
#   lmdb-doc (liblmdb-dev): documentation
#   libc-dbg (gdb): glibc's debug symbols; valgrind depends on libc6-dbg
#   default-dbus-system-bus, systemd-timesyncd (systemd): the tests use
#   systemd-analyze, systemd-sysusers and systemd-tmpfiles offline, with
#   no running systemd, bus or clock to keep
pkgs_unneeded="ca-certificates libnet-dns-perl libnet-ssleay-perl libatm1
	valgrind-dbg libldap-common lmdb-doc libc-dbg default-dbus-system-bus
	systemd-timesyncd"
pkgs_bench="postfix postfix-lmdb postfwd gnuplot-nox lmdb-utils bc swaks
	sasl2-bin libsasl2-modules m4 iproute2 time"
pkgs_fuzz="clang libclang-rt-14-dev"

if [ "${1:-}" = --print ]; then
	case "${2:-}" in
	build|test|bench|fuzz|unneeded)
		eval "printf '%s\\n' \$pkgs_$2" ;;
	*)	echo "deps.sh: --print build|test|bench|fuzz|unneeded" >&2
		exit 64 ;;
	esac
	exit 0
fi

want=""
for set in "$@"; do
	case "$set" in
	build)	want="$want $pkgs_build" ;;
	test)	want="$want $pkgs_build $pkgs_test" ;;
	bench)	want="$want $pkgs_build $pkgs_bench" ;;
	fuzz)	want="$want $pkgs_build $pkgs_fuzz" ;;
	*)	echo "deps.sh: unknown package set: $set" >&2; exit 64 ;;
	esac
done

missing=""
for p in $want; do
	case " $missing " in *" $p "*) continue ;; esac
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "relayguard: missing Debian packages; install them with:" >&2
	echo "    sudo apt-get install -y$missing" >&2
	exit 1
fi

echo "relayguard: installing missing packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Postfix must not configure or start a system instance: tests run
# private instances of their own.
echo "postfix postfix/main_mailer_type select No configuration" |
    debconf-set-selections 2>/dev/null || true
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends $missing >&2
