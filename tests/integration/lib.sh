# lib.sh - shared functions of the relayguard integration tests
#
# SYNOPSIS
#	. "$RG_TOP/tests/integration/lib.sh"
#	rg_init NAME
#	...
#	rg_finish
#
# DESCRIPTION
#	Sourced by every tests/integration/NAME.test (a /bin/sh script run
#	as root by make check, with RG_TOP, RG_BUILD and RG_SANITIZE set).
#	It gives each test a temporary directory $RG_TMP and removes it,
#	and stops every process the test started (and only those), when the
#	script exits for any reason.
#
#	Processes and servers:
#	rg_port			set RG_PORT to a free loopback TCP port of
#				20100-20199, reserved for this test until it
#				exits
#	rg_spawn NAME CMD...	start CMD in the background, output in
#				$RG_TMP/NAME.out; remembered for cleanup;
#				its pid is in $RG_TMP/NAME.spawn
#	rg_kill NAME		stop what rg_spawn NAME started
#	rg_wait_port PORT	wait (10 s at most) for a listener on PORT
#	rg_wait_file PATH	wait (10 s at most) for PATH to exist
#	rg_noop_milter NAME	start build/noop-milter on unix:$RG_TMP/NAME.sock
#
#	Postfix (a private instance; the system one is never used):
#	rg_postfix_setup NAME MILTER [chroot]	make $RG_TMP/NAME/etc with main.cf from
#				conf/postfix-main.cf.in + conf/postfix-relayguard.cf
#				(smtpd_milters = MILTER) and master.cf from
#				conf/postfix-master.cf.in + conf/postfix-submission.cf;
#				ports in $RG_TMP/NAME/port and .../subport;
#				queue directory $RG_TMP/NAME/spool. With
#				RG_POSTFIX_DOOR=policy, MILTER is the policy
#				door's socket and conf/postfix-policy.cf and
#				conf/postfix-policy-submission.cf are used
#				instead (no milter). With
#				"chroot", the services Debian's stock master.cf
#				chroots (smtpd on the SMTP port among them) run
#				chrooted there, with the files Debian's postfix
#				start-up copies into the chroot
#	rg_postfix_conf NAME 'param = value'...	change main.cf (postconf -e)
#	rg_postfix_start NAME, rg_postfix_stop NAME
#
#	Sendmail (Debian's sendmail-bin and sendmail-cf unpacked, not
#	installed; they conflict with the postfix package):
#	rg_sendmail_unpack	download (once) and unpack into $RG_DEB_CACHE
#	rg_sendmail_setup NAME MILTER DAEMON	make $RG_TMP/NAME/sendmail.cf from
#				conf/sendmail.mc.in + conf/sendmail-relayguard.mc
#				with Name=DAEMON; port in $RG_TMP/NAME/port
#	rg_fail2ban_unpack	Debian's fail2ban unpacked (not installed: the
#				package would start a system service) into
#				$RG_DEB_CACHE/fail2ban; sets RG_F2B_REGEX (the
#				fail2ban-regex command) and RG_F2B_ETC
#	rg_sendmail_start NAME, rg_sendmail_stop NAME	(it runs in a private
#				mount namespace with the test's hosts,
#				nsswitch.conf and Cyrus Sendmail.conf bound over
#				the system's: no DNS, the test's sasldb)
#
#	relayguard (build/relayguard, tables from conf/ compiled by
#	build/relayguardctl):
#	rg_relayguard_setup NAME [TEMPLATE]	$RG_TMP/NAME/relayguard.conf from
#				conf/TEMPLATE (default relayguard.conf.in)
#	rg_relayguard_start NAME [SOCKET]	start it with -f; log in
#				$RG_TMP/NAME.out; socket
#				unix:$RG_TMP/NAME/relayguard.sock or unix:SOCKET
#	rg_wait_log NAME REGEX	wait for a line in its log
#	rg_relayguard_stop NAME	SIGTERM, and check a clean stop (status 0,
#				logged, no sanitizer report)
#
#	Redis (Debian's redis-server and redis-sentinel, private instances):
#	rg_redis_start NAME PORT [ARG...]	redis-server on 127.0.0.1:PORT,
#				no persistence, its files and pid file in
#				$RG_TMP/NAME, log $RG_TMP/NAME.out; more
#				redis-server arguments may follow
#	rg_sentinel_start NAME PORT MASTER-PORT	redis-sentinel on PORT
#				watching master "mymaster" on MASTER-PORT
#				(quorum 2, down after 1 s)
#
#	SMTP AUTH (Cyrus sasldb, the same users for every MTA of the test):
#	rg_sasl_user USER PASSWORD	add USER@example.com
#
#	SMTP clients (swaks, from a chosen 127.0.0.0/8 source address):
#	rg_smtp PORT SRC [swaks options]	run one session to
#				${RG_SERVER:-127.0.0.1} that stops after
#				RCPT (RG_QUIT_AFTER= sends the message); the
#				transcript is in $RG_TMP/swaks/N.log and
#				$RG_REPLY is the answer that decided: the
#				reply to RCPT, else a 4xx/5xx reply to MAIL,
#				else the first 4xx/5xx reply, else "none"; $RG_REPLY_TO is the command it
#				answered (RCPT, MAIL, AUTH, EHLO, ..., or
#				"none")
#	expect_rcpt LABEL WANT PORT SRC [swaks options]
#				rg_smtp, then check that $RG_REPLY starts
#				with WANT. For a refusal give the whole
#				reply ("554 5.7.1 <x@y>: Relay access
#				denied"): a bare "5" would also pass on the
#				MTA's own syntax refusal
#	expect_tempfail LABEL WANT PORT SRC [swaks options]
#				fail-closed check: the session must get as
#				far as the transaction (a refused AUTH does
#				not stop it: --auth-optional) and the reply
#				to MAIL or RCPT must start with WANT, the
#				MTA's whole tempfail reply; a refusal of
#				EHLO or AUTH, or a 2xx to RCPT, fails
#	rg_check LABEL COMMAND...	pass when COMMAND succeeds
#	rg_skip WHAT WHY	leave out a part, visibly: prints
#				"SKIP: WHAT: WHY", which the runner counts in
#				the "Skipped:" line after Check's summary.
#				Only for a part this build makes redundant;
#				a missing tool or permission is a failure
#				(rg_die), never a skip
#	rg_finish		print "N passed, N failed" and exit 0 only
#				when nothing failed
#
# ENVIRONMENT
#	RG_TOP, RG_BUILD	source tree and build directory (required)
#	RG_DEB_CACHE	where the sendmail packages are kept and unpacked
#			(default /var/cache/relayguard-test)
#	RG_TMPBASE	where the temporary directories are made (default
#			/run/relayguard-test; every directory above it must
#			be writable by root only, as Sendmail demands)
#	RG_KEEP=1	keep $RG_TMP after the test, for debugging
#
# BUGS
#	Needs root (the MTAs are started as root and drop privileges
#	themselves), swaks, postfix, sasl2-bin and m4: mk/deps.sh test
#	installs them. The first Sendmail test needs the Debian archive to
#	download two packages; later runs use the cache. Sendmail needs
#	unshare -m (root with CAP_SYS_ADMIN, as in any normal root shell).

