#!/usr/bin/env bash
# mock-idp vs oauth2-mock-server benchmark: startup time, client_credentials tokens/s, RSS.
# See mock-idp/bench/README.md. Loopback only, bounded in time, stops what it starts.
#
# Knobs (environment): BENCH_STARTS (10), BENCH_DURATION (10 s), BENCH_WARMUP (2 s),
# BENCH_CONNECTIONS (32), BENCH_THREADS (wrk threads, 1), BENCH_OPENSSL_SECONDS (3),
# BENCH_SKIP_BUILD=1 to reuse target/release/mock-idp as it is.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
name="$(basename "$0")"
# shellcheck source=lib.sh
source "$here/lib.sh"

bench_setup cargo node npm python3 openssl

bench_run "$here/bench.py" \
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
  --logs "$out/logs"
