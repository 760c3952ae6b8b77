#!/usr/bin/env bash
# Proxy overhead, measured in one run on one machine (see docs/benchmarks.md):
#   direct     wrk → upstream (nginx returning a fixed chat completion, keep-alive)
#   nginx      wrk → nginx reverse proxy → the same upstream
#   loopline   wrk → loopline llm-proxy (auth, limits, metrics, usage accounting on) → the same upstream
# Usage: bench/proxy/run.sh [seconds per measurement] [warm-up seconds per target, default 5]
#   (needs wrk, nginx and tcpdump, and root for the capture: apt-get install wrk nginx tcpdump)
# At concurrency 1 two sets of figures come from the same requests: wrk's, which wrk corrects for
# coordinated omission (each stall becomes a ramp of synthetic samples), and each request's own
# latency read off a loopback capture by wire_latency.py, with the proxy's added time per request
# (see that script and docs/benchmarks.md).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DUR="${1:-10}"
WARMUP="${2:-5}"
command -v wrk >/dev/null && command -v nginx >/dev/null && command -v tcpdump >/dev/null \
  || { echo "needs wrk, nginx and tcpdump (apt-get install wrk nginx tcpdump)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "needs root for the loopback capture (tcpdump)" >&2; exit 1; }
source "$ROOT/bench/proxy/lib.sh"
: "${JAVA_HOME:?set JAVA_HOME to a JDK 21+}"
work="$(mktemp -d)"
UP="$(free_port)"; NGX="$(free_port)"; LL="$(free_port)"
KEY="ll-bench-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
start_nginx "$work" 8192 "$(instant_upstream_server "$UP"; cat <<NGINX
  upstream up { server 127.0.0.1:$UP; keepalive 256; }
  server {
    listen 127.0.0.1:$NGX;
    location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
NGINX
)"
trap 'kill $NGINX_PID ${LL_PID:-} 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
start_llm_proxy "$work" "$LL" "$KEY" "http://127.0.0.1:$UP"
write_post_lua "$work/post.lua" "$KEY"
measure() { # name url threads conns → "p50 p99 rps non2xx requests"
  wrk -t"$3" -c"$4" -d"${DUR}s" --latency -s "$work/post.lua" "$2" 2>&1 | wrk_summary
}
# c=1 with a loopback capture of the same requests: name url front-port [upstream-port] → measure's line, and the wire line in $work/wire-NAME
measure_c1() {
  local filter="tcp port $3" cap="$work/$1.pcap"
  [ -n "${4:-}" ] && filter="$filter or tcp port $4"
  tcpdump -Z root -i lo -n -s 128 -B 131072 -w "$cap" "$filter" 2>"$work/tcpdump-$1.log" &
  local tpid=$!
  for _ in $(seq 1 50); do grep -q "listening on" "$work/tcpdump-$1.log" 2>/dev/null && break; sleep 0.1; done
  local line
  line="$(measure "$1" "$2" 1 1)"
  kill -INT "$tpid"; wait "$tpid" 2>/dev/null || true
  python3 "$ROOT/bench/proxy/wire_latency.py" "$cap" "$3" ${4:-} > "$work/wire-$1"
  echo "$(grep -o '[0-9]* packets dropped by kernel' "$work/tcpdump-$1.log")" >> "$work/wire-$1"
  rm -f "$cap"
  echo "$line"
}
# warm-up (JIT, connection pools)
for u in "http://127.0.0.1:$UP/v1/chat/completions" "http://127.0.0.1:$NGX/v1/chat/completions" "http://127.0.0.1:$LL/v1/chat/completions"; do
  wrk -t2 -c32 -d"${WARMUP}s" -s "$work/post.lua" "$u" >/dev/null 2>&1
done
echo "wrk's figures (at c=1 corrected by wrk for coordinated omission):"
echo
echo "| target | c=1 p50 | c=1 p99 | c=1 req/s | c=64 p50 | c=64 p99 | c=64 req/s | c=64 non-2xx |"
echo "|---|---|---|---|---|---|---|---|"
for pair in "direct http://127.0.0.1:$UP/v1/chat/completions $UP" "nginx http://127.0.0.1:$NGX/v1/chat/completions $NGX $UP" "loopline http://127.0.0.1:$LL/v1/chat/completions $LL $UP"; do
  set -- $pair
  read -r a50 a99 arps aerr _ < <(measure_c1 "$1" "$2" "$3" "${4:-}")
  read -r b50 b99 brps berr _ < <(measure "$1" "$2" 2 64)
  echo "| $1 | $a50 | $a99 | $arps | $b50 | $b99 | $brps | $berr |"
done
echo
echo "The same c=1 requests, each request's own latency on the wire (µs; added = in-to-out minus the upstream's part, per request):"
echo
for t in direct nginx loopline; do echo "$t: $(tr '\n' ' ' < "$work/wire-$t")"; done
rows="$(curl -s "http://127.0.0.1:$LL/v1/usage" -H "Authorization: Bearer $KEY" | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["requests"])')"
echo
echo "usage rows recorded by loopline during the run: $rows"