RG_PASS=0
RG_FAIL=0
RG_PIDS=""
RG_PORTS=""
RG_POSTFIXES=""
RG_SENDMAILS=""
RG_SWAKS_N=0
RG_TMPBASE=${RG_TMPBASE:-/run/relayguard-test}
RG_PORT_LOCKS=$RG_TMPBASE/ports
RG_DEB_CACHE=${RG_DEB_CACHE:-/var/cache/relayguard-test}
RG_SASL_REALM=example.com

# rg_log - print a line of the test's own narrative
rg_log()
{
	echo "=== $*"
}

# rg_die - fail the whole test at once
rg_die()
{
	echo "FATAL: $*"
	RG_FAIL=$((RG_FAIL + 1))
	exit 1
}

# rg_init - check the environment, make the temporary directory, set traps
rg_init()
{
	RG_TEST=$1
	[ "$(id -u)" -eq 0 ] || { echo "$RG_TEST: must run as root"; exit 1; }
	[ -n "${RG_TOP:-}" ] && [ -n "${RG_BUILD:-}" ] ||
	    { echo "$RG_TEST: RG_TOP and RG_BUILD must be set"; exit 1; }
	RG_CONF=$RG_TOP/tests/integration/conf
	for tool in swaks postfix postconf saslpasswd2 m4 ss; do
		command -v "$tool" >/dev/null 2>&1 ||
		    { echo "$RG_TEST: $tool is missing (run mk/deps.sh test)"; exit 1; }
	done
	# Not under /tmp: Sendmail refuses files and sockets below a
	# world-writable directory.
	mkdir -p "$RG_TMPBASE" && chmod 0755 "$RG_TMPBASE" || exit 1
	RG_TMP=$(mktemp -d "$RG_TMPBASE/$RG_TEST.XXXXXX") || exit 1
	# The MTAs' unprivileged processes must reach sockets in here.
	chmod 0755 "$RG_TMP"
	mkdir "$RG_TMP/swaks"
	trap rg_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	rg_log "$RG_TEST: temporary directory $RG_TMP"
}

# rg_cleanup - stop everything this test started, remove its files
rg_cleanup()
{
	rc=$?
	trap - EXIT
	for n in $RG_POSTFIXES; do rg_postfix_stop "$n" >/dev/null 2>&1; done
	for n in $RG_SENDMAILS; do rg_sendmail_stop "$n" >/dev/null 2>&1; done
	for p in $RG_PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $RG_PIDS; do
		rg_wait_pid "$p" 50 || kill -9 "$p" 2>/dev/null
	done
	for p in $RG_PORTS; do rm -rf "$RG_PORT_LOCKS/$p"; done
	if [ "${RG_KEEP:-0}" = 1 ]; then
		echo "RG_KEEP=1: keeping $RG_TMP"
	else
		rm -rf "$RG_TMP"
	fi
	exit "$rc"
}

