#!/usr/bin/env bash
# What the smallest JVM relay adds to a non-streamed chat completion whose upstream (vllm-sim) takes
# TTFT ms to answer, with its connection threads virtual or platform, against the same requests
# straight to the simulator; wrk at concurrency 1 (docs/benchmarks.md, "Streaming through llm-proxy").
# Usage: bench/proxy/wake/relay.sh [ttft ms, default 50] [seconds per measurement, default 8]
set -euo pipefail
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$DIR/../../.." && pwd)"
JAVA="${JAVA_HOME:?set JAVA_HOME to a JDK 21+}/bin/java"
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
source "$DIR/../lib.sh"
TTFT="${1:-50}"; DUR="${2:-8}"
work="$(mktemp -d)"
SIM="$(free_port)"; PLAT="$(free_port)"; VIRT="$(free_port)"
"$JAVA" -jar "$ROOT/vllm-sim/target/vllm-sim.jar" --port "$SIM" --ttft-ms "$TTFT" --itl-ms 0 --prefill-ms-per-1k 0 >"$work/sim.log" 2>&1 &
pids=$!
"$JAVA" "$DIR/Relay.java" "$PLAT" "$SIM" platform & pids="$pids $!"
"$JAVA" "$DIR/Relay.java" "$VIRT" "$SIM" virtual & pids="$pids $!"
trap 'kill $pids 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
for p in "$SIM" "$PLAT" "$VIRT"; do
  for _ in $(seq 1 60); do curl -fs "http://127.0.0.1:$p/health" >/dev/null 2>&1 && break; sleep 0.5; done
done
cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"model":"loopline-sim","stream":false,"max_tokens":2,"messages":[{"role":"user","content":"hi"}]}'
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  io.write(string.format("%d %d\n", latency:percentile(50), latency:percentile(99)))
end
LUA
for p in "$SIM" "$PLAT" "$VIRT"; do wrk -t1 -c8 -d5s -s "$work/post.lua" "http://127.0.0.1:$p/v1/chat/completions" >/dev/null; done
echo "| TTFT | direct p50 | platform relay p50 | virtual relay p50 | platform added | virtual added |"
echo "|---|---|---|---|---|---|"
read -r d _ < <(wrk -t1 -c1 -d"${DUR}s" -s "$work/post.lua" "http://127.0.0.1:$SIM/v1/chat/completions" | tail -1)
read -r pl _ < <(wrk -t1 -c1 -d"${DUR}s" -s "$work/post.lua" "http://127.0.0.1:$PLAT/v1/chat/completions" | tail -1)
read -r vi _ < <(wrk -t1 -c1 -d"${DUR}s" -s "$work/post.lua" "http://127.0.0.1:$VIRT/v1/chat/completions" | tail -1)
echo "| $TTFT ms | $d µs | $pl µs | $vi µs | $((pl - d)) µs | $((vi - d)) µs |"
