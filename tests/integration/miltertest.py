#!/usr/bin/env python3
# miltertest.py - talk the milter protocol (version 6) to a filter, no MTA
#
# SYNOPSIS
#	miltertest.py -s SOCKET [--family 4|6|unix|none] [--client ADDR]
#	    [--hostname NAME] [--helo NAME] [--mail ARG] [--rcpt ARG]...
#	    [--macro STAGE[@N]:NAME=VALUE]... [--sessions N] [--reuse N]
#	    [--clients ADDR,ADDR...]
#	    [--quit-after optneg|connect|helo|mail] [--timeout SEC] [--quiet]
#
# DESCRIPTION
#	Acts as the MTA side of one SMTP session per --sessions: OPTNEG,
#	CONNECT, HELO, MAIL, each RCPT, ABORT, QUIT, and prints one line
#	per answer:
#
#	optneg version=6 actions=0x... protocol=0x... macros=C:{..} H:{..}
#	connect continue
#	rcpt <x@example.com> reject 554 5.7.1 <x@example.com>: Relay ...
#
#	A stage answered with reject/tempfail/accept/discard ends the
#	session the way an MTA would (no later stages; RCPT refusals go
#	on with the next recipient). SOCKET is unix:/path or inet:PORT@HOST.
#	STAGE is C, H, M or R (macros sent before that command); STAGE@N
#	(N from 1) sends the macro only in the Nth SMTP session of a
#	reused milter connection. --clients A,B,... gives each of those
#	sessions its own client address (the last one repeats).
#	--quit-after ends the session early (close without connect, ...).
#	--reuse N runs N SMTP sessions on one milter connection, separated
#	by QUIT_NC (as Sendmail does), without a new option negotiation.
#	--timeout waits SEC seconds (default 10) for each answer.
#	Exit status 0 when the filter answered every command, 1 on a
#	protocol or connection error.
import argparse
import socket
import struct
import sys

SMFIF_SETSYMLIST = 0x100
ALL_ACTIONS = 0x1ff
# Everything an MTA such as Postfix offers: skip bits and no-reply bits.
ALL_PROTOCOL = 0x1fffff

NAMES = {b'c': 'continue', b'r': 'reject', b't': 'tempfail',
         b'a': 'accept', b'd': 'discard', b'y': 'reply', b'4': 'shutdown',
         b'f': 'connfail', b'p': 'progress'}
STAGE_CMD = {'C': b'C', 'H': b'H', 'M': b'M', 'R': b'R'}


class Milter:
    def __init__(self, spec, timeout=10.0):
        if spec.startswith('unix:') or spec.startswith('/'):
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.s.settimeout(timeout)
            self.s.connect(spec[5:] if spec.startswith('unix:') else spec)
        elif spec.startswith('inet:') or spec.startswith('inet6:'):
            port, host = spec.split(':', 1)[1].split('@', 1)
            host = host.strip('[]')
            self.s = socket.create_connection((host, int(port)), timeout)
        else:
            raise SystemExit('miltertest: bad socket: ' + spec)

    def send(self, cmd, data=b''):
        self.s.sendall(struct.pack('!I', len(data) + 1) + cmd + data)

    def recvn(self, n):
        buf = b''
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                raise EOFError('filter closed the connection')
            buf += chunk
        return buf

    def recv(self):
        while True:
            (n,) = struct.unpack('!I', self.recvn(4))
            pkt = self.recvn(n)
            if pkt[:1] != b'p':          # skip progress messages
                return pkt[:1], pkt[1:]

    def close(self):
        self.s.close()


def answer(cmd, data):
    name = NAMES.get(cmd, repr(cmd))
    if cmd == b'y':
        return data.rstrip(b'\0').decode('utf-8', 'replace')
    return name


def verdict(cmd, data):
    if cmd == b'y':
        code = data[:1]
        return 'reject' if code == b'5' else 'tempfail'
    return NAMES.get(cmd, '?')


def session(args, out):
    m = Milter(args.socket, getattr(args, 'timeout', 10.0))
    m.send(b'O', struct.pack('!III', 6, ALL_ACTIONS, ALL_PROTOCOL))
    prot = negotiate(m, out)
    if args.quit_after == 'optneg':
        m.send(b'Q')
        m.close()
        return
    for n in range(args.reuse):
        if n > 0:
            m.send(b'K')
        smtp(m, prot, args, out, n + 1)
    m.send(b'Q')
    m.close()