# rg_wait_pid - wait up to N tenths of a second for process PID to end
rg_wait_pid()
{
	local i
	i=0
	while kill -0 "$1" 2>/dev/null; do
		[ "$i" -ge "$2" ] && return 1
		i=$((i + 1))
		sleep 0.1
	done
	return 0
}

# rg_port - reserve a free loopback port of 20100-20199 into RG_PORT
rg_port()
{
	local start i port lock owner
	mkdir -p "$RG_PORT_LOCKS"
	start=$(( $$ % 100 ))
	i=0
	while [ "$i" -lt 100 ]; do
		port=$((20100 + (start + i) % 100))
		i=$((i + 1))
		lock=$RG_PORT_LOCKS/$port
		if ! mkdir "$lock" 2>/dev/null; then
			# A lock whose owner is gone is stale.
			owner=$(cat "$lock/pid" 2>/dev/null)
			[ -n "$owner" ] && kill -0 "$owner" 2>/dev/null && continue
			rm -rf "$lock"
			mkdir "$lock" 2>/dev/null || continue
		fi
		echo $$ > "$lock/pid"
		if ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
			rm -rf "$lock"
			continue
		fi
		RG_PORTS="$RG_PORTS $port"
		RG_PORT=$port
		return 0
	done
	rg_die "no free port in 20100-20199"
}

# rg_wait_port - wait for a TCP listener on 127.0.0.1:PORT
rg_wait_port()
{
	local i name d pid label
	i=0
	until ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; do
		[ "$i" -ge 100 ] && return 1
		i=$((i + 1))
		sleep 0.1
	done
	return 0
}

# rg_wait_file - wait for PATH to exist
rg_wait_file()
{
	local i name d pid label
	i=0
	until [ -e "$1" ]; do
		[ "$i" -ge 100 ] && return 1
		i=$((i + 1))
		sleep 0.1
	done
	return 0
}

# rg_spawn - start a background process and remember it
rg_spawn()
{
	local i name d pid label
	name=$1
	shift
	"$@" > "$RG_TMP/$name.out" 2>&1 &
	echo $! > "$RG_TMP/$name.spawn"
	RG_PIDS="$RG_PIDS $!"
}

# rg_kill - stop what rg_spawn NAME started and wait for it
rg_kill()
{
	local p
	p=$(cat "$RG_TMP/$1.spawn" 2>/dev/null) || return 0
	kill "$p" 2>/dev/null
	rg_wait_pid "$p" 50 || { kill -9 "$p" 2>/dev/null; rg_wait_pid "$p" 20; }
	return 0
}

# rg_noop_milter - start the no-op milter on unix:$RG_TMP/NAME.sock
rg_noop_milter()
{
	rm -f "$RG_TMP/$1.sock"
	rg_spawn "$1" "$RG_BUILD/noop-milter" -f -p "unix:$RG_TMP/$1.sock"
	rg_wait_file "$RG_TMP/$1.sock" || rg_die "$1: no socket"
}

# rg_subst - copy FILE to standard output replacing @KEY@ by value (KEY=value...)
rg_subst()
{
	local file script kv k v
	file=$1
	shift
	script=""
	for kv in "$@"; do
		k=${kv%%=*}
		v=$(printf '%s' "${kv#*=}" | sed 's/[|&\\]/\\&/g')
		script="$script;s|@$k@|$v|g"
	done
	sed -e "${script#;}" "$file"
}

# ------------------------------------------------------------------ SASL

# rg_sasl_init - make the test's sasldb files and Cyrus configuration files
#
# Postfix's smtpd (user postfix) reads $RG_TMP/sasl/sasldb2 through
# smtpd.conf; Sendmail (root) reads its own copy through Sendmail.conf,
# since it refuses a group-readable sasldb.
rg_sasl_init()
{
	[ -d "$RG_TMP/sasl" ] && return 0
	mkdir -p "$RG_TMP/sasl" "$RG_TMP/sasl-sendmail"
	cat > "$RG_TMP/sasl/smtpd.conf" <<-EOF
	pwcheck_method: auxprop
	auxprop_plugin: sasldb
	sasldb_path: $RG_TMP/sasl/sasldb2
	mech_list: PLAIN LOGIN
	EOF
	cat > "$RG_TMP/sasl-sendmail/Sendmail.conf" <<-EOF
	pwcheck_method: auxprop
	auxprop_plugin: sasldb
	sasldb_path: $RG_TMP/sasl-sendmail/sasldb2
	mech_list: PLAIN LOGIN
	EOF
	chmod 0755 "$RG_TMP/sasl" "$RG_TMP/sasl-sendmail"
	chmod 0644 "$RG_TMP/sasl/smtpd.conf" "$RG_TMP/sasl-sendmail/Sendmail.conf"
}

