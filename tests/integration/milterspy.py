#!/usr/bin/env python3
# milterspy.py - pass milter connections through and record their commands
#
# SYNOPSIS
#	milterspy.py LISTEN UPSTREAM RECORD
#
# DESCRIPTION
#	Listens on the Unix socket LISTEN (the MTA's milter socket) and
#	passes each connection, byte for byte, to the Unix socket UPSTREAM
#	(the filter). When a connection ends, appends one line to RECORD:
#
#	mta=O C H M R A Q filter=O a
#
#	the command letters the MTA sent (macro packets, D, left out) and
#	the reply letters the filter sent, in order. One line is one milter
#	connection; a K (SMFIC_QUIT_NC) among the MTA's letters means the
#	MTA reused the connection for another SMTP session.
#	Runs until killed.
import os
import socket
import struct
import sys
import threading

lock = threading.Lock()


def pump(src, dst, letters):
    buf = b''
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
            buf += data
            while len(buf) >= 5:
                (n,) = struct.unpack('!I', buf[:4])
                if len(buf) < 4 + n:
                    break
                c = buf[4:5].decode('latin-1')
                if c not in ('D', 'p'):
                    letters.append(c)
                buf = buf[4 + n:]
    except OSError:
        pass
    for s in (dst, src):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(conn, upstream, record):
    mta, flt = [], []
    up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        up.connect(upstream)
    except OSError:
        conn.close()
        return
    t = threading.Thread(target=pump, args=(up, conn, flt), daemon=True)
    t.start()
    pump(conn, up, mta)
    t.join(30)
    conn.close()
    up.close()
    with lock, open(record, 'a') as f:
        f.write('mta=%s filter=%s\n' % (' '.join(mta), ' '.join(flt)))


def main():
    if len(sys.argv) != 4:
        sys.exit('usage: milterspy.py LISTEN UPSTREAM RECORD')
    listen, upstream, record = sys.argv[1:]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if os.path.exists(listen):
        os.unlink(listen)
    s.bind(listen)
    s.listen(16)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn, upstream, record),
                         daemon=True).start()


if __name__ == '__main__':
    main()
