#!/usr/bin/env python3
"""Per-request latency read off a loopback packet capture (tcpdump -w), not off the load generator.

Why: wrk corrects its latency histogram for coordinated omission before printing it (and before
its Lua done() sees it): every response slower than the mean interval between requests adds
synthetic samples at that latency minus 1, 2, 3... intervals. At concurrency 1 the interval is
~0.1-0.2 ms, so one 10 ms stall (a GC pause, a descheduled thread) becomes ~50-100 samples and
the printed p99 is a measure of the longest stalls, not of what requests took. This script reports
what each request took, timed where the kernel saw the bytes, so the client's own scheduling is
not in it either:

  front:    first request byte in  -> first response byte out, on the connection the client used
  upstream: first byte of the relayed request to the upstream -> first byte of its answer
  added:    front - upstream, per request (what the proxy itself added to that request)

Usage: wire_latency.py CAPTURE FRONT_PORT [UPSTREAM_PORT]
Prints one line: n=… front_p50=… front_p99=… [upstream_p50=… added_p50=… added_p90=… added_p99=… added_p99.9=…]
(microseconds). Meant for concurrency 1: a relayed request is paired with the client request in
flight. Only requests to the upstream that start with "POST " are paired, so the proxy's own
health checks and /metrics polls are not mistaken for relayed requests.
"""
import struct
import sys


def packets(path):
    """Yields (time, src_port, dst_port, payload) for TCP segments with a payload (IPv4, Ethernet or Linux cooked)."""
    with open(path, 'rb') as f:
        header = f.read(24)
        magic = struct.unpack('<I', header[:4])[0]
        if magic in (0xa1b2c3d4, 0xa1b23c4d):
            endian = '<'
        else:
            endian = '>'
        nanos = struct.unpack(endian + 'I', header[:4])[0] == 0xa1b23c4d
        linktype = struct.unpack(endian + 'I', header[20:24])[0]
        link_len = {1: 14, 113: 16, 0: 4, 276: 20}.get(linktype)
        if link_len is None:
            raise SystemExit(f'unsupported link type {linktype}')
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            sec, frac, incl, _ = struct.unpack(endian + 'IIII', rec)
            data = f.read(incl)
            t = sec + frac / (1e9 if nanos else 1e6)
            ip = data[link_len:]
            if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
                continue
            ihl = (ip[0] & 0x0f) * 4
            total = struct.unpack('>H', ip[2:4])[0]
            tcp = ip[ihl:]
            sport, dport = struct.unpack('>HH', tcp[:4])
            off = (tcp[12] >> 4) * 4
            payload_len = total - ihl - off
            if payload_len <= 0:
                continue
            yield t, sport, dport, tcp[off:off + min(payload_len, 8)]


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * p / 100))] if s else float('nan')


def main():
    path, front = sys.argv[1], int(sys.argv[2])
    upstream = int(sys.argv[3]) if len(sys.argv) > 3 else None
    open_req = {}      # client port -> {'t0', 't1', 't2'}
    relay = {}         # proxy's upstream-connection port -> client port whose request it carries
    current = None     # at concurrency 1, the client request being relayed
    front_s, upstream_s, added_s = [], [], []   # seconds, per request
    for t, sp, dp, head in packets(path):
        if dp == front:
            r = open_req.get(sp)
            if r is None or r.get('done'):
                open_req[sp] = {'t0': t}
                current = sp
        elif sp == front:
            r = open_req.get(dp)
            if r is not None and not r.get('done'):
                r['done'] = True
                front_s.append(t - r['t0'])
                if 't1' in r and 't2' in r:
                    upstream_s.append(r['t2'] - r['t1'])
                    added_s.append((t - r['t0']) - (r['t2'] - r['t1']))
        elif upstream is not None and dp == upstream and head.startswith(b'POST ') and current is not None:
            r = open_req.get(current)
            if r is not None and not r.get('done') and 't1' not in r:
                r['t1'] = t
                relay[sp] = current
        elif upstream is not None and sp == upstream and dp in relay:
            r = open_req.get(relay.pop(dp))
            if r is not None and 't1' in r and 't2' not in r:
                r['t2'] = t
    us = lambda v: f'{v * 1e6:.0f}'
    line = f'n={len(front_s)} front_p50={us(pct(front_s, 50))} front_p99={us(pct(front_s, 99))} front_p99.9={us(pct(front_s, 99.9))}'
    if upstream is not None:
        line += (f' upstream_p50={us(pct(upstream_s, 50))} added_p50={us(pct(added_s, 50))} added_p90={us(pct(added_s, 90))}'
                 f' added_p99={us(pct(added_s, 99))} added_p99.9={us(pct(added_s, 99.9))} paired={len(added_s)}')
    print(line)


if __name__ == '__main__':
    main()
