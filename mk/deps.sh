#!/bin/sh
# deps.sh - install the Debian packages relayguard needs, only when missing
#
# SYNOPSIS
#	mk/deps.sh build|test|bench|fuzz ...
#
# DESCRIPTION
#	Each argument names a set of packages. Packages already installed
#	are not looked up again: on a machine that has everything, this
#	script asks no network and changes nothing. Missing packages are
#	installed with apt-get when running as root; otherwise the exact
#	apt-get command is printed and the script fails.
set -eu

pkgs_build="gcc make pkgconf libmilter-dev liblmdb-dev libcidr-dev check
	libsystemd-dev"
# The last line of the test set: the shared libraries of sendmail-bin,
# which the Sendmail tests unpack (not install) with dpkg-deb -x.
pkgs_test="postfix postfix-lmdb swaks sasl2-bin libsasl2-modules m4 openssl
	iproute2 procps psmisc lmdb-utils valgrind clang libclang-rt-14-dev
	python3 systemd man-db dovecot-core dovecot-imapd dovecot-pop3d
	libwrap0 libdb5.3 libldap-2.5-0 libnsl2 libsasl2-2 libssl3"
pkgs_bench="postfix postfix-lmdb postfwd gnuplot-nox lmdb-utils bc swaks
	sasl2-bin libsasl2-modules m4 iproute2 time"
pkgs_fuzz="clang libclang-rt-14-dev"

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
