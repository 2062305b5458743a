#!/usr/bin/env bash
# Side-by-side load test: sample-api (release build) vs the tutorial's Express API
# (express-oauth2-jwt-bearer), both validating tokens from the same mock-idp, both under
# the same wrk load. Loopback only; bounded in time. Not a test: it prints numbers.
#
#   sample-api/bench/run.sh            # defaults: 10 s per run, 2 wrk threads, 32 connections
#   DURATION=30s CONNECTIONS=64 sample-api/bench/run.sh
#
# Needs: cargo, node + npm (the npm registry), wrk (`apt-get install -y wrk`), python3.
set -euo pipefail

DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
MOCK_PORT=${MOCK_PORT:-14000}
API_PORT=${API_PORT:-13001}
EXPRESS_PORT=${EXPRESS_PORT:-13002}
AUDIENCE=https://sample-api
ISSUER="http://localhost:${MOCK_PORT}/"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${BENCH_WORK_DIR:-$(mktemp -d -t sample-api-bench.XXXXXX)}
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk" >&2; exit 1; }

echo "== building release binaries" >&2
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" -p mock-idp -p sample-api

echo "== installing express + express-oauth2-jwt-bearer into $WORK" >&2
cp "$ROOT/sample-api/bench/express-server.js" "$WORK/"
(cd "$WORK" && [ -d node_modules/express-oauth2-jwt-bearer ] || \
  npm install --silent --no-audit --no-fund express@5 express-oauth2-jwt-bearer@1 >/dev/null)

wait_for() { for _ in $(seq 1 100); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "timeout waiting for $1" >&2; exit 1; }

"$ROOT/target/release/mock-idp" --port "$MOCK_PORT" >"$WORK/mock-idp.log" 2>&1 &
PIDS+=($!)
wait_for "http://127.0.0.1:${MOCK_PORT}/.well-known/openid-configuration"

RUST_LOG=warn ISSUER_BASE_URL="$ISSUER" AUDIENCE="$AUDIENCE" PORT="$API_PORT" \
  "$ROOT/target/release/sample-api" >"$WORK/sample-api.log" 2>&1 &
API_PID=$!; PIDS+=($API_PID)
wait_for "http://127.0.0.1:${API_PORT}/api/public"

(cd "$WORK" && NODE_ENV=production ISSUER_BASE_URL="$ISSUER" AUDIENCE="$AUDIENCE" PORT="$EXPRESS_PORT" \
  exec node express-server.js >"$WORK/express.log" 2>&1) &
EXPRESS_PID=$!; PIDS+=($EXPRESS_PID)
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:${EXPRESS_PORT}/" && break; sleep 0.1; done

VALID=$(curl -fsS -X POST "http://127.0.0.1:${MOCK_PORT}/oauth/token" \
  -d grant_type=client_credentials -d client_id=sample-m2m -d client_secret=sample-m2m-secret \
  -d audience="$AUDIENCE" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
# Rejected: the same token with its signature tampered (a full RSA verify that fails).
SIG=${VALID##*.}
FLIP=$([ "${SIG:0:1}" = "A" ] && echo B || echo A)
REJECTED="${VALID%.*}.${FLIP}${SIG:1}"

check() { # name port token expected-status
  local status
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $3" "http://127.0.0.1:$2/api/external")
  [ "$status" = "$4" ] || { echo "$1 answered $status, expected $4" >&2; exit 1; }
}
check sample-api "$API_PORT" "$VALID" 200
check sample-api "$API_PORT" "$REJECTED" 401
check express "$EXPRESS_PORT" "$VALID" 200
check express "$EXPRESS_PORT" "$REJECTED" 401

run() { # port token -> "req/s p99"
  local out
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
    -H "Authorization: Bearer $2" "http://127.0.0.1:$1/api/external")
  echo "$out" >>"$WORK/wrk.log"
  local rps p99
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  echo "$rps $p99"
}
rss_mb() { awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }

# Warm both (JWKS fetched, JIT warmed) before measuring.
for port in "$API_PORT" "$EXPRESS_PORT"; do
  wrk -t1 -c4 -d2s -H "Authorization: Bearer $VALID" "http://127.0.0.1:$port/api/external" >/dev/null
done

echo "== load: $THREADS threads, $CONNECTIONS connections, $DURATION per run" >&2
read -r API_OK_RPS API_OK_P99 < <(run "$API_PORT" "$VALID")
read -r API_BAD_RPS API_BAD_P99 < <(run "$API_PORT" "$REJECTED")
API_RSS=$(rss_mb "$API_PID")
read -r EX_OK_RPS EX_OK_P99 < <(run "$EXPRESS_PORT" "$VALID")
read -r EX_BAD_RPS EX_BAD_P99 < <(run "$EXPRESS_PORT" "$REJECTED")
EX_RSS=$(rss_mb "$EXPRESS_PID")

RATIO=$(python3 -c "print(f'{float(\"$API_OK_RPS\")/float(\"$EX_OK_RPS\"):.1f}')")
cat <<TABLE

| server | valid req/s | valid p99 | rejected req/s | rejected p99 | peak RSS |
|---|---|---|---|---|---|
| sample-api (axum, release) | $API_OK_RPS | $API_OK_P99 | $API_BAD_RPS | $API_BAD_P99 | ${API_RSS} MB |
| Express + express-oauth2-jwt-bearer | $EX_OK_RPS | $EX_OK_P99 | $EX_BAD_RPS | $EX_BAD_P99 | ${EX_RSS} MB |

valid-token throughput ratio: ${RATIO}x  (wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $(nproc) cores, loopback)
raw wrk output: $WORK/wrk.log
TABLE
