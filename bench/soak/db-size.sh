#!/usr/bin/env bash
# The embedded H2 file's size under churn: loopline (the built jar, vllm-sim as its model) gets a
# steady stream of stored responses with a web_search round (RATE per second; 0 = as fast as it
# answers), each deleted again once 50 newer ones exist, for MINUTES; every minute the file's size
# is printed, and at the end the size after everything was deleted, after a minute idle, and
# after a clean shutdown. Usage rows (two per response) stay, by design: they are the live data.
#   bench/soak/db-size.sh [MINUTES=60] [RATE=20]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
MINUTES="${1:-60}"
RATE="${2:-20}"
JAVA="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
DATA="$(mktemp -d)"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
KEY="ll-soak-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
LOOPLINE_DATA_DIR="$DATA" LOOPLINE_PORT="$PORT" LOOPLINE_SIM_PORT=0 LOOPLINE_SIM_INSTANT=true LOOPLINE_DEV_API_KEY="$KEY" \
  LOOPLINE_SANDBOX=off LOOPLINE_LOG_LEVEL=WARNING "$JAVA" @app/jvm.options -jar app/target/loopline.jar > "$DATA/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && break; sleep 0.5; done
python3 - "$PORT" "$KEY" "$MINUTES" "$DATA/loopline.mv.db" "$RATE" <<'PY'
import http.client, json, os, sys, time, collections
port, key, minutes, db, rate = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4], float(sys.argv[5])
c = http.client.HTTPConnection("127.0.0.1", port)
H = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
def call(method, path, body=None):
    c.request(method, path, json.dumps(body) if body is not None else None, H)
    r = c.getresponse(); d = r.read()
    return r.status, d
live = collections.deque()
start = time.time(); next_report = start; made = 0
print("| minute | responses made | kept live | loopline.mv.db |\n|---|---|---|---|")
while time.time() - start < minutes * 60:
    if rate > 0:
        time.sleep(max(0, start + made / rate - time.time()))
    s, d = call("POST", "/v1/responses", {"model": "loopline-sim", "input": "What is the capital of France? " + "pad " * 200,
                                           "tools": [{"type": "web_search"}], "metadata": {"n": str(made)}})
    if s == 200:
        live.append(json.loads(d)["id"]); made += 1
    while len(live) > 50:
        call("DELETE", "/v1/responses/" + live.popleft())
    if time.time() >= next_report:
        print("| %d | %d | %d | %.1f MB |" % ((time.time() - start) // 60, made, len(live), os.path.getsize(db) / 1e6), flush=True)
        next_report += 60
while live:
    call("DELETE", "/v1/responses/" + live.popleft())
print("after deleting everything: %.1f MB" % (os.path.getsize(db) / 1e6), flush=True)
time.sleep(60)
print("after a minute idle: %.1f MB" % (os.path.getsize(db) / 1e6), flush=True)
PY
kill "$PID"; wait "$PID" || true
trap - EXIT
echo "after shutdown: $(python3 -c "import os,sys; print('%.1f MB' % (os.path.getsize(sys.argv[1]) / 1e6))" "$DATA/loopline.mv.db")"
rm -rf "$DATA"