# rg_sasl_user - add USER with PASSWORD to the test's sasldb files
rg_sasl_user()
{
	local db
	rg_sasl_init
	for db in "$RG_TMP/sasl/sasldb2" "$RG_TMP/sasl-sendmail/sasldb2"; do
		printf '%s' "$2" |
		    saslpasswd2 -p -f "$db" -c -u "$RG_SASL_REALM" "$1" ||
		    rg_die "saslpasswd2 $1"
		chmod 0600 "$db"
	done
	# smtpd runs as postfix and must read its copy; nobody else may.
	chown root:postfix "$RG_TMP/sasl/sasldb2"
	chmod 0640 "$RG_TMP/sasl/sasldb2"
}

# --------------------------------------------------------------- Postfix

# Services that Debian's stock master.cf runs chrooted (column 5 "y"),
# by command; "local" stays unchrooted there and here.
RG_POSTFIX_CHROOTED="smtpd pickup cleanup tlsmgr trivial-rewrite bounce
	verify flush smtp showq error discard anvil scache lmtp"

# rg_postfix_chroot_files - what Debian's postfix start-up copies into
# the chroot (/usr/lib/postfix/configure-instance.sh): a few /etc files,
# the random devices and the NSS, resolver and libgcc_s libraries
rg_postfix_chroot_files()
{
	local spool f libs
	spool=$1
	mkdir -p "$spool/etc" "$spool/dev" || return 1
	for f in localtime services resolv.conf hosts host.conf \
	    nsswitch.conf; do
		[ -f "/etc/$f" ] && cp -L "/etc/$f" "$spool/etc/$f"
		[ -f "$spool/etc/$f" ] && chmod a+rX "$spool/etc/$f"
	done
	libs=$(for n in gcc_s nss resolv; do
		for f in /lib/*/lib$n*.so* /lib/lib$n*.so*; do
			[ -f "$f" ] && echo "${f#/}"
		done
	done)
	[ -z "$libs" ] || tar cf - -C / $libs 2>/dev/null | tar xf - -C "$spool"
	return 0
}

# rg_postfix_setup - make a private Postfix instance NAME using MILTER
rg_postfix_setup()
{
	local name milter d port subport chroot sub
	name=$1
	milter=$2
	chroot=${3:-}
	d=$RG_TMP/$name
	mkdir -p "$d/etc/sasl" "$d/spool" "$d/data"
	rg_sasl_init
	cp "$RG_TMP/sasl/smtpd.conf" "$d/etc/sasl/smtpd.conf"
	rg_port
	port=$RG_PORT
	rg_port
	subport=$RG_PORT
	echo "$port" > "$d/port"
	echo "$subport" > "$d/subport"
	{
		rg_subst "$RG_CONF/postfix-main.cf.in" DIR="$d" NAME="$name"
		echo
		if [ "${RG_POSTFIX_DOOR:-milter}" = policy ]; then
			rg_subst "$RG_CONF/postfix-policy.cf" POLICY="$milter"
		else
			rg_subst "$RG_CONF/postfix-relayguard.cf" MILTER="$milter"
		fi
	} > "$d/etc/main.cf"
	{
		if [ "$chroot" = chroot ]; then
			rg_subst "$RG_CONF/postfix-master.cf.in" NAME="$name" \
			    SMTP="127.0.0.1:$port" |
			    awk -v list="$RG_POSTFIX_CHROOTED" '
			    BEGIN { n = split(list, c); for (i = 1; i <= n; i++) y[c[i]] = 1 }
			    /^[^# \t]/ && NF >= 8 && ($8 in y) { $5 = "y" }
			    { print }'
		else
			rg_subst "$RG_CONF/postfix-master.cf.in" NAME="$name" \
			    SMTP="127.0.0.1:$port"
		fi
		echo
		sub=postfix-submission.cf
		[ "${RG_POSTFIX_DOOR:-milter}" = policy ] &&
		    sub=postfix-policy-submission.cf
		sed "s|^submission |127.0.0.1:$subport |" "$RG_CONF/$sub"
	} > "$d/etc/master.cf"
	if [ "$chroot" = chroot ]; then
		rg_postfix_chroot_files "$d/spool" ||
		    rg_die "postfix $name: chroot files"
	fi
	chown -R postfix "$d/data"
	chmod 0700 "$d/data"
	RG_POSTFIXES="$RG_POSTFIXES $name"
}

# rg_postfix_conf - set main.cf parameters of instance NAME
rg_postfix_conf()
{
	local i name d pid label
	name=$1
	shift
	postconf -c "$RG_TMP/$name/etc" -e "$@" || rg_die "postconf $*"
}

# rg_postfix_start - start instance NAME and wait for its SMTP port
rg_postfix_start()
{
	local i name d pid label
	d=$RG_TMP/$1
	postfix -c "$d/etc" start > "$d/start.out" 2>&1 ||
	    { cat "$d/start.out"; rg_die "postfix start ($1)"; }
	rg_wait_port "$(cat "$d/port")" && rg_wait_port "$(cat "$d/subport")" ||
	    { tail -20 "$d/maillog"; rg_die "postfix $1: port not open"; }
}

# rg_postfix_stop - stop instance NAME (and make sure its master is gone)
rg_postfix_stop()
{
	local i name d pid label
	d=$RG_TMP/$1
	[ -f "$d/spool/pid/master.pid" ] || return 0
	pid=$(tr -d ' ' < "$d/spool/pid/master.pid")
	postfix -c "$d/etc" stop >/dev/null 2>&1
	if [ -n "$pid" ] && ! rg_wait_pid "$pid" 100; then
		kill -9 "$pid" 2>/dev/null
	fi
	rm -f "$d/spool/pid/master.pid"
}

# rg_postfix_reload - make instance NAME reread main.cf and master.cf
rg_postfix_reload()
{
	postfix -c "$RG_TMP/$1/etc" reload >/dev/null 2>&1 || rg_die "postfix reload $1"
	sleep 1
}

# -------------------------------------------------------------- Sendmail

# rg_sendmail_unpack - download sendmail-bin and sendmail-cf once, unpack them
rg_sendmail_unpack()
{
	RG_SM_ROOT=$RG_DEB_CACHE/root
	RG_SENDMAIL=$RG_SM_ROOT/usr/libexec/sendmail/sendmail
	RG_SM_CF=$RG_SM_ROOT/usr/share/sendmail/cf
	if [ ! -x "$RG_SENDMAIL" ] || [ ! -f "$RG_SM_CF/m4/cf.m4" ]; then
		mkdir -p "$RG_DEB_CACHE" || rg_die "cannot make $RG_DEB_CACHE"
		# One test at a time unpacks; the others wait and use it.
		( flock -w 300 9 || exit 1; rg_sendmail_fetch ) \
		    9> "$RG_DEB_CACHE/.lock" || rg_die "cannot unpack sendmail"
	fi
	if ldd "$RG_SENDMAIL" | grep 'not found'; then
		rg_die "sendmail needs libraries that are not installed (mk/deps.sh test)"
	fi
}

# rg_sendmail_fetch - the download and unpacking of rg_sendmail_unpack
rg_sendmail_fetch()
{
	local tmp deb
	[ -x "$RG_SENDMAIL" ] && [ -f "$RG_SM_CF/m4/cf.m4" ] && return 0
	mkdir -p "$RG_DEB_CACHE/debs" || return 1
	# apt's download sandbox user must be able to write here.
	chown _apt "$RG_DEB_CACHE/debs" 2>/dev/null
	if ! ls "$RG_DEB_CACHE"/debs/sendmail-bin_*.deb >/dev/null 2>&1 ||
	   ! ls "$RG_DEB_CACHE"/debs/sendmail-cf_*.deb >/dev/null 2>&1; then
		(cd "$RG_DEB_CACHE/debs" &&
		    { apt-get download sendmail-bin sendmail-cf ||
		      { apt-get update -qq && apt-get download sendmail-bin sendmail-cf; }; }) ||
		    { echo "cannot download sendmail-bin and sendmail-cf"; return 1; }
	fi
	tmp=$(mktemp -d "$RG_DEB_CACHE/unpack.XXXXXX") || return 1
	for deb in "$RG_DEB_CACHE"/debs/sendmail-bin_*.deb \
	    "$RG_DEB_CACHE"/debs/sendmail-cf_*.deb; do
		dpkg-deb -x "$deb" "$tmp" || { echo "dpkg-deb -x $deb"; return 1; }
	done
	# Not set-group-ID here: nothing needs it, and a set-group-ID
	# program gets a cleaned environment.
	chmod g-s "$tmp/usr/libexec/sendmail/sendmail"
	rm -rf "$RG_SM_ROOT"
	mv "$tmp" "$RG_SM_ROOT"
}

# rg_fail2ban_unpack - download fail2ban once and unpack it
rg_fail2ban_unpack()
{
	local root
	root=$RG_DEB_CACHE/fail2ban
	RG_F2B_ETC=$root/etc/fail2ban
	RG_F2B_REGEX="env PYTHONPATH=$root/usr/lib/python3/dist-packages python3 $root/usr/bin/fail2ban-regex"
	if [ ! -f "$root/usr/bin/fail2ban-regex" ]; then
		mkdir -p "$RG_DEB_CACHE" || rg_die "cannot make $RG_DEB_CACHE"
		( flock -w 300 9 || exit 1; rg_fail2ban_fetch "$root" ) \
		    9> "$RG_DEB_CACHE/.lock" || rg_die "cannot unpack fail2ban"
	fi
}

# rg_fail2ban_fetch - the download and unpacking of rg_fail2ban_unpack
rg_fail2ban_fetch()
{
	local root tmp
	root=$1
	[ -f "$root/usr/bin/fail2ban-regex" ] && return 0
	mkdir -p "$RG_DEB_CACHE/debs" || return 1
	chown _apt "$RG_DEB_CACHE/debs" 2>/dev/null
	if ! ls "$RG_DEB_CACHE"/debs/fail2ban_*.deb >/dev/null 2>&1; then
		(cd "$RG_DEB_CACHE/debs" &&
		    { apt-get download fail2ban ||
		      { apt-get update -qq && apt-get download fail2ban; }; }) ||
		    { echo "cannot download fail2ban"; return 1; }
	fi
	tmp=$(mktemp -d "$RG_DEB_CACHE/unpack.XXXXXX") || return 1
	dpkg-deb -x "$(ls "$RG_DEB_CACHE"/debs/fail2ban_*.deb | tail -n 1)" \
	    "$tmp" || { echo "dpkg-deb -x fail2ban"; return 1; }
	rm -rf "$root"
	mv "$tmp" "$root"
}

# rg_sendmail_setup - make a private Sendmail NAME using MILTER, daemon name DAEMON
rg_sendmail_setup()
{
	local name milter daemon d port
	name=$1
	milter=$2
	daemon=$3
	d=$RG_TMP/$name
	rg_sendmail_unpack
	rg_sasl_init
	mkdir -p "$d/mqueue"
	chmod 0700 "$d/mqueue"
	rg_port
	port=$RG_PORT
	echo "$port" > "$d/port"
	printf '127.0.0.1\tmx.example.com localhost %s\n::1\tlocalhost\n' \
	    "$(hostname)" > "$d/hosts"
	printf 'passwd: files\ngroup: files\nhosts: files\n' > "$d/nsswitch.conf"
	printf 'hosts\tfiles\naliases\tfiles\n' > "$d/service.switch"
	: > "$d/aliases"
	: > "$d/statistics"
	: > "$d/helpfile"
	: > "$d/trusted-users"
	rg_subst "$RG_CONF/sendmail-relayguard.mc" MILTER="$milter" > "$d/relayguard.mc"
	rg_subst "$RG_CONF/sendmail.mc.in" DIR="$d" NAME="$name" PORT="$port" \
	    DAEMON="$daemon" RELAYGUARD_MC="$d/relayguard.mc" > "$d/sendmail.mc"
	m4 -D_CF_DIR_="$RG_SM_CF/" "$RG_SM_CF/m4/cf.m4" "$d/sendmail.mc" \
	    > "$d/sendmail.cf" 2> "$d/m4.err" || { cat "$d/m4.err"; rg_die "m4 $name"; }
	cat "$d/m4.err"
	RG_SENDMAILS="$RG_SENDMAILS $name"
}

# rg_sendmail_start - start Sendmail NAME as a daemon and wait for its port
#
# Sendmail runs in a private mount namespace where the test's files are
# bound over system ones, so nothing changes for the rest of the machine:
# - /etc/hosts and /etc/nsswitch.conf: no DNS at all (Sendmail resolves
#   its own host name at startup, before it reads the .cf, and sleeps a
#   minute when the name is not fully qualified);
# - Cyrus SASL's Sendmail.conf: Sendmail clears its environment and the
#   library reads the file from fixed directories (/etc/sasl2, /etc/sasl,
#   /usr/lib/sasl2, ...).
rg_sendmail_start()
{
	local d mounts dir
	d=$RG_TMP/$1
	mounts="mount --bind '$d/hosts' /etc/hosts &&"
	mounts="$mounts mount --bind '$d/nsswitch.conf' /etc/nsswitch.conf &&"
	for dir in /etc/sasl2 /etc/sasl /usr/lib/sasl2; do
		[ -d "$dir" ] && mounts="$mounts mount --bind '$RG_TMP/sasl-sendmail' '$dir' &&"
	done
	# libsasl2-2 ships /usr/lib/sasl2, so there is always one.
	case "$mounts" in *sasl-sendmail*) ;; *)
		rg_die "no Cyrus SASL configuration directory to bind over" ;;
	esac
	unshare -m --propagation private sh -c "$mounts exec env -i \
	    PATH=/usr/sbin:/usr/bin:/sbin:/bin '$RG_SENDMAIL' -bd \
	    -C '$d/sendmail.cf' -L 'sm-$1'" > "$d/start.out" 2>&1 ||
	    { cat "$d/start.out"; rg_die "sendmail start $1"; }
	rg_wait_port "$(cat "$d/port")" ||
	    { cat "$d/start.out"; rg_die "sendmail $1: port not open"; }
}

# rg_sendmail_stop - stop Sendmail NAME
rg_sendmail_stop()
{
	local i name d pid label
	d=$RG_TMP/$1
	[ -f "$d/sendmail.pid" ] || return 0
	pid=$(head -1 "$d/sendmail.pid")
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		rg_wait_pid "$pid" 100 || kill -9 "$pid" 2>/dev/null
	fi
	rm -f "$d/sendmail.pid"
}

# ------------------------------------------------------------ relayguard

# rg_relayguard_setup NAME [TEMPLATE] - make $RG_TMP/NAME/relayguard.conf
# from conf/TEMPLATE (default relayguard.conf.in) and compile its tables
rg_relayguard_setup()
{
	local d tpl t
	d=$RG_TMP/$1
	tpl=${2:-relayguard.conf.in}
	mkdir -p "$d"
	chmod 0755 "$d"
	rg_subst "$RG_CONF/$tpl" DIR="$d" > "$d/relayguard.conf"
	for t in client_access sender_access; do
		"$RG_BUILD/relayguardctl" compile -q -u postfix "$RG_CONF/$t" \
		    "$d/$t.lmdb" || rg_die "relayguardctl compile $t"
	done
	"$RG_BUILD/relayguard" -n -c "$d/relayguard.conf" ||
	    rg_die "relayguard -n $d/relayguard.conf"
}

# rg_relayguard_start NAME [SOCKET] - run build/relayguard in the
# foreground on $RG_TMP/NAME/relayguard.conf; its log (standard error) is
# $RG_TMP/NAME.out, its socket unix:$RG_TMP/NAME/relayguard.sock, or
# unix:SOCKET (-p) when given
rg_relayguard_start()
{
	local d sock
	d=$RG_TMP/$1
	sock=${2:-$d/relayguard.sock}
	rm -f "$sock"
	if [ -n "${2:-}" ]; then
		rg_spawn "$1" "$RG_BUILD/relayguard" -f -c "$d/relayguard.conf" \
		    -P "$d/relayguard.pid" -p "unix:$sock"
	else
		rg_spawn "$1" "$RG_BUILD/relayguard" -f -c "$d/relayguard.conf" \
		    -P "$d/relayguard.pid"
	fi
	rg_wait_file "$sock" ||
	    { cat "$RG_TMP/$1.out"; rg_die "relayguard $1: no socket"; }
}

# rg_relayguard_stop NAME - SIGTERM; check that it stopped cleanly: exit
# status 0 within 15 s, "stopping relayguard" logged, and no sanitizer
# report (under SANITIZE=1, LeakSanitizer runs at exit)
rg_relayguard_stop()
{
	local p st
	p=$(cat "$RG_TMP/$1.spawn")
	kill -TERM "$p" 2>/dev/null
	if rg_wait_pid "$p" 150; then
		wait "$p"
		st=$?
	else
		kill -9 "$p" 2>/dev/null
		st=timeout
	fi
	rg_check "relayguard $1 stopped on SIGTERM with status 0 (got $st)" \
	    test "$st" = 0
	rg_check "relayguard $1 logged its stop" \
	    grep -q 'stopping relayguard' "$RG_TMP/$1.out"
	if grep -qE 'Sanitizer|runtime error:' "$RG_TMP/$1.out"; then
		rg_result fail "relayguard $1: sanitizer report"
		grep -E -A20 'Sanitizer|runtime error:' "$RG_TMP/$1.out" | head -60
	else
		rg_result ok "relayguard $1: no sanitizer report"
	fi
}

# rg_redis_start NAME PORT [ARG...] - a private redis-server
rg_redis_start()
{
	local name port
	name=$1
	port=$2
	shift 2
	mkdir -p "$RG_TMP/$name"
	rg_spawn "$name" redis-server --port "$port" --bind 127.0.0.1 \
	    --save "" --appendonly no --dir "$RG_TMP/$name" \
	    --pidfile "$RG_TMP/$name/redis.pid" --daemonize no "$@"
	rg_wait_port "$port" ||
	    { cat "$RG_TMP/$name.out"; rg_die "redis-server $name: no listener"; }
}

# rg_sentinel_start NAME PORT MASTER-PORT - a private redis-sentinel
rg_sentinel_start()
{
	local d
	d=$RG_TMP/$1
	mkdir -p "$d"
	# Sentinel rewrites its configuration file: one of its own.
	cat > "$d/sentinel.conf" <<-EOF
	port $2
	bind 127.0.0.1
	dir $d
	pidfile $d/sentinel.pid
	sentinel monitor mymaster 127.0.0.1 $3 2
	sentinel down-after-milliseconds mymaster 1000
	sentinel failover-timeout mymaster 5000
	sentinel parallel-syncs mymaster 1
	EOF
	rg_spawn "$1" redis-sentinel "$d/sentinel.conf"
	rg_wait_port "$2" ||
	    { cat "$RG_TMP/$1.out"; rg_die "redis-sentinel $1: no listener"; }
}

# rg_wait_log NAME PATTERN - wait (5 s at most) for a log line (grep -E)
rg_wait_log()
{
	local i
	i=0
	until grep -qE -- "$2" "$RG_TMP/$1.out"; do
		[ "$i" -ge 50 ] && return 1
		i=$((i + 1))
		sleep 0.1
	done
	return 0
}

# ------------------------------------------------------------ SMTP client

# rg_smtp - one swaks session to 127.0.0.1:PORT from SRC; sets RG_REPLY
rg_smtp()
{
	local port src
	port=$1
	src=$2
	shift 2
	RG_SWAKS_N=$((RG_SWAKS_N + 1))
	RG_TRANSCRIPT=$RG_TMP/swaks/$RG_SWAKS_N.log
	RG_T0=$(date +%s.%N)
	[ -n "${RG_QUIT_AFTER-RCPT}" ] &&
	    set -- --quit-after "${RG_QUIT_AFTER-RCPT}" "$@"
	swaks --server "${RG_SERVER:-127.0.0.1}" --port "$port" \
	    --local-interface "$src" \
	    --helo client.example.org --from sender@example.org \
	    --timeout 30 "$@" > "$RG_TRANSCRIPT" 2>&1
	# The reply that decided and, after a tab, the command it answered.
	RG_REPLY=$(awk '
	function done_cmd() {
		if (reply == "") return
		if (cmd == "RCPT") rcpt = reply
		else if (cmd == "MAIL" && reply ~ /^[45]/) mail = reply
		else if (first == "" && reply ~ /^[45]/) {
			first = reply
			firstcmd = cmd
		}
	}
	BEGIN { cmd = "CONNECT" }
	/^ -> / {
		done_cmd()
		cmd = toupper($2)
		sub(/:.*/, "", cmd)
		reply = ""
		next
	}
	/^<(-|\*\*|~) / { sub(/^<(-|\*\*|~) +/, ""); reply = $0; next }
	END {
		done_cmd()
		if (rcpt != "") print rcpt "\tRCPT"
		else if (mail != "") print mail "\tMAIL"
		else if (first != "") print first "\t" firstcmd
		else print "none\tnone"
	}' "$RG_TRANSCRIPT")
	RG_REPLY_TO=${RG_REPLY##*	}
	RG_REPLY=${RG_REPLY%	*}
}

