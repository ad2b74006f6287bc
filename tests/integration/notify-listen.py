#!/usr/bin/env python3
# notify-listen.py - stand in for systemd's notification socket
#
# SYNOPSIS
#	notify-listen.py NOTIFY_SOCKET MILTER_SOCKET LOG
#
# DESCRIPTION
#	Binds a Unix datagram socket at NOTIFY_SOCKET (what systemd passes
#	to a Type=notify service as $NOTIFY_SOCKET) and appends every
#	message to LOG as one line, its fields joined by "|". A message
#	with READY=1 gets a last field "bound=yes" when MILTER_SOCKET
#	accepted a connection at the moment the message arrived, else
#	"bound=no": READY must mean the daemon can take mail. Runs until
#	killed.
import os
import socket
import sys

path, milter, log = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
# Like systemd's: the daemon sends after it dropped root.
os.chmod(path, 0o666)
while True:
    data = s.recv(4096).decode("utf-8", "replace")
    fields = data.strip("\n").split("\n")
    if "READY=1" in fields:
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            c.connect(milter)
            fields.append("bound=yes")
        except OSError:
            fields.append("bound=no")
        finally:
            c.close()
    with open(log, "a") as f:
        f.write("|".join(fields) + "\n")
