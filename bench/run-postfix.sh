#!/bin/sh
# run-postfix.sh - end to end through private Postfix instances with smtp-source
#
# SYNOPSIS
#	RG_TOP=. RG_BUILD=build sh bench/run-postfix.sh
# DESCRIPTION
#	Runs Postfix's smtp-source (RG_BENCH_SESSIONS parallel sessions,
#	default 20; RG_BENCH_MESSAGES messages, default 4000, of 3
#	recipients each, one message per SMTP session) from 127.0.0.1
#	against private Postfix instances (tests/integration/lib.sh) that
#	discard all mail, one per variant:
#
#	native		smtpd_relay_restrictions = permit_mynetworks,
#			check_client_access lmdb:(1,000,000 entries),
#			reject_unauth_destination: the reference of both
#			doors
#
#	The milter door (smtpd_milters; Postfix's relay check opened as
#	the README says):
#	milter-noop	build/noop-milter -s -r chm: the fair ceiling, a
#			no-op that waives every reply the MTA lets it
#			waive (connect, HELO, MAIL) and answers RCPT only
#	milter-noop-conn
#			build/noop-milter -s -r hm: the same, but it
#			answers connect, as relayguard does; against
#			milter-noop it prices the connect reply
#	milter-noop-naive
#			build/noop-milter -s: answers connect, HELO, MAIL
#			and RCPT
#	relayguard	build/relayguard with the same policy as native
#			(connect: accept trusted; rcpt: check the client
#			table, permit local domains, reject) on a Unix
#			socket
#	relayguard-tcp	the same daemon and policy on a loopback TCP
#			socket (inet:PORT@127.0.0.1)
#	relayguard-quiet
#			the relayguard row with milter-connect-reply no: it
#			waives its connect reply too, and answers RCPT only,
#			as the fair no-op does
#
#	The policy door (check_policy_service, one connection per smtpd
#	process kept for many requests):
#	policy-noop	native plus check_policy_service to
#			build/noop-policy, which answers DUNNO: the
#			ceiling of the policy protocol
#	postfwd		Debian's postfwd through check_policy_service: the
#			trusted network, the local domains and the final
#			reject; the 1,000,000-entry client table stays in
#			Postfix (check_client_access lmdb:) because postfwd
#			matches file lists linearly
#	relayguard-policy
#			build/relayguard with the policy of the relayguard
#			row on its policy listener (policy "unix:PATH"),
#			smtpd_relay_restrictions = check_policy_service
#			unix:PATH, reject
#
#	The client is untrusted (mynetworks is 127.0.0.2/32), not in the
#	client table, and every recipient is local (user@example.com),
#	so every variant looks everything up and accepts every recipient:
#	the figures compare the cost of the decision, not its outcome.
#	After a warm-up of each, RG_BENCH_REPEAT rounds (default 3) run
#	every variant once, in an order rotated by one each round, so
#	that a burst of other work on the machine hits all of them
#	alike; report.sh takes medians. A run where Postfix did not
#	accept every message fails. RG_BENCH_VARIANTS chooses the
#	variants (default: all of the above, native first).
#
#	The raw results go to $RG_BENCH_OUT/postfix.txt (default
#	bench/results): one line per run (variant, round, seconds, the
#	load average before it, and cpu_us: the CPU time, user and
#	system, the variant's filter processes used during the run, per
#	recipient in microseconds, from /proc; none for native), the
#	machine's uptime before and after
#	as comments, and one "unavailable" line per variant that could
#	not start. RG_BENCH_NOTE, when set, is recorded there as a "# note"
#	line. bench/report.sh tabulates them.
# DIAGNOSTICS
#	Exit 1 when a variant failed; a variant whose program is missing
#	or cannot run the configuration (a relayguard without a policy
#	listener, say) is recorded as unavailable with a message.
set -u

: "${RG_TOP:?}" "${RG_BUILD:?}"
out=${RG_BENCH_OUT:-$RG_TOP/bench/results}
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

