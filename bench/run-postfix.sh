#!/bin/sh
# run-postfix.sh - end to end through a private Postfix with smtp-source
#
# SYNOPSIS
#	RG_TOP=. RG_BUILD=build sh bench/run-postfix.sh
# DESCRIPTION
#	Runs Postfix's smtp-source (RG_BENCH_SESSIONS parallel sessions,
#	default 20; RG_BENCH_MESSAGES messages, default 4000, of 3
#	recipients each, one message per SMTP session) from 127.0.0.1
#	against private Postfix instances (tests/integration/lib.sh) that
#	discard all mail, one per relay policy:
#
#	native		smtpd_relay_restrictions = permit_mynetworks,
#			check_client_access lmdb:(1,000,000 entries),
#			reject_unauth_destination
#	noop		build/noop-milter -s (the stages relayguard skips),
#			Postfix's relay check opened as the README says
#	postfwd		Debian's postfwd through check_policy_service: the
#			trusted network, the local domains and the final
#			reject; the 1,000,000-entry client table stays in
#			Postfix (check_client_access lmdb:) because postfwd
#			matches file lists linearly
#	relayguard	build/relayguard with the same policy (connect:
#			accept trusted; rcpt: check the client table,
#			permit local domains, reject), the README's
#			Postfix settings (a Unix socket)
#	relayguard-tcp	the same daemon and policy on a loopback TCP
#			socket (inet:PORT@127.0.0.1, Postfix's
#			smtpd_milters = inet:127.0.0.1:PORT)
#
#	The client is untrusted (mynetworks is 127.0.0.2/32), not in the
#	client table, and every recipient is local (user@example.com),
#	so every policy looks everything up and accepts every recipient:
#	the figures compare the cost of the decision, not its outcome.
#	Each policy runs RG_BENCH_REPEAT times (default 3) after a
#	warm-up, interleaved; the median is reported. A run where Postfix
#	did not accept every message fails.
#
#	Results go to $RG_BENCH_OUT/postfix.txt (default
#	bench/results/raw); bench/report.sh tabulates them.
# DIAGNOSTICS
#	Exit 1 when a policy failed; a policy whose program is missing
#	(relayguard not built yet) is skipped with a message.
set -u

: "${RG_TOP:?}" "${RG_BUILD:?}"
out=${RG_BENCH_OUT:-$RG_TOP/bench/results/raw}
sessions=${RG_BENCH_SESSIONS:-20}
messages=${RG_BENCH_MESSAGES:-4000}
repeat=${RG_BENCH_REPEAT:-3}
mkdir -p "$out"

. "$RG_TOP/tests/integration/lib.sh"
rg_init bench-postfix
status=0

# --- the client table, shared by native, postfwd and relayguard
rg_log "generating the 1,000,000-entry client table"
. "$RG_TOP/bench/gendata.sh"
gen_client_access "$RG_TMP/client_access"
mkdir "$RG_TMP/postmap"
echo "compatibility_level = 3.6" >"$RG_TMP/postmap/main.cf"
t0=$(date +%s.%N)
postmap -c "$RG_TMP/postmap" lmdb:"$RG_TMP/client_access" || rg_die "postmap"
t1=$(date +%s.%N)
rg_log "postmap of 1,000,000 entries: $(echo "$t1 - $t0" | bc) s"

