#!/usr/bin/env python3
"""Round trips of one byte to an echo server, each after an idle gap. Usage: client.py PORT GAP_SECONDS"""
import socket
import sys
import time

port, gap = int(sys.argv[1]), float(sys.argv[2])
s = socket.create_connection(('127.0.0.1', port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
lat = []
for _ in range(300 if gap > 0 else 20000):
    if gap:
        time.sleep(gap)
    t = time.perf_counter()
    s.sendall(b'x')
    s.recv(64)
    lat.append(time.perf_counter() - t)
lat = sorted(lat[len(lat) // 10:])   # the first tenth is warm-up
print(f'gap {gap * 1000:.0f} ms: p50 {lat[len(lat) // 2] * 1e6:.0f} us, p90 {lat[len(lat) * 9 // 10] * 1e6:.0f} us')