# relayguard_start NAME SOCKET [LINE] - start a relayguard daemon with
# the relayguard policy, its milter listening on SOCKET (libmilter's
# spelling; none when empty) and LINE added to its configuration; the
# client table is compiled once and shared
relayguard_start() {
	if [ ! -f "$RG_TMP/client_access.rg.lmdb" ]; then
		"$RG_BUILD/relayguardctl" compile -q "$RG_TMP/client_access" \
		    "$RG_TMP/client_access.rg.lmdb" >"$RG_TMP/compile.out" 2>&1 ||
		    { cat "$RG_TMP/compile.out"; return 1; }
	fi
	sockline=""
	[ -n "$2" ] && sockline="socket \"$2\""
	cat >"$RG_TMP/$1.conf" <<-EOF
	$sockline
	${3:-}
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
	"")	;;
	unix:*)	rg_wait_file "${2#unix:}" ;;
	inet:*)	rgp=${2#inet:}; rg_wait_port "${rgp%@*}" ;;
	esac || { cat "$RG_TMP/$1.out"; return 1; }
}

# variant_setup NAME - make and start the Postfix instance of a variant
variant_setup() {
	case $1 in
	native)
		rg_postfix_setup native ""
		rg_postfix_conf native "smtpd_relay_restrictions = permit_mynetworks, check_client_access lmdb:$RG_TMP/client_access, reject_unauth_destination"
		;;
	milter-noop|milter-noop-conn|milter-noop-naive)
		case $1 in
		milter-noop)		waive="-r chm" ;;
		milter-noop-conn)	waive="-r hm" ;;
		*)			waive="" ;;
		esac
		rm -f "$RG_TMP/$1.sock"
		# shellcheck disable=SC2086
		rg_spawn "$1-milter" "$RG_BUILD/noop-milter" -f -s $waive \
		    -p "unix:$RG_TMP/$1.sock" -P "$RG_TMP/$1-milter.pid"
		rg_wait_file "$RG_TMP/$1.sock" || { cat "$RG_TMP/$1-milter.out"; return 1; }
		rg_postfix_setup "$1" "unix:$RG_TMP/$1.sock"
		;;
	relayguard)
		relayguard_start relayguard "unix:$RG_TMP/relayguard.sock" || return 1
		# Postfix's smtpd (user postfix) must reach the socket.
		chmod 0666 "$RG_TMP/relayguard.sock"
		rg_postfix_setup relayguard "unix:$RG_TMP/relayguard.sock"
		;;
	relayguard-quiet)
		relayguard_start relayguard-quiet \
		    "unix:$RG_TMP/relayguard-quiet.sock" \
		    "milter-connect-reply no" || return 1
		chmod 0666 "$RG_TMP/relayguard-quiet.sock"
		rg_postfix_setup relayguard-quiet "unix:$RG_TMP/relayguard-quiet.sock"
		;;
	relayguard-tcp)
		rg_port
		rgport=$RG_PORT
		relayguard_start relayguard-tcp "inet:$rgport@127.0.0.1" ||
		    return 1
		rg_postfix_setup relayguard-tcp "inet:127.0.0.1:$rgport"
		;;
	policy-noop)
		[ -x "$RG_BUILD/noop-policy" ] || { echo "no $RG_BUILD/noop-policy"; return 1; }
		rg_spawn noop-policy "$RG_BUILD/noop-policy" -f \
		    -p "unix:$RG_TMP/noop-policy.sock" -P "$RG_TMP/noop-policy.pid"
		rg_wait_file "$RG_TMP/noop-policy.sock" || { cat "$RG_TMP/noop-policy.out"; return 1; }
		rg_postfix_setup policy-noop ""
		rg_postfix_conf policy-noop "smtpd_relay_restrictions = permit_mynetworks, check_client_access lmdb:$RG_TMP/client_access, check_policy_service unix:$RG_TMP/noop-policy.sock, reject_unauth_destination"
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
	relayguard-policy)
		# The policy door alone, as a Postfix site runs it.
		relayguard_start relayguard-policy "" \
		    "policy \"unix:$RG_TMP/relayguard-policy.sock\"" || return 1
		rg_wait_file "$RG_TMP/relayguard-policy.sock" ||
		    { cat "$RG_TMP/relayguard-policy.out"; return 1; }
		chmod 0666 "$RG_TMP/relayguard-policy.sock"
		rg_postfix_setup relayguard-policy ""
		rg_postfix_conf relayguard-policy "smtpd_relay_restrictions = check_policy_service unix:$RG_TMP/relayguard-policy.sock, reject"
		;;
	*)
		echo "unknown variant $1"
		return 1
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

