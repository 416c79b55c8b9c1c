#!/usr/bin/env python3
"""Traffic for the live tests and the demo: echo servers and probes.

  probe.py serve ADDR PORT             UDP and TCP echo on ADDR:PORT (forever)
  probe.py udp SRC DST PORT [N] [GAP]  send N datagrams, print echoes received
  probe.py tcp SRC DST PORT            connect, exchange one line: exit 0 if ok
  probe.py stream SRC DST PORT SECONDS RATE   send RATE datagrams/s for
                                       SECONDS, print "sent N received M"
Addresses may be IPv4 or IPv6.  Exit 0 on success, 1 otherwise.
"""
import select
import socket
import sys
import threading
import time


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def serve(addr, port):
    fam = family(addr)
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.bind((addr, port))
    t = socket.socket(fam, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((addr, port))
    t.listen(64)

    def tcp_client(c):
        with c:
            c.settimeout(5)
            try:
                while True:
                    d = c.recv(4096)
                    if not d:
                        return
                    c.sendall(d)
            except OSError:
                return

    while True:
        r, _, _ = select.select([u, t], [], [])
        if u in r:
            d, peer = u.recvfrom(4096)
            u.sendto(d, peer)
        if t in r:
            c, _ = t.accept()
            threading.Thread(target=tcp_client, args=(c,), daemon=True).start()


def udp(src, dst, port, n=3, gap=0.0):
    s = socket.socket(family(dst), socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.settimeout(0.3)
    got = 0
    for i in range(n):
        s.sendto(b"meterwall %d" % i, (dst, port))
        try:
            s.recvfrom(4096)
            got += 1
        except socket.timeout:
            pass
        if gap:
            time.sleep(gap)
    print(got)
    return got == n


def tcp(src, dst, port):
    s = socket.socket(family(dst), socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(1.0)
    try:
        s.connect((dst, port))
        s.sendall(b"hello meterwall\n")
        ok = s.recv(100) == b"hello meterwall\n"
    except OSError:
        ok = False
    s.close()
    print("connected" if ok else "refused-or-dropped")
    return ok


def stream(src, dst, port, seconds, rate):
    """Send at a steady rate, count echoes; replies may lag a little."""
    s = socket.socket(family(dst), socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.setblocking(False)
    sent = got = 0
    end = time.monotonic() + seconds
    interval = 1.0 / rate
    nxt = time.monotonic()
    while time.monotonic() < end:
        now = time.monotonic()
        if now >= nxt:
            s.sendto(b"x" * 32, (dst, port))
            sent += 1
            nxt += interval
        r, _, _ = select.select([s], [], [], max(0.0, min(nxt - time.monotonic(), 0.01)))
        while r:
            try:
                s.recvfrom(100)
                got += 1
            except BlockingIOError:
                break
    deadline = time.monotonic() + 1.0
    while got < sent and time.monotonic() < deadline:
        r, _, _ = select.select([s], [], [], 0.05)
        if r:
            try:
                s.recvfrom(100)
                got += 1
            except BlockingIOError:
                pass
    print("sent %d received %d" % (sent, got))
    return got == sent


def main(a):
    if len(a) >= 3 and a[0] == "serve":
        serve(a[1], int(a[2]))
    elif len(a) >= 4 and a[0] == "udp":
        n = int(a[4]) if len(a) > 4 else 3
        gap = float(a[5]) if len(a) > 5 else 0.0
        return udp(a[1], a[2], int(a[3]), n, gap)
    elif len(a) == 4 and a[0] == "tcp":
        return tcp(a[1], a[2], int(a[3]))
    elif len(a) == 6 and a[0] == "stream":
        return stream(a[1], a[2], int(a[3]), float(a[4]), float(a[5]))
    else:
        sys.stderr.write(__doc__)
        return False
    return True


if __name__ == "__main__":
    sys.exit(0 if main(sys.argv[1:]) else 1)
