#!/usr/bin/env bash
# The llm-proxy's memory behaviour under load (see docs/benchmarks.md): wrk at concurrency 64
# against loopline's llm-proxy (auth, limits, metrics, usage rows on) in front of the instant
# nginx upstream of run.sh, with a G1 log; per run: throughput, latency, the proxy's CPU and heap
# allocation per request, and the young-collection pauses inside the measured window.
# Usage: bench/proxy/gc.sh [runs, default 3] [seconds per run, default 10] [warm-up seconds, default 20]
#   JVM options for loopline: LOOPLINE_BENCH_JVM_OPTS; another database: LOOPLINE_DB_URL.
#   (needs wrk and nginx: apt-get install wrk nginx)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUNS="${1:-3}"; DUR="${2:-10}"; WARMUP="${3:-20}"
command -v wrk >/dev/null && command -v nginx >/dev/null || { echo "needs wrk and nginx (apt-get install wrk nginx)" >&2; exit 1; }
source "$ROOT/bench/proxy/lib.sh"
: "${JAVA_HOME:?set JAVA_HOME to a JDK 21+}"
work="$(mktemp -d)"
UP="$(free_port)"; LL="$(free_port)"
KEY="ll-bench-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
start_nginx "$work" 8192 "$(instant_upstream_server "$UP")"
trap 'kill $NGINX_PID ${LL_PID:-} 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
LOOPLINE_BENCH_JVM_OPTS="${LOOPLINE_BENCH_JVM_OPTS:-} -Xlog:gc:file=$work/gc.log" start_llm_proxy "$work" "$LL" "$KEY" "http://127.0.0.1:$UP"
write_post_lua "$work/post.lua" "$KEY"
URL="http://127.0.0.1:$LL/v1/chat/completions"
wrk -t2 -c32 -d"${WARMUP}s" -s "$work/post.lua" "$URL" >/dev/null
cpu_ticks() { awk '{print $14 + $15}' "/proc/$LL_PID/stat"; }
echo "| run | req/s | p50 | p99 | proxy CPU µs/req | heap allocated KB/req | young pauses | pause median ms | pause max ms | paused ms |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for i in $(seq 1 "$RUNS"); do
  # G1 logs "Pause Young (…) 260M->56M(356M) 14.385ms"; the heap allocated between two pauses is
  # the second's before minus the first's after. Only the pauses logged during the run count.
  from=$(($(wc -l < "$work/gc.log") + 1))
  t0="$(cpu_ticks)"
  read -r p50 p99 rps _ n < <(wrk -t2 -c64 -d"${DUR}s" --latency -s "$work/post.lua" "$URL" | wrk_summary)
  t1="$(cpu_ticks)"
  tail -n +"$from" "$work/gc.log" | grep 'Pause' | sed -E 's/.* ([0-9]+)M->([0-9]+)M\([0-9]+M\) ([0-9.]+)ms$/\1 \2 \3/' > "$work/pauses"
  alloc="$(awk -v n="$n" 'NR > 1 { a += $1 - after } { after = $2 } END { if (NR > 1) printf "%.1f", a * 1024 / n * NR / (NR - 1); else print "-" }' "$work/pauses")"
  gc="$(awk '{ print $3 }' "$work/pauses" | sort -n | awk '{ p[NR] = $1; sum += $1 } END { printf "%d | %.1f | %.1f | %.0f", NR, p[int((NR + 1) / 2)], p[NR], sum }')"
  echo "| $i | $rps | $p50 | $p99 | $(( (t1 - t0) * 10000 / n )) | $alloc | $gc |"
done