# relayguard_start NAME SOCKET - start a relayguard daemon with the
# relayguard policy listening on SOCKET (libmilter's spelling); the
# client table is compiled once and shared
relayguard_start() {
	if [ ! -f "$RG_TMP/client_access.rg.lmdb" ]; then
		"$RG_BUILD/relayguardctl" compile -q "$RG_TMP/client_access" \
		    "$RG_TMP/client_access.rg.lmdb" >"$RG_TMP/compile.out" 2>&1 ||
		    { cat "$RG_TMP/compile.out"; return 1; }
	fi
	cat >"$RG_TMP/$1.conf" <<-EOF
	socket  "$2"
	control "unix:$RG_TMP/$1-control.sock"
	log-level warning
	list trusted { 127.0.0.2 }
	list local { example.com localhost }
	table client-access "$RG_TMP/client_access.rg.lmdb"
	connect {
	    accept client in <trusted>
	}
	rcpt {
	    check  client <client-access>
	    permit rcpt-domain in <local>
	    reject "554 5.7.1 <%{rcpt}>: Relay access denied"
	}
	EOF
	"$RG_BUILD/relayguard" -n -c "$RG_TMP/$1.conf" \
	    >"$RG_TMP/$1-n.out" 2>&1 ||
	    { cat "$RG_TMP/$1-n.out"; return 1; }
	rg_spawn "$1" "$RG_BUILD/relayguard" -f -c "$RG_TMP/$1.conf" \
	    -P "$RG_TMP/$1.pid"
	case $2 in
	unix:*)	rg_wait_file "${2#unix:}" ;;
	inet:*)	rgp=${2#inet:}; rg_wait_port "${rgp%@*}" ;;
	esac || { cat "$RG_TMP/$1.out"; return 1; }
}

# policy_setup NAME - make and start the Postfix instance of a policy
policy_setup() {
	case $1 in
	native)
		rg_postfix_setup native ""
		rg_postfix_conf native "smtpd_relay_restrictions = permit_mynetworks, check_client_access lmdb:$RG_TMP/client_access, reject_unauth_destination"
		;;
	noop)
		rg_noop_milter noop-milter
		kill "$(cat "$RG_TMP/noop-milter.spawn")"
		rg_wait_pid "$(cat "$RG_TMP/noop-milter.spawn")" 50
		rm -f "$RG_TMP/noop-milter.sock"
		rg_spawn noop-milter "$RG_BUILD/noop-milter" -f -s \
		    -p "unix:$RG_TMP/noop-milter.sock"
		rg_wait_file "$RG_TMP/noop-milter.sock" || rg_die "noop-milter"
		rg_postfix_setup noop "unix:$RG_TMP/noop-milter.sock"
		;;
	postfwd)
		command -v postfwd >/dev/null || { echo "postfwd missing"; return 1; }
		rg_port
		pfport=$RG_PORT
		cat >"$RG_TMP/postfwd.cf" <<-EOF
		# trusted network, local domains, everything else refused
		id=TRUSTED; client_address==127.0.0.2/32; action=OK
		id=LOCAL; recipient_domain==example.com; action=OK
		id=LOCALHOST; recipient_domain==localhost; action=OK
		id=RELAY; action=REJECT Relay access denied
		EOF
		postfwd --file "$RG_TMP/postfwd.cf" --interface 127.0.0.1 \
		    --port "$pfport" --user nobody --group nogroup --nodns \
		    --pidfile "$RG_TMP/postfwd.pid" --daemon \
		    >"$RG_TMP/postfwd.out" 2>&1 ||
		    { cat "$RG_TMP/postfwd.out"; return 1; }
		# It daemonizes: hand its pid to lib.sh's cleanup.
		RG_PIDS="$RG_PIDS $(cat "$RG_TMP/postfwd.pid" 2>/dev/null)"
		rg_wait_port "$pfport" || { cat "$RG_TMP/postfwd.out"; return 1; }
		rg_postfix_setup postfwd ""
		rg_postfix_conf postfwd "smtpd_relay_restrictions = check_client_access lmdb:$RG_TMP/client_access, check_policy_service inet:127.0.0.1:$pfport, reject"
		;;
	relayguard)
		relayguard_start relayguard "unix:$RG_TMP/relayguard.sock" || return 1
		# Postfix's smtpd (user postfix) must reach the socket.
		chmod 0666 "$RG_TMP/relayguard.sock"
		rg_postfix_setup relayguard "unix:$RG_TMP/relayguard.sock"
		;;
	relayguard-tcp)
		rg_port
		rgport=$RG_PORT
		relayguard_start relayguard-tcp "inet:$rgport@127.0.0.1" ||
		    return 1
		rg_postfix_setup relayguard-tcp "inet:127.0.0.1:$rgport"
		;;
	esac
	rg_postfix_conf "$1" "mynetworks = 127.0.0.2/32" \
	    "default_process_limit = 200" "smtpd_client_event_limit_exceptions = 127.0.0.0/8"
	rg_postfix_start "$1"
}