# filter_pidfile NAME - the pid file of the variant's filter (none for
# native)
filter_pidfile() {
	case $1 in
	milter-noop*)	echo "$RG_TMP/$1-milter.pid" ;;
	relayguard*)	echo "$RG_TMP/$1.pid" ;;
	policy-noop)	echo "$RG_TMP/noop-policy.pid" ;;
	postfwd)	echo "$RG_TMP/postfwd.pid" ;;
	esac
}

# filter_ticks NAME - the CPU clock ticks (user and system) the
# variant's filter has used so far: its process, or, for a session
# leader (postfwd forks its servers), every process of its session
# and the children they reaped; empty for native
filter_ticks() {
	pf=$(filter_pidfile "$1")
	[ -n "$pf" ] && [ -r "$pf" ] || return 0
	ps -e -o sid=,pid= | awk -v p="$(cat "$pf")" '
	function ticks(pid,   f, line, a) {
		f = "/proc/" pid "/stat"
		if ((getline line < f) <= 0) return 0
		close(f)
		sub(/^.*\) /, "", line)	# past "pid (comm) "
		split(line, a, " ")
		return a[12] + a[13] + a[14] + a[15]
	}
	$2 == p { sid = $1 }
	{ s[$2] = $1 }
	END {
		t = 0
		for (q in s)
			if (q == p || (sid == p && s[q] == p)) t += ticks(q)
		print t
	}'
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

variants=${RG_BENCH_VARIANTS:-"native milter-noop milter-noop-conn milter-noop-naive relayguard relayguard-quiet relayguard-tcp policy-noop postfwd relayguard-policy"}
raw=$RG_TMP/postfix.txt
hz=$(getconf CLK_TCK)
bench_stamp start >"$raw"
# Which daemon was measured: the build's commit when it is in a git
# checkout, and RG_BENCH_NOTE (say, a branch measured before its merge).
rev=$(git -C "$RG_BUILD" describe --always --dirty 2>/dev/null) &&
    echo "# note: relayguard built from $rev" >>"$raw"
[ -n "${RG_BENCH_NOTE:-}" ] && echo "# note: $RG_BENCH_NOTE" >>"$raw"
ready=""
for v in $variants; do
	if variant_setup "$v"; then
		ready="$ready $v"
	else
		rg_log "$v: unavailable, skipped"
		echo "label=$v unavailable" >>"$raw"
	fi
done

ok=""
for v in $ready; do
	rg_log "$v: warm-up"
	if blast "$v" 200 >/dev/null && wait_delivered "$v" 600; then
		ok="$ok $v"
	else
		echo "label=$v unavailable warm-up-failed" >>"$raw"
		status=1
	fi
done
ready=$ok

# rotate N WORDS... - the words, starting with the Nth (from 0)
rotate() {
	k=$1
	shift
	awk -v k="$k" 'BEGIN {
		for (i = 1; i < ARGC; i++) w[i - 1] = ARGV[i]
		n = ARGC - 1
		for (i = 0; i < n; i++) printf "%s ", w[(i + k) % n]
	}' "$@"
}

r=0
while [ $r -lt "$repeat" ]; do
	for v in $(rotate $r $ready); do
		want=$(($(delivered "$v") + 3 * messages))
		load=$(cut -d' ' -f1 /proc/loadavg)
		t0=$(filter_ticks "$v")
		if s=$(blast "$v" "$messages") && wait_delivered "$v" "$want"; then
			t1=$(filter_ticks "$v")
			rg_log "$v round $((r + 1)): $s s (load $load)"
			awk -v v="$v" -v r=$((r + 1)) -v c="$sessions" \
			    -v m="$messages" -v s="$s" -v l="$load" \
			    -v t0="$t0" -v t1="$t1" -v hz="$hz" 'BEGIN {
				printf "label=%s round=%d sessions=%d messages=%d rcpts=%d secs=%.3f msg_s=%.1f rcpt_s=%.1f load1=%s",
				    v, r, c, m, 3 * m, s, m / s, 3 * m / s, l
				# the filter CPU time per recipient, microseconds
				if (t0 != "" && t1 != "")
					printf " cpu_us=%.1f", (t1 - t0) * 1e6 / hz / (3 * m)
				printf "\n"
			}' >>"$raw"
		else
			echo "label=$v round=$((r + 1)) failed" >>"$raw"
			status=1
		fi
	done
	r=$((r + 1))
done
bench_stamp end >>"$raw"

cp "$raw" "$out/postfix.txt"
cat "$out/postfix.txt"
exit $status
