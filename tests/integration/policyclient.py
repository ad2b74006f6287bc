#!/usr/bin/env python3
"""policyclient.py - protocol edge cases against relayguard's policy door

Usage: policyclient.py SOCKET CASE

SOCKET is the door's Unix socket. Each CASE talks to it as Postfix's
smtpd would (or as a broken client would), checks what comes back and
prints one line "ok: ..." or "FAIL: ..."; the exit status is 0 only when
every check passed. The daemon's configuration (policy.test) trusts
127.0.0.2, takes example.com as local and refuses other relaying; its
milter-timeout is 2 s.
"""
import socket
import sys
import time

REQUEST_MAX = 16384
ATTR_MAX = 64
DENIED = "action=554 5.7.1 <u@far.example>: Relay access denied"
fails = 0


def check(label, cond, detail=""):
    global fails
    if cond:
        print("ok: %s" % label)
    else:
        fails += 1
        print("FAIL: %s %s" % (label, detail))


def request(**attrs):
    """One request as Postfix 3.7 writes it, attributes overridden."""
    a = {"request": "smtpd_access_policy", "protocol_state": "RCPT",
         "protocol_name": "ESMTP", "client_address": "127.0.0.3",
         "client_name": "unknown", "reverse_client_name": "unknown",
         "helo_name": "client.example.org", "sender": "s@example.org",
         "recipient": "u@far.example", "recipient_count": "0",
         "queue_id": "", "instance": "1a2b.5f0e1a2b.3c4d.0",
         "sasl_method": "", "sasl_username": "", "sasl_sender": "",
         "size": "0", "ccert_subject": "", "ccert_issuer": "",
         "ccert_fingerprint": "", "encryption_protocol": "",
         "encryption_cipher": "", "encryption_keysize": "0",
         "etrn_domain": "", "stress": "", "client_port": "40000",
         "policy_context": "", "server_address": "127.0.0.1",
         "server_port": "25", "compatibility_level": "3.6",
         "mail_version": "3.7.11"}
    a.update(attrs)
    return "".join("%s=%s\n" % kv for kv in a.items() if kv[1] is not None) + "\n"


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s


def answers(s, n):
    """Read n answers ("action=...\\n\\n"); fewer when the door closes."""
    buf = b""
    while buf.count(b"\n\n") < n:
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        if not d:
            break
        buf += d
    return [x for x in buf.decode().split("\n\n") if x]


def closed_silently(s, wait=5.0):
    """True when the door closes the connection without a byte."""
    s.settimeout(wait)
    try:
        d = s.recv(100)
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True
    return d == b""


def case_basic(path):
    s = connect(path)
    s.sendall(request().encode())
    check("an untrusted client is refused relay", answers(s, 1) == [DENIED])
    s.sendall(request(recipient="u@example.com").encode())
    check("local mail is permitted: OK", answers(s, 1) == ["action=OK"])
    s.sendall(request(client_address="127.0.0.2", instance="x1").encode())
    check("a trusted client relays: OK", answers(s, 1) == ["action=OK"])
    s.sendall(request(protocol_state="DATA", instance="x2").encode())
    check("another protocol state: DUNNO", answers(s, 1) == ["action=DUNNO"])
    s.sendall(request(sender="", instance="x3").encode())
    check("the null sender", answers(s, 1) == [DENIED])
    s.sendall(request(sasl_username="alice", sasl_method="PLAIN",
                      instance="x4").encode())
    check("SASL authenticated: OK", answers(s, 1) == ["action=OK"])
    s.sendall(request(recipient="u%evil.example@example.com",
                      instance="x5").encode())
    check("a percent hack is refused", answers(s, 1) ==
          ["action=554 5.7.1 Source routing and %-hacks are not allowed"])


def case_unknown(path):
    s = connect(path)
    s.sendall(request(some_future_attribute="1", x_y="=z=",
                      recipient="u@example.com").encode())
    check("unknown attributes are ignored", answers(s, 1) == ["action=OK"])
    s.sendall(request(client_address="not-an-address",
                      recipient="u@far.example", instance="u2").encode())
    check("a client_address that is none is no trusted address",
          answers(s, 1) == [DENIED])


