#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""UDP traffic for the daemon suite.

  udpflow.py recv PORT LOG      one line per datagram received: its source
  udpflow.py send DST PORT SRC... every 2 ms one datagram from each SRC,
                                 until killed; errors (the interface gone,
                                 the address not there yet) are retried
  udpflow.py spray DST PORT SRC  every 2 ms one datagram from a new socket
                                 (a new source port: a new flow each)
  udpflow.py scan DST SRC        every 2 ms one datagram to the next port
                                 of 20000..20999 (a port scan)
  udpflow.py notify SOCKET LOG   sd_notify's socket: one line per message
"""
import os
import socket
import sys
import time


def recv(port, log):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", int(port)))
    with open(log, "a", buffering=1) as f:
        while True:
            _, (src, _) = s.recvfrom(2048)
            f.write(src + "\n")


def send(dst, port, srcs):
    socks = {}
    while True:
        for src in srcs:
            try:
                if src not in socks:
                    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    s.bind((src, 0))
                    socks[src] = s
                socks[src].sendto(b"meterwall-daemon-test", (dst, int(port)))
            except OSError:
                socks.pop(src, None)
        time.sleep(0.002)


def spray(dst, port, src):
    while True:
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind((src, 0))
                s.sendto(b"meterwall-daemon-test", (dst, int(port)))
        except OSError:
            pass
        time.sleep(0.002)


def scan(dst, src):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    i = 0
    while True:
        try:
            s.sendto(b"meterwall-daemon-test", (dst, 20000 + i % 1000))
        except OSError:
            pass
        i += 1
        time.sleep(0.002)


def notify(path, log):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if os.path.exists(path):
        os.unlink(path)
    s.bind(path)
    with open(log, "a", buffering=1) as f:
        while True:
            msg = s.recv(4096).decode(errors="replace")
            for line in msg.split("\n"):
                if line:
                    f.write(line + "\n")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "recv":
        recv(sys.argv[2], sys.argv[3])
    elif cmd == "send":
        send(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif cmd == "spray":
        spray(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "scan":
        scan(sys.argv[2], sys.argv[3])
    elif cmd == "notify":
        notify(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