# delivered NAME - how many recipients the instance discarded so far
delivered() {
	cat "$RG_TMP/$1/maillog" 2>/dev/null | grep -c 'status=sent'
}

# wait_delivered NAME N - wait (60 s at most) until N recipients are
# delivered and the queue is empty: proves every message was accepted
wait_delivered() {
	i=0
	while [ $i -lt 600 ]; do
		n=$(find "$RG_TMP/$1/spool/incoming" "$RG_TMP/$1/spool/active" \
		    "$RG_TMP/$1/spool/deferred" "$RG_TMP/$1/spool/maildrop" \
		    -type f 2>/dev/null | wc -l)
		[ "$n" -eq 0 ] && [ "$(delivered "$1")" -ge "$2" ] && return 0
		sleep 0.1; i=$((i + 1))
	done
	echo "$1: $(delivered "$1") recipients delivered, want $2; $n queue files" >&2
	return 1
}

# blast NAME COUNT - smtp-source run; prints the seconds it took
blast() {
	port=$(cat "$RG_TMP/$1/port")
	t0=$(date +%s.%N)
	smtp-source -s "$sessions" -m "$2" -r 3 -N -f sender@example.org \
	    -t user@example.com -M client.example.org 127.0.0.1:"$port" \
	    >"$RG_TMP/$1.source" 2>&1
	rc=$?
	t1=$(date +%s.%N)
	if [ $rc -ne 0 ] || [ -s "$RG_TMP/$1.source" ]; then
		echo "smtp-source against $1 failed (exit $rc):" >&2
		head -5 "$RG_TMP/$1.source" >&2
		return 1
	fi
	echo "$t1 - $t0" | bc
}

policies="native noop postfwd relayguard relayguard-tcp"
ready=""
for p in $policies; do
	if policy_setup "$p"; then
		ready="$ready $p"
	else
		rg_log "$p: unavailable, skipped"
		echo "label=$p unavailable" >>"$RG_TMP/skipped"
	fi
done

ok=""
for p in $ready; do
	rg_log "$p: warm-up"
	if blast "$p" 200 >/dev/null && wait_delivered "$p" 600; then
		ok="$ok $p"
	else
		status=1
	fi
done
ready=$ok

: >"$RG_TMP/times"
r=0
while [ $r -lt "$repeat" ]; do
	r=$((r + 1))
	for p in $ready; do
		want=$(($(delivered "$p") + 3 * messages))
		if s=$(blast "$p" "$messages") && wait_delivered "$p" "$want"; then
			rg_log "$p run $r: $s s"
			echo "$p $s" >>"$RG_TMP/times"
		else
			status=1
		fi
	done
done

: >"$out/postfix.txt"
for p in $ready; do
	awk -v p="$p" '$1 == p { print $2 }' "$RG_TMP/times" | sort -n |
	    awk -v p="$p" -v m="$messages" -v c="$sessions" '
	{ v[NR] = $1 }
	END {
		if (!NR) exit
		s = v[int((NR + 1) / 2)]
		printf "label=%s sessions=%d messages=%d rcpts=%d secs=%.3f msg_s=%.1f rcpt_s=%.1f runs=%d min=%.3f max=%.3f\n",
		    p, c, m, 3 * m, s, m / s, 3 * m / s, NR, v[1], v[NR]
	}' >>"$out/postfix.txt"
done
[ -f "$RG_TMP/skipped" ] && cat "$RG_TMP/skipped" >>"$out/postfix.txt"
cat "$out/postfix.txt"
exit $status