def case_pipelined(path):
    s = connect(path)
    reqs, want = [], []
    for i in range(50):
        local = i % 3 == 0
        reqs.append(request(recipient="u@example.com" if local else
                            "u@far.example", instance="p%d" % (i // 5)))
        want.append("action=OK" if local else DENIED)
    s.sendall("".join(reqs).encode())
    got = answers(s, 50)
    check("50 pipelined requests, 50 answers in order", got == want,
          "(%d answers)" % len(got))


def case_reuse(path, n=5000):
    s = connect(path)
    bad = 0
    t0 = time.time()
    for i in range(n):
        local = i % 2 == 0
        s.sendall(request(recipient="u@example.com" if local else
                          "u@far.example", instance="r%d" % (i // 4)).encode())
        got = answers(s, 1)
        if got != (["action=OK"] if local else [DENIED]):
            bad += 1
            if bad == 1:
                print("  first wrong answer at %d: %r" % (i, got))
    check("one connection reused for %d requests (%.1f s), every answer right"
          % (n, time.time() - t0), bad == 0, "(%d wrong)" % bad)


def case_oversized(path):
    s = connect(path)
    body = request()[:-1]
    s.sendall((body + "padding=" + "x" * (REQUEST_MAX + 10) + "\n").encode())
    check("an oversized request closes the connection, no answer",
          closed_silently(s))


def case_oversized_ended(path):
    s = connect(path)
    big = request(padding="x" * (REQUEST_MAX - 100))
    s.sendall(big.encode())
    check("an oversized whole request closes the connection, no answer",
          closed_silently(s))


def case_attrs(path):
    s = connect(path)
    extra = dict(("a%d" % i, "v") for i in range(ATTR_MAX))
    s.sendall(request(**extra).encode())
    check("too many attributes close the connection, no answer",
          closed_silently(s))
    s = connect(path)
    extra = dict(("a%d" % i, "v") for i in range(ATTR_MAX - 32))
    s.sendall(request(**extra).encode())
    check("fewer than %d attributes are fine" % ATTR_MAX,
          answers(s, 1) == [DENIED])


def case_malformed(path):
    for label, text in [
            ("a line without =", "request=smtpd_access_policy\nnonsense\n\n"),
            ("an empty name", "request=smtpd_access_policy\n=x\n\n"),
            ("a NUL byte", request(helo_name="a\0b")),
            ("no request attribute", "protocol_state=RCPT\n\n"),
            ("another request type", request(request="smtpd_other")),
            ("an empty request", "\n")]:
        s = connect(path)
        s.sendall(request(recipient="u@example.com").encode() + text.encode())
        got = answers(s, 2)
        check("%s: the request before it answered, then closed" % label,
              got == ["action=OK"], "(got %r)" % got)


def case_stall(path):
    stalled = connect(path)
    stalled.sendall(request()[:200].encode())
    t0 = time.time()
    s = connect(path)
    ok = True
    while time.time() - t0 < 1.5:
        s.sendall(request(recipient="u@example.com").encode())
        ok = ok and answers(s, 1) == ["action=OK"]
    check("other clients are answered while one stalls", ok)
    gone = closed_silently(stalled, 10)
    dt = time.time() - t0
    check("a client stalled mid-request is closed after milter-timeout "
          "(%.1f s)" % dt, gone and 1.5 <= dt < 6)
    s.sendall(request(recipient="u@example.com").encode())
    check("... and the others still are", answers(s, 1) == ["action=OK"])


CASES = {"basic": case_basic, "unknown": case_unknown,
         "pipelined": case_pipelined, "reuse": case_reuse,
         "oversized": case_oversized, "oversized-ended": case_oversized_ended,
         "attrs": case_attrs, "malformed": case_malformed,
         "stall": case_stall}

if __name__ == "__main__":
    CASES[sys.argv[2]](sys.argv[1])
    sys.exit(1 if fails else 0)
