#!/usr/bin/env bash
# mock-idp --tls vs oauth2-mock-server over HTTPS: client_credentials tokens/s with keep-alive
# (and per server CPU-second), startup with an existing CA, first start that makes the CA.
# See mock-idp/bench/README.md. Loopback only, bounded in time, stops what it starts.
#
# Knobs (environment): BENCH_STARTS (10), BENCH_FIRST_STARTS (5), BENCH_DURATION (10 s),
# BENCH_WARMUP (2 s), BENCH_CONNECTIONS (32), BENCH_THREADS (wrk threads, 1),
# BENCH_SKIP_BUILD=1 to reuse the release binary as it is.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
name="$(basename "$0")"
# shellcheck source=lib.sh
source "$here/lib.sh"

bench_setup cargo node npm python3

bench_run "$here/tls.py" \
  --mock-idp "$bin" \
  --oms "$oms_cli" \
  --oms-version "$OMS_VERSION" \
  --starts "${BENCH_STARTS:-10}" \
  --first-starts "${BENCH_FIRST_STARTS:-5}" \
  --duration "${BENCH_DURATION:-10}" \
  --warmup "${BENCH_WARMUP:-2}" \
  --connections "${BENCH_CONNECTIONS:-32}" \
  --threads "${BENCH_THREADS:-1}" \
  --lua "$here/post.lua" \
  --out "$out/mock-idp-tls-bench.md" \
  --logs "$out/logs"
