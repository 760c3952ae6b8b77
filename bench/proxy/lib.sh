# Shared by the proxy benchmarks (run.sh, gc.sh, stream-wrk.sh, wake/run.sh); source it, do not run it.

# A free TCP port on loopback.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# start_nginx WORKDIR WORKER_CONNECTIONS HTTP_BLOCKS: one nginx worker in the foreground, logs and
# temp files under WORKDIR, no access log, with the given upstream/server blocks; sets NGINX_PID.
start_nginx() {
  cat > "$1/nginx.conf" <<NGINX
worker_processes 1;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections $2; }
http {
  access_log off;
  client_body_temp_path $1/body;
  proxy_temp_path $1/proxy;
$3
}
NGINX
  nginx -c "$1/nginx.conf" -p "$1" -g 'daemon off;' &
  NGINX_PID=$!
}

# start_llm_proxy WORKDIR PORT API_KEY UPSTREAM_URL: loopline's llm-proxy alone, with auth, limits
# (huge, so checked and charged but never refusing), metrics and usage rows on; -Xmx1g, the JVM
# options `./loopline up` uses (app/jvm.options), plus $LOOPLINE_BENCH_JVM_OPTS; sets LL_PID and
# returns once /health/ready answers (or after 60 s).
start_llm_proxy() {
  local root; root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  LOOPLINE_PORT="$2" LOOPLINE_DATA_DIR="$1/data" LOOPLINE_DEV_API_KEY="$3" LOOPLINE_LLM_UPSTREAMS="$4" \
    LOOPLINE_LIMIT_REQUESTS_PER_HOUR=1000000000 LOOPLINE_LIMIT_TOKENS_PER_MINUTE=1000000000000 LOOPLINE_LOG_LEVEL=WARNING \
    "${JAVA_HOME:?set JAVA_HOME to a JDK 21+}/bin/java" -Xmx1g "@$root/app/jvm.options" ${LOOPLINE_BENCH_JVM_OPTS:-} \
    -jar "$root/app/target/loopline.jar" --service llm-proxy >"$1/loopline.log" 2>&1 &
  LL_PID=$!
  for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$2/health/ready" >/dev/null 2>&1 && return; sleep 0.5; done
}

# The instant upstream: an nginx server block on 127.0.0.1:PORT answering every POST with a fixed
# vLLM-shaped chat completion (with usage, so the proxy accounts tokens), plus /health and /v1/models.
instant_upstream_server() {
  local body='{"id":"chatcmpl-0123456789abcdef","object":"chat.completion","created":1747650000,"model":"bench-model","choices":[{"index":0,"message":{"role":"assistant","content":"Paris.","refusal":null,"annotations":null,"audio":null,"function_call":null,"tool_calls":[],"reasoning":null},"logprobs":null,"finish_reason":"stop","stop_reason":null,"token_ids":null}],"service_tier":null,"system_fingerprint":"vllm-0.21.0-3fa1c2d9","usage":{"prompt_tokens":24,"total_tokens":27,"completion_tokens":3,"prompt_tokens_details":null},"prompt_logprobs":null,"prompt_token_ids":null,"prompt_text":null,"kv_transfer_params":null}'
  cat <<NGINX
  server {
    listen 127.0.0.1:$1;
    location = /health { return 200 ''; }
    location = /v1/models { default_type application/json; return 200 '{"object":"list","data":[{"id":"bench-model","object":"model","owned_by":"vllm"}]}'; }
    location = /metrics { return 404; }
    location / { default_type application/json; return 200 '$body'; }
  }
NGINX
}

# write_post_lua FILE API_KEY: the wrk script POSTing one small chat completion request with the key.
write_post_lua() {
  cat > "$1" <<LUA
wrk.method = "POST"
wrk.body = '{"model":"bench-model","messages":[{"role":"user","content":"What is the capital of France?"}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $2"
LUA
}

# wrk_summary: reads the output of `wrk --latency` on stdin → "p50 p99 req/s non-2xx requests".
wrk_summary() {
  awk '$1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 } /Requests\/sec/ { rps = $2 } /Non-2xx/ { errs = $NF }
       / requests in / { n = $1 } END { print p50, p99, rps, (errs == "" ? 0 : errs), n }'
}
