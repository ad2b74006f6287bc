#!/usr/bin/env python3
# grantprobe.py - ask filters about granted clients, from one process
#
# SYNOPSIS
#	grantprobe.py seen --client ADDR --want permit|reject|tempfail
#	    [--auth USER] [--rcpt MAILBOX] [--limit SEC] SOCKET... --
#	    COMMAND [ARG...]
#	grantprobe.py loop --client ADDR --stranger ADDR --stop FILE
#	    [--ready FILE] [--max SEC] SOCKET
#	grantprobe.py time --client ADDR --count N SOCKET
#	grantprobe.py ask SOCKET,ADDR[,auth=USER][,rcpt=MAILBOX]...
#
# DESCRIPTION
#	Each question is one milter session (miltertest.py's) with one
#	relay recipient, whose answer is permit (continue), reject or
#	tempfail. Asking from one process keeps a program's start-up out
#	of the times measured.
#
#	seen runs COMMAND (a relayguardctl grant or revoke), then asks every
#	SOCKET (unix:/path) about ADDR in turn until each has answered
#	WANT, and prints "SOCKET SECONDS" for each: the time from the end
#	of COMMAND to its first WANT. Exit 0 when all did within --limit
#	seconds (default 1); 1 otherwise, with the last answers.
#
#	loop asks SOCKET about the granted client and the stranger in turn
#	until FILE exists (or --max seconds, default 80), makes the --ready
#	FILE once the first pair is answered, and prints one line
#	of counts: "granted permit=N tempfail=N reject=N stranger permit=N
#	tempfail=N reject=N". A stranger's permit is a wrong permit.
#
#	time asks SOCKET N times about ADDR and prints the counts of the
#	answers and the seconds all of them took: "permit=N tempfail=N
#	reject=N seconds=S".
#
#	ask asks each SOCKET about ADDR (with {auth_authen} USER, and the
#	recipient MAILBOX instead of x@far.example) and prints one answer
#	a line, in order: permit, reject, tempfail, or accept (the
#	connection or message was accepted before RCPT).
import argparse
import os
import struct
import subprocess
import sys
import time

import miltertest


class Ask:
    def __init__(self, socket, client, auth=None, rcpt='x@far.example'):
        self.a = argparse.Namespace(
            socket=socket, family='4', client=client, clients=None,
            hostname='localhost', helo='client.example',
            mail='<sender@example.org>', rcpt=['<%s>' % rcpt],
            macro=['M:{auth_authen}=' + auth] if auth else [], reuse=1,
            quit_after=None, timeout=10.0)

    def __call__(self):
        got = []

        def out(line):
            if line.startswith('rcpt '):
                got.append(line.split(' ', 2)[2])
            elif line.split(' ')[1:2] == ['accept']:
                got.append('accept')
        try:
            miltertest.session(self.a, out)
        except (OSError, EOFError, struct.error) as e:
            return 'error: %s' % e
        if not got:
            return 'none'
        if got[0] == 'accept':
            return 'accept'
        if got[0].startswith('continue'):
            return 'permit'
        if got[0].startswith('5'):
            return 'reject'
        if got[0].startswith('4'):
            return 'tempfail'
        return got[0]


def seen(args):
    asks = {s: Ask(s, args.client, args.auth, args.rcpt)
            for s in args.sockets}
    rc = subprocess.call(args.command)
    if rc != 0:
        print('grantprobe: %s: exit %d' % (' '.join(args.command), rc))
        return 1
    t0 = time.monotonic()
    when, last = {}, {}
    while len(when) < len(asks) and time.monotonic() - t0 < args.limit + 2:
        for s, ask in asks.items():
            if s in when:
                continue
            last[s] = ask()
            if last[s] == args.want:
                when[s] = time.monotonic() - t0
    ok = True
    for s in args.sockets:
        if s in when and when[s] < args.limit:
            print('%s %.3f' % (s, when[s]))
        else:
            ok = False
            print('%s not %s within %gs: %s' % (s, args.want, args.limit,
                                               last.get(s)))
    return 0 if ok else 1


def counts_line(c):
    return ' '.join('%s=%d' % (k, c.get(k, 0)) for k in
                    ['permit', 'tempfail', 'reject'] +
                    sorted(set(c) - {'permit', 'tempfail', 'reject'}))


def timed(args):
    ask, c = Ask(args.sockets[0], args.client), {}
    t0 = time.monotonic()
    for _ in range(args.count):
        a = ask()
        c[a] = c.get(a, 0) + 1
    print('%s seconds=%.3f' % (counts_line(c), time.monotonic() - t0))
    return 0


def ask_each(args):
    for q in args.sockets:
        f = q.split(',')
        opt = dict(kv.split('=', 1) for kv in f[2:])
        print(Ask(f[0], f[1], opt.get('auth'), opt.get('rcpt',
                                                      'x@far.example'))())
    return 0


def loop(args):
    granted, stranger = Ask(args.sockets[0], args.client), \
        Ask(args.sockets[0], args.stranger)
    counts = {'granted': {}, 'stranger': {}}
    t0 = time.monotonic()
    while not os.path.exists(args.stop) and time.monotonic() - t0 < args.max:
        for name, ask in (('granted', granted), ('stranger', stranger)):
            a = ask()
            counts[name][a] = counts[name].get(a, 0) + 1
        if args.ready and not os.path.exists(args.ready):
            open(args.ready, 'w').close()
    print(' '.join('%s %s' % (n, counts_line(c)) for n, c in counts.items()))
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument('mode', choices=['seen', 'loop', 'time', 'ask'])
    p.add_argument('--client')
    p.add_argument('--want')
    p.add_argument('--auth')
    p.add_argument('--rcpt', default='x@far.example')
    p.add_argument('--limit', type=float, default=1.0)
    p.add_argument('--stranger')
    p.add_argument('--stop')
    p.add_argument('--ready')
    p.add_argument('--max', type=float, default=80.0)
    p.add_argument('--count', type=int, default=1)
    p.add_argument('sockets', nargs='+')
    argv, command = sys.argv[1:], []
    if '--' in argv:
        i = argv.index('--')
        argv, command = argv[:i], argv[i + 1:]
    args = p.parse_args(argv)
    args.command = command
    if args.mode == 'ask':
        return ask_each(args)
    if not args.client:
        p.error('%s needs --client' % args.mode)
    if args.mode == 'seen':
        if not args.want or not args.command or not args.sockets:
            p.error('seen needs --want, sockets and -- COMMAND')
        return seen(args)
    if len(args.sockets) != 1:
        p.error('%s needs one socket' % args.mode)
    if args.mode == 'time':
        return timed(args)
    if not args.stranger or not args.stop:
        p.error('loop needs --stranger, --stop and one socket')
    return loop(args)


if __name__ == '__main__':
    sys.exit(main())
