#!/usr/bin/env bash
# Side-by-side load test: sample-api (release build) vs the tutorial's Express API
# (express-oauth2-jwt-bearer), both validating tokens from the same mock-idp, both under
# the same wrk load. Loopback only; bounded in time. Not a test: it prints numbers.
#
#   sample-api/bench/run.sh            # defaults: 10 s per run, 2 wrk threads, 32 connections, 3 rounds
#   DURATION=30s CONNECTIONS=64 sample-api/bench/run.sh
#   PIN=1 sample-api/bench/run.sh      # wrk on CPU 0, each server on CPU 1 (needs 2+ CPUs)
#
# Each round measures sample-api then Express (valid, then rejected token), so that noise from
# other work on the machine hits both servers alike; the table shows the median of REPS rounds.
#
# Needs: cargo, node + npm (the npm registry), wrk (`apt-get install -y wrk`), python3.
set -euo pipefail

DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
REPS=${REPS:-3}
PIN=${PIN:-0}
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
# PIN=1: the load generator gets CPU 0 and the server under test CPU 1, for both servers, so
# that neither competes with wrk for a core (Express uses one core anyway; tokio sizes its
# worker pool from the affinity mask, so sample-api runs one worker).
WRK=(wrk); SERVER_CPU=()
if [ "$PIN" = 1 ]; then
  [ "$(nproc)" -ge 2 ] || { echo "PIN=1 needs at least 2 CPUs" >&2; exit 1; }
  WRK=(taskset -c 0 wrk); SERVER_CPU=(taskset -c 1)
fi

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
  "${SERVER_CPU[@]}" "$ROOT/target/release/sample-api" >"$WORK/sample-api.log" 2>&1 &
API_PID=$!; PIDS+=($API_PID)
wait_for "http://127.0.0.1:${API_PORT}/api/public"

(cd "$WORK" && NODE_ENV=production ISSUER_BASE_URL="$ISSUER" AUDIENCE="$AUDIENCE" PORT="$EXPRESS_PORT" \
  exec "${SERVER_CPU[@]}" node express-server.js >"$WORK/express.log" 2>&1) &
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
  out=$("${WRK[@]}" -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
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
  "${WRK[@]}" -t1 -c4 -d2s -H "Authorization: Bearer $VALID" "http://127.0.0.1:$port/api/external" >/dev/null
done

PIN_NOTE=""; [ "$PIN" = 1 ] && PIN_NOTE=", wrk pinned to CPU 0 and each server to CPU 1"
echo "== load: $THREADS threads, $CONNECTIONS connections, $DURATION per run, $REPS rounds$PIN_NOTE" >&2
RESULTS="$WORK/results.txt"; : >"$RESULTS"
for round in $(seq 1 "$REPS"); do
  for server in api express; do
    port=$API_PORT; [ "$server" = express ] && port=$EXPRESS_PORT
    for kind in valid rejected; do
      token=$VALID; [ "$kind" = rejected ] && token=$REJECTED
      read -r rps p99 < <(run "$port" "$token")
      echo "round $round $server $kind $rps $p99" | tee -a "$RESULTS" >&2
    done
  done
done
API_RSS=$(rss_mb "$API_PID")
EX_RSS=$(rss_mb "$EXPRESS_PID")

python3 - "$RESULTS" "$API_RSS" "$EX_RSS" "$THREADS" "$CONNECTIONS" "$DURATION" "$REPS" "$(nproc)" "$PIN_NOTE" <<'PY'
import statistics, sys
path, api_rss, ex_rss, threads, conns, duration, reps, cores, pin = sys.argv[1:]
def ms(v):  # wrk prints 812.00us, 4.10ms or 1.02s
    for unit, f in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if v.endswith(unit):
            return float(v[: -len(unit)]) * f
    raise ValueError(v)
rows = {}
for line in open(path):
    _, _, server, kind, rps, p99 = line.split()
    rows.setdefault((server, kind), []).append((float(rps), ms(p99)))
def cell(server, kind):
    runs = rows[(server, kind)]
    return statistics.median(r for r, _ in runs), statistics.median(p for _, p in runs)
print()
print("| server | valid req/s | valid p99 | rejected req/s | rejected p99 | peak RSS |")
print("|---|---|---|---|---|---|")
for server, name, rss in (("api", "sample-api (axum, release)", api_rss),
                          ("express", "Express + express-oauth2-jwt-bearer", ex_rss)):
    (ok, ok99), (bad, bad99) = cell(server, "valid"), cell(server, "rejected")
    print(f"| {name} | {ok:,.0f} | {ok99:.1f} ms | {bad:,.0f} | {bad99:.1f} ms | {rss} MB |")
print()
ratios = [a / e for (a, _), (e, _) in zip(rows[("api", "valid")], rows[("express", "valid")])]
api_ok, ex_ok = cell("api", "valid")[0], cell("express", "valid")[0]
# Each round runs both servers back to back, so a round's ratio compares them under the same
# machine conditions; the median of those paired ratios is the figure to judge by. The ratio
# of the two medians can pair a fast round of one server with a slow round of the other.
print(f"valid-token throughput ratio: {statistics.median(ratios):.1f}x (median of the per-round "
      f"ratios: " + ", ".join(f"{r:.1f}x" for r in ratios)
      + f"; ratio of the medians {api_ok / ex_ok:.1f}x)")
print(f"medians of {reps} rounds, wrk -t{threads} -c{conns} -d{duration}, {cores} cores, loopback{pin}")
PY
echo "raw wrk output: $WORK/wrk.log"