# rg_elapsed - seconds since the last rg_smtp started
rg_elapsed()
{
	echo "$(date +%s.%N) $RG_T0" | awk '{ printf "%.1f", $1 - $2 }'
}

# rg_result - count and print one check's result
rg_result()
{
	if [ "$1" = ok ]; then
		RG_PASS=$((RG_PASS + 1))
		echo "PASS: $2"
	else
		RG_FAIL=$((RG_FAIL + 1))
		echo "FAIL: $2"
	fi
}

# expect_rcpt - run a session and check the reply that decided it
expect_rcpt()
{
	local label want
	label=$1
	want=$2
	shift 2
	rg_smtp "$@"
	case "$RG_REPLY" in
	"$want"*)
		rg_result ok "$label: $RG_REPLY ($(rg_elapsed)s)" ;;
	*)
		rg_result fail "$label: want \"$want...\", got \"$RG_REPLY\""
		sed 's/^/    | /' "$RG_TRANSCRIPT" ;;
	esac
}

# expect_tempfail - a fail-closed check: the transaction gets WANT at MAIL or RCPT
expect_tempfail()
{
	local label want n a
	label=$1
	want=$2
	shift 2
	# Go on after a refused AUTH: the transaction is what must close.
	n=$#
	while [ "$n" -gt 0 ]; do
		a=$1
		shift
		[ "$a" = --auth ] && a=--auth-optional
		set -- "$@" "$a"
		n=$((n - 1))
	done
	rg_smtp "$@"
	case "$RG_REPLY_TO $RG_REPLY" in
	"MAIL $want"*|"RCPT $want"*)
		rg_result ok "$label: $RG_REPLY_TO: $RG_REPLY ($(rg_elapsed)s)" ;;
	*)
		rg_result fail "$label: want \"$want...\" to MAIL or RCPT, got \"$RG_REPLY\" to $RG_REPLY_TO"
		sed 's/^/    | /' "$RG_TRANSCRIPT" ;;
	esac
}

# rg_check - pass when the command succeeds
rg_check()
{
	local i name d pid label
	label=$1
	shift
	if "$@"; then rg_result ok "$label"; else rg_result fail "$label"; fi
}

# rg_skip - leave out a part, visibly (check_integration.c counts it)
rg_skip()
{
	echo "SKIP: $1: $2"
}

# rg_finish - summary line and exit status
rg_finish()
{
	echo "$RG_TEST: $RG_PASS passed, $RG_FAIL failed"
	[ "$RG_FAIL" -eq 0 ] && [ "$RG_PASS" -gt 0 ]
	exit $?
}
