#!/usr/bin/env bash
# Added latency of streamed (and non-streamed) chat completions through llm-proxy, measured with a
# non-JVM client (wrk), in one run (see docs/benchmarks.md):
#   vllm-sim as its own process (TTFT given, every token at once after it), llm-proxy in front of it
#   (auth, limits, metrics, usage accounting on), nginx as a plain reverse proxy in front of the same
#   simulator (proxy_buffering off, as for any streaming upstream), wrk at concurrency 1 against
#   each, 2-token answers, ROUNDS interleaved rounds (the machine's noise shows between them).
# wrk times the whole response; with every token at once it bounds the added time to first byte.
# Then bench/proxy/ttfb.c (built here with gcc) times the first body byte itself, for streamed
# requests, in the same interleaved rounds: that is the added time to first byte a client sees.
# The warm-up is counted in requests, not seconds: at concurrency 16 and a 50 ms TTFT, 8 s are only
# ~2,500 requests and the JIT was still compiling loopline's path while it was measured. So the
# proxy is warmed at concurrency 256 for WARM_SECONDS per kind (~100k requests on this machine).
# Usage: bench/proxy/stream-wrk.sh [ttft ms, default 5] [seconds per measurement, default 8] [rounds, default 3]
#        (env WARM_SECONDS, default 30)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TTFT="${1:-5}"; DUR="${2:-8}"; ROUNDS="${3:-3}"; WARM="${WARM_SECONDS:-30}"
command -v wrk >/dev/null && command -v nginx >/dev/null && command -v gcc >/dev/null \
  || { echo "needs wrk, nginx and gcc (apt-get install wrk nginx gcc)" >&2; exit 1; }
source "$ROOT/bench/proxy/lib.sh"
JAVA="${JAVA_HOME:?set JAVA_HOME to a JDK 21+}/bin/java"
work="$(mktemp -d)"
SIM="$(free_port)"; LL="$(free_port)"; NGX="$(free_port)"
KEY="ll-bench-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
"$JAVA" -jar "$ROOT/vllm-sim/target/vllm-sim.jar" --port "$SIM" --ttft-ms "$TTFT" --itl-ms 0 --prefill-ms-per-1k 0 >"$work/sim.log" 2>&1 &
SIM_PID=$!
start_nginx "$work" 1024 "$(cat <<NGINX
  upstream sim { server 127.0.0.1:$SIM; keepalive 64; }
  server {
    listen 127.0.0.1:$NGX;
    location / { proxy_pass http://sim; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; }
  }
NGINX
)"
trap 'kill $SIM_PID $NGINX_PID ${LL_PID:-} 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
start_llm_proxy "$work" "$LL" "$KEY" "http://127.0.0.1:$SIM"
for s in true false; do
  cat > "$work/$s.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"model":"loopline-sim","stream":$s,"max_tokens":2,"messages":[{"role":"user","content":"hi"}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $KEY"
done = function(summary, latency, requests)
  io.write(string.format("%d %d %d %d\n", latency:percentile(50), latency:percentile(99), summary.requests, summary.errors.status))
end
LUA
done
for s in true false; do   # warm-up (request counts on stderr)
  for p in "$SIM" "$NGX"; do wrk -t1 -c64 -d5s -s "$work/$s.lua" "http://127.0.0.1:$p/v1/chat/completions" >/dev/null 2>&1; done
  wrk -t1 -c256 -d"${WARM}s" -s "$work/$s.lua" "http://127.0.0.1:$LL/v1/chat/completions" \
    | awk -v s="$s" '/ requests in / { print "loopline warm-up, stream=" s ": " $1 " requests" } /Non-2xx/ { print "  non-2xx: " $NF }' >&2
done
echo "| request | round | direct p50 | nginx p50 | loopline p50 | nginx added p50 | loopline added p50 | direct p99 | nginx p99 | loopline p99 | non-2xx |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for r in $(seq 1 "$ROUNDS"); do for s in true false; do
  read -r d50 d99 _ de < <(wrk -t1 -c1 -d"${DUR}s" -s "$work/$s.lua" "http://127.0.0.1:$SIM/v1/chat/completions" | tail -1)
  read -r n50 n99 _ ne < <(wrk -t1 -c1 -d"${DUR}s" -s "$work/$s.lua" "http://127.0.0.1:$NGX/v1/chat/completions" | tail -1)
  read -r p50 p99 _ pe < <(wrk -t1 -c1 -d"${DUR}s" -s "$work/$s.lua" "http://127.0.0.1:$LL/v1/chat/completions" | tail -1)
  echo "| $([ $s = true ] && echo streamed || echo not streamed), TTFT ${TTFT} ms | $r | ${d50} µs | ${n50} µs | ${p50} µs | $((n50 - d50)) µs | $((p50 - d50)) µs | ${d99} µs | ${n99} µs | ${p99} µs | $((de + ne + pe)) |"
done; done
gcc -O2 -o "$work/ttfb" "$ROOT/bench/proxy/ttfb.c"
printf '{"model":"loopline-sim","stream":true,"max_tokens":2,"messages":[{"role":"user","content":"hi"}]}' > "$work/stream.json"
echo
echo "| streamed, TTFT ${TTFT} ms | round | direct first byte p50 | nginx added p50 | loopline added p50 | nginx added p99 | loopline added p99 | whole response: nginx / loopline added p50 | errors |"
echo "|---|---|---|---|---|---|---|---|---|"
"$work/ttfb" "$DUR" "$ROUNDS" "$work/stream.json" "Bearer $KEY" "$SIM" "$NGX" "$LL" | paste -d' ' - - - \
  | while read -r r _ d50 d99 dt _ _ de _ _ n50 n99 nt _ _ ne _ _ p50 p99 pt _ _ pe; do
      echo "| | $r | ${d50} µs | $((n50 - d50)) µs | $((p50 - d50)) µs | $((n99 - d99)) µs | $((p99 - d99)) µs | $((nt - dt)) / $((pt - dt)) µs | $((de + ne + pe)) |"
    done