def negotiate(m, out):
    cmd, data = m.recv()
    if cmd != b'O':
        raise EOFError('optneg answered with %r' % cmd)
    ver, act, prot = struct.unpack('!III', data[:12])
    rest, macros = data[12:], []
    while len(rest) >= 4:
        (where,) = struct.unpack('!I', rest[:4])
        lst, _, rest = rest[4:].partition(b'\0')
        macros.append('%d:%s' % (where, lst.decode()))
    out('optneg version=%d actions=%#x protocol=%#x macros=%s' %
        (ver, act, prot, '|'.join(macros)))
    return prot


def smtp(m, prot, args, out, nth=1):

    def macros_for(stage):
        data = b''
        for m_ in args.macro:
            st, nv = m_.split(':', 1)
            st, _, only = st.partition('@')
            if only and int(only) != nth:
                continue
            if st == stage:
                n, v = nv.split('=', 1)
                data += n.encode() + b'\0' + v.encode('utf-8',
                                                      'surrogateescape') + b'\0'
        if data:
            m.send(b'D', STAGE_CMD[stage] + data)

    def step(label, cmd, data, stage, skipflag):
        if stage is not None:
            macros_for(stage)
        m.send(cmd, data)
        if prot & skipflag:
            out('%s (no reply)' % label)
            return 'continue'
        c, d = m.recv()
        out('%s %s' % (label, answer(c, d)))
        return verdict(c, d)

    enc = lambda s: s.encode('utf-8', 'surrogateescape') + b'\0'
    fam = args.family
    client = args.client
    if args.clients:
        lst = args.clients.split(',')
        client = lst[min(nth, len(lst)) - 1]
    if fam == 'none':
        conn = enc(args.hostname) + b'U'
    elif fam == 'unix':
        conn = enc(args.hostname) + b'L' + struct.pack('!H', 0) + \
            enc('/var/run/mta.sock')
    else:
        conn = enc(args.hostname) + fam.encode() + \
            struct.pack('!H', 25025) + enc(client)
    q = args.quit_after
    v = step('connect', b'C', conn, 'C', 0x1000)
    if v == 'continue' and args.helo is not None and q != 'connect':
        v = step('helo', b'H', enc(args.helo), 'H', 0x2000)
    if v == 'continue' and args.mail is not None and q not in ('connect',
                                                               'helo'):
        v = step('mail', b'M', enc(args.mail), 'M', 0x4000)
        if v == 'continue' and q != 'mail':
            for r in args.rcpt:
                rv = step('rcpt %s' % r, b'R', enc(r), 'R', 0x8000)
                if rv in ('accept', 'discard'):
                    break
        if v == 'continue':
            m.send(b'A')


def main():
    p = argparse.ArgumentParser()
    p.add_argument('-s', '--socket', required=True)
    p.add_argument('--family', default='4', choices=['4', '6', 'unix',
                                                     'none'])
    p.add_argument('--client', default='127.0.0.1')
    p.add_argument('--clients', default=None)
    p.add_argument('--hostname', default='localhost')
    p.add_argument('--helo', default='client.example')
    p.add_argument('--mail', default='<sender@example.org>')
    p.add_argument('--rcpt', action='append', default=[])
    p.add_argument('--macro', action='append', default=[])
    p.add_argument('--sessions', type=int, default=1)
    p.add_argument('--reuse', type=int, default=1)
    p.add_argument('--quit-after', default=None,
                   choices=['optneg', 'connect', 'helo', 'mail'])
    p.add_argument('--timeout', type=float, default=10.0)
    p.add_argument('--quiet', action='store_true')
    args = p.parse_args()
    if not args.rcpt:
        args.rcpt = ['<user@example.com>']
    out = (lambda s: None) if args.quiet else \
        (lambda s: print(s, flush=True))
    try:
        for _ in range(args.sessions):
            session(args, out)
    except (OSError, EOFError, struct.error) as e:
        print('miltertest: %s' % e, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
