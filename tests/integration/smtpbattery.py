#!/usr/bin/env python3
"""smtpbattery.py - run a battery of SMTP sessions, record each answer's class

SYNOPSIS
    smtpbattery.py run --port P --subport S --port6 P6 [--password USER:PW]
        BATTERY > RESULTS
    smtpbattery.py diff NATIVE RELAYGUARD EXCLUDE

DESCRIPTION
    run: BATTERY holds one session per line in the format of
    "relayguardctl compare" (client= name= helo= sender= auth= daemon=
    rcpt=...), without classes. Each session connects from its client
    address (127.0.0.x, or ::1 to [::1]:P6; daemon=ORIGINATING to the
    submission port S), says EHLO helo, authenticates when auth= is
    given (badauth=USER: with a wrong password, and the session is not
    authenticated), after STARTTLS when "tls" is given, sends MAIL FROM and each RCPT TO, then QUIT. The
    session is written back with every rcpt=ADDR:CLASS (accept, 4xx,
    5xx: the RCPT reply, or the MAIL reply when MAIL was refused), the
    driver-only fields removed: a file "relayguardctl compare" reads.

    diff: compares two RESULTS files of the same battery recipient by
    recipient. EXCLUDE lists known differences, one per line:
    "RCPT-ADDRESS|CLIENT|reason" (CLIENT may be *, or *,sender=ADDR for
    the sessions with that sender). Prints each
    difference and each exclusion used; exits 1 when a difference is
    not excluded, or when an exclusion was never needed.
"""
import shlex
import ssl
import smtplib
import sys


def fields(line):
    return shlex.split(line, posix=True)


def klass(code):
    if 200 <= code < 300:
        return "accept"
    if 400 <= code < 500:
        return "4xx"
    return "5xx"


def quote(v):
    if v == "" or any(c in v for c in ' \t"\\'):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return v


def session(opts, f):
    kv = [(x.split("=", 1) if "=" in x else (x, None)) for x in f]
    d = {}
    rcpts = []
    for k, v in kv:
        if k == "rcpt":
            rcpts.append(v)
        else:
            d[k] = v
    client = d["client"]
    if client == "::1":
        host, port = "::1", opts["port6"]
    elif d.get("daemon") == "ORIGINATING":
        host, port = "127.0.0.1", opts["subport"]
    else:
        host, port = "127.0.0.1", opts["port"]
    answers = {}
    s = smtplib.SMTP(local_hostname=d.get("helo", "client.example.org"),
                     timeout=30, source_address=(client, 0))
    try:
        s.connect(host, port)
        s.ehlo()
        if "tls" in d:
            s._host = "mx.example.com"
            s.starttls(context=ssl._create_unverified_context())
            s.ehlo()
        user = d.get("auth") or d.get("badauth")
        if user:
            pw = opts["passwords"][user] if "auth" in d else "wrong"
            code, _ = _auth(s, user, pw)
            if code != 235 and "auth" in d:
                raise RuntimeError("AUTH %s failed: %d" % (user, code))
        sender = d.get("sender", "")
        code, _ = s.mail("<>" if sender == "<>" else sender)
        for r in rcpts:
            if code >= 400:
                answers[r] = klass(code)
                continue
            rc, _ = s.docmd("RCPT TO:<%s>" % r)
            answers[r] = klass(rc)
        s.docmd("QUIT")
    finally:
        s.close()
    out = []
    for k, v in kv:
        if k == "badauth":
            continue
        if k == "rcpt":
            out.append("rcpt=%s:%s" % (quote(v), answers[v]))
        elif v is None:
            out.append(k)
        else:
            out.append("%s=%s" % (k, quote(v)))
    return " ".join(out)


def _auth(s, user, pw):
    import base64
    tok = base64.b64encode(("\0%s\0%s" % (user, pw)).encode()).decode()
    return s.docmd("AUTH PLAIN " + tok)


def run(argv):
    opts = {"passwords": {}}
    i = 0
    while argv[i].startswith("--"):
        k, v = argv[i][2:], argv[i + 1]
        if k == "password":
            u, p = v.split(":", 1)
            opts["passwords"][u] = p
        else:
            opts[k] = int(v)
        i += 2
    with open(argv[i]) as fp:
        for line in fp:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            print(session(opts, fields(line)), flush=True)
    return 0


def results(path):
    out = []
    with open(path) as fp:
        for line in fp:
            f = fields(line)
            client = [x for x in f if x.startswith("client=")][0][7:]
            sender = ([x for x in f if x.startswith("sender=")] or
                      ["sender="])[0][7:]
            for x in f:
                if x.startswith("rcpt="):
                    addr, cls = x[5:].rsplit(":", 1)
                    out.append((client, addr, cls, line.strip(), sender))
    return out


def diff(argv):
    a, b = results(argv[0]), results(argv[1])
    excl = {}
    with open(argv[2]) as fp:
        for line in fp:
            line = line.strip()
            if line and not line.startswith("#"):
                addr, client, why = line.split("|", 2)
                excl[(addr, client)] = [why, 0]
    if len(a) != len(b):
        print("FAIL: %d answers from native, %d through relayguard"
              % (len(a), len(b)))
        return 1
    bad = 0
    for (ca, ra, cla, la, sa), (cb, rb, clb, lb, _) in zip(a, b):
        if (ca, ra) != (cb, rb):
            print("FAIL: the results are not of the same battery")
            return 1
        if cla == clb:
            continue
        e = (excl.get((ra, ca)) or excl.get((ra, "*")) or
             excl.get((ra, "*,sender=" + sa)))
        if e:
            e[1] += 1
            continue
        bad += 1
        print("DIFF: <%s> from %s: native %s, relayguard %s\n    %s"
              % (ra, ca, cla, clb, la))
    for (addr, client), (why, n) in sorted(excl.items()):
        if n == 0:
            print("UNUSED EXCLUSION: <%s> from %s (%s)" % (addr, client, why))
            bad += 1
        else:
            print("excluded %d: <%s> from %s: %s" % (n, addr, client, why))
    print("%d recipients compared, %d differ" % (len(a), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    if sys.argv[1] == "run":
        sys.exit(run(sys.argv[2:]))
    sys.exit(diff(sys.argv[2:]))
