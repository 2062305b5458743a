#!/usr/bin/env bash
# The Management API's read paths as the tenant grows: `users-by-email`, `GET /users/{id}`, a
# `q` search and a sorted page, with 1,000 and 10,000 users, p50/p99 latency in one run (wrk,
# one connection, so the figure is one request's cost, not the machine's throughput). And a
# password login of a user in the middle (`POST /oauth/token`, RS256), which counts
# `logins_count`: its cost should not grow with the tenant beyond finding the user. A script that reports, never
# a test that fails a build. Loopback only; bounded in time; stops the servers it starts.
#
# Knobs (environment): BENCH_SIZES ("1000 10000"), BENCH_DURATION (5 s per route and size),
# BENCH_SKIP_BUILD=1 to reuse the binary, BENCH_BIN (default target/release/mock-idp, honouring
# CARGO_TARGET_DIR).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
bin="${BENCH_BIN:-$target/release/mock-idp}"
sizes="${BENCH_SIZES:-1000 10000}"
duration="${BENCH_DURATION:-5}"

for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "management.sh: $tool is required" >&2; exit 1; }
done
if [[ -z "${BENCH_SKIP_BUILD:-}" ]]; then
  cargo build --release -p mock-idp
fi
[[ -x "$bin" ]] || { echo "management.sh: $bin not found" >&2; exit 1; }

work="$(mktemp -d)"
pid=""
cleanup() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# wrk's latency distribution → "p50 p99" (in its units, normalised to microseconds).
percentiles() {
  python3 -c '
import re, sys
text = sys.stdin.read()
def us(v, unit):
    return float(v) * {"us": 1, "ms": 1000, "s": 1000000}[unit]
found = dict((p, us(v, u)) for p, v, u in re.findall(r"^\s+(50|99)\.000%\s+([\d.]+)(us|ms|s)$", text, re.M))
if not found:
    found = dict((p, us(v, u)) for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)$", text, re.M))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
if non2xx:
    sys.exit("management.sh: non-2xx answers during the run")
print("%.0f %.0f" % (found["50"], found["99"]))
'
}

# wrk's summary line from post.lua → "p50 p99" in microseconds; a non-2xx answer is an error.
post_percentiles() {
  python3 -c '
import re, sys
m = re.search(r"BENCH_RESULT .*non2xx3xx=(\d+) .*p50_us=(\d+) p99_us=(\d+)", sys.stdin.read())
if not m:
    sys.exit("management.sh: wrk printed no BENCH_RESULT")
if int(m.group(1)):
    sys.exit("management.sh: non-2xx answers during the run")
print(m.group(2), m.group(3))
'
}

printf '| users | route | p50 | p99 |\n|---|---|---|---|\n'
for n in $sizes; do
  config="$work/tenant-$n.toml"
  python3 - "$n" >"$config" <<'PY'
import sys
n = int(sys.argv[1])
for i in range(n):
    print(f'[[users]]\nemail = "user{i}@example.com"\napp_metadata = {{ plan = "{"pro" if i % 2 else "free"}", n = {i} }}\n')
PY
  port=$(free_port)
  "$bin" --host 127.0.0.1 --port "$port" --config "$config" >"$work/log-$n" 2>&1 &
  pid=$!
  deadline=$(( $(date +%s) + 30 ))
  until curl -fs -o /dev/null "http://127.0.0.1:$port/health"; do
    [[ $(date +%s) -lt $deadline ]] || { echo "management.sh: no /health within 30 s" >&2; exit 1; }
    sleep 0.05
  done
  token=$(curl -fs "http://127.0.0.1:$port/oauth/token" -d grant_type=client_credentials \
    -d client_id=sample-m2m -d client_secret=sample-m2m-secret \
    --data-urlencode "audience=http://localhost:$port/api/v2/" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
  # The user in the middle of the list: a scan's average case.
  mid=$(( n / 2 ))
  for route in \
    "users-by-email|/api/v2/users-by-email?email=user$mid%40example.com" \
    "GET /users/{id}|/api/v2/users/auth0%7Cuser$mid" \
    "q (email AND app_metadata)|/api/v2/users?q=email%3A%22user$mid%40example.com%22%20AND%20app_metadata.n%3A$mid" \
    "sort=email:-1, first page of 50|/api/v2/users?sort=email%3A-1"; do
    name="${route%%|*}"
    path="${route#*|}"
    curl -fs -o /dev/null -H "Authorization: Bearer $token" "http://127.0.0.1:$port$path" ||
      { echo "management.sh: $name did not answer 200" >&2; exit 1; }
    read -r p50 p99 < <(timeout $(( duration + 10 )) wrk -t1 -c1 -d"${duration}s" --latency \
      -H "Authorization: Bearer $token" "http://127.0.0.1:$port$path" | percentiles)
    printf '| %s | %s | %s µs | %s µs |\n' "$n" "$name" "$p50" "$p99"
  done
  login="grant_type=password&client_id=sample-spa&username=user$mid%40example.com&password=password&audience=https%3A%2F%2Fsample-api"
  curl -fs -o /dev/null "http://127.0.0.1:$port/oauth/token" -d "$login" ||
    { echo "management.sh: the password login did not answer 200" >&2; exit 1; }
  read -r p50 p99 < <(BENCH_BODY="$login" timeout $(( duration + 10 )) wrk -t1 -c1 -d"${duration}s" \
    -s "$root/mock-idp/bench/post.lua" "http://127.0.0.1:$port/oauth/token" | post_percentiles)
  printf '| %s | %s | %s µs | %s µs |\n' "$n" "password login (counts logins_count)" "$p50" "$p99"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=""
done
