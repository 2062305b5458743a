#!/usr/bin/env bash
# mock-idp vs oauth2-mock-server benchmark: startup time, client_credentials tokens/s, RSS.
# See mock-idp/bench/README.md. Loopback only, bounded in time, stops what it starts.
#
# Knobs (environment): BENCH_STARTS (10), BENCH_DURATION (10 s), BENCH_WARMUP (2 s),
# BENCH_CONNECTIONS (32), BENCH_THREADS (wrk threads, 1), BENCH_OPENSSL_SECONDS (3),
# BENCH_SKIP_BUILD=1 to reuse target/release/mock-idp as it is.
set -euo pipefail

OMS_VERSION=8.2.3 # the last oauth2-mock-server line that supports Node 20 (9.x needs Node 22)

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/target/bench"
mkdir -p "$out"
cd "$root"

pid=""
cleanup() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true # bench.py stops its servers on SIGTERM
    wait "$pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

need() { command -v "$1" >/dev/null || { echo "run.sh: $1 is required" >&2; exit 1; }; }
for tool in cargo node npm python3 openssl; do need "$tool"; done

if ! command -v wrk >/dev/null; then
  echo "run.sh: installing wrk (Debian package)" >&2
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi

if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
  echo "run.sh: cargo build --release -p mock-idp" >&2
  cargo build --release -p mock-idp
fi
bin="$root/target/release/mock-idp"
[[ -x "$bin" ]] || { echo "run.sh: $bin not found" >&2; exit 1; }

npm_dir="$out/npm"
pkg="$npm_dir/node_modules/oauth2-mock-server/package.json"
if [[ ! -f "$pkg" ]] || [[ "$(node -p "require('$pkg').version")" != "$OMS_VERSION" ]]; then
  echo "run.sh: npm install oauth2-mock-server@$OMS_VERSION into $npm_dir" >&2
  mkdir -p "$npm_dir"
  [[ -f "$npm_dir/package.json" ]] || echo '{"private": true}' >"$npm_dir/package.json"
  (cd "$npm_dir" && npm install --no-audit --no-fund --loglevel=error \
    "oauth2-mock-server@$OMS_VERSION")
fi
oms_cli="$(node -p "const p=require('$pkg'); require('path').join('$npm_dir/node_modules/oauth2-mock-server', typeof p.bin === 'string' ? p.bin : p.bin['oauth2-mock-server'])")"

python3 "$here/bench.py" \
  --mock-idp "$bin" \
  --oms "$oms_cli" \
  --oms-version "$OMS_VERSION" \
  --starts "${BENCH_STARTS:-10}" \
  --duration "${BENCH_DURATION:-10}" \
  --warmup "${BENCH_WARMUP:-2}" \
  --connections "${BENCH_CONNECTIONS:-32}" \
  --threads "${BENCH_THREADS:-1}" \
  --openssl-seconds "${BENCH_OPENSSL_SECONDS:-3}" \
  --lua "$here/post.lua" \
  --out "$out/mock-idp-bench.md" \
  --logs "$out/logs" &
pid=$!
status=0
wait "$pid" || status=$?
pid=""
exit "$status"
