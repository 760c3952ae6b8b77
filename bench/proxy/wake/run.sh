#!/usr/bin/env bash
# What a JVM pays to answer the first I/O event after an idle gap, virtual against platform
# threads (docs/benchmarks.md, "Streaming through llm-proxy"). Usage: bench/proxy/wake/run.sh
set -euo pipefail
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JAVA="${JAVA_HOME:?set JAVA_HOME to a JDK 21+}/bin/java"
source "$DIR/../lib.sh"
PORT="$(free_port)"
for mode in virtual platform; do
  "$JAVA" "$DIR/Echo.java" "$mode" "$PORT" & pid=$!
  for _ in $(seq 1 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT)).close()" 2>/dev/null && break; sleep 0.2; done
  for gap in 0 0.005 0.05; do echo "$mode threads, $(python3 "$DIR/client.py" "$PORT" "$gap")"; done
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
