#!/usr/bin/env bash
# What a test pays for its mock, side by side with wiremock: start -> one GET -> drop, in the
# debug profile (as tests run), rounds alternating between the two. Not a test: it prints
# numbers (mock-idp/examples/start_cost.rs). Loopback only, bounded: ROUNDS rounds each.
#
#   mock-idp/bench/start.sh             # 200 rounds each, 3 runs
#   ROUNDS=1000 RUNS=5 mock-idp/bench/start.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
rounds="${ROUNDS:-200}"
runs="${RUNS:-3}"
cargo build --quiet -p mock-idp --example start_cost
for run in $(seq 1 "$runs"); do
  echo "run $run of $runs"
  "$root/target/debug/examples/start_cost" "$rounds"
  echo
done
